"""A re-plan with a deferral value: a stop costs its detour, not "whatever it takes"."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lastmile.dispatch.replan import ReplanPolicy, replan
from lastmile.dispatch.replan_problem import rest_of_day
from lastmile.dispatch.state import DayState, advance
from lastmile.domain.plan import UnassignedReason
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.validate import check

from .day import HOUR, day, job, plan, point


def _with_a_far_stop() -> DayState:
    """At 1 h, both vans still at the hub; FAR is 40 km out, the rest within 7 km."""
    near = day(16, 2)
    problem = replace(
        near,
        points=(*near.points, point(40.0, 0.0)),
        jobs=(*near.jobs, job("FAR", len(near.points))),
    )
    return advance(problem, plan(problem), int(1 * HOUR))


def _replan(state: DayState, value: int | None) -> tuple[set[str], dict[str, UnassignedReason]]:
    result = replan(
        state, PyVRPSolver(), ReplanPolicy(0.5, workers=1, seed=3, defer_value_cents=value)
    )
    assert check(result.rest.problem, result.result.routes, result.result.unassigned) == []
    served = {v.ref for r in result.result.routes for v in r.visits}
    return served, {u.ref: u.reason for u in result.result.unassigned}


def test_a_stop_whose_detour_costs_more_than_deferring_it_waits_for_tomorrow() -> None:
    state = _with_a_far_stop()
    served, left = _replan(state, None)
    assert "FAR" in served  # required: served at any cost (80 km and 2 h for one parcel)
    served, left = _replan(state, 1_000)
    assert left == {"FAR": UnassignedReason.DEFERRED}
    assert served == set(state.open_jobs()) - {"FAR"}


def test_a_high_enough_value_still_serves_it() -> None:
    served, left = _replan(_with_a_far_stop(), 1_000_000)
    assert "FAR" in served and not left


def test_parcels_on_board_stay_required() -> None:
    problem = day(24, 2)
    state = advance(problem, plan(problem), int(3 * HOUR))
    on_board = {ref for v in state.vehicles.values() for ref in v.loaded}
    assert on_board, "the day should have a van on the road at 3 h"
    rest = rest_of_day(state, 500)
    for j in rest.problem.jobs:
        assert j.required == (j.ref in on_board), j.ref
    assert rest.defer_cost_cents == 500


@pytest.mark.parametrize("value", [0, -5])
def test_a_deferral_value_must_be_positive(value: int) -> None:
    with pytest.raises(ValueError, match="defer_value_cents"):
        ReplanPolicy(defer_value_cents=value)
