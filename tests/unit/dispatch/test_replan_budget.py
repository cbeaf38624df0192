"""How a re-plan spends its time: the vans that can still work get the budget, all of it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lastmile.dispatch.replan import ReplanPolicy, replan
from lastmile.dispatch.replan_problem import rest_of_day
from lastmile.dispatch.replan_split import _parts
from lastmile.dispatch.state import DayState, advance
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.validate import check

from .day import HOUR, day, plan, van


@pytest.fixture(scope="module")
def with_a_van_off_duty() -> DayState:
    """At 5 h: V0 on the road, V1 and V2 not yet out, EARLY's shift over (at 4 h)."""
    vans = (van("V0", 2, 12, 15), van("V1", 6, 14, 15), van("V2", 6, 14, 15))
    problem = replace(day(40, 3, windows=True), vehicles=(*vans, van("EARLY", 2, 4, 15)))
    return advance(problem, plan(problem), int(5 * HOUR))


def test_a_van_whose_day_is_over_is_left_out_of_the_search(
    with_a_van_off_duty: DayState,
) -> None:
    rest = rest_of_day(with_a_van_off_duty)
    vehicles, jobs = _parts(rest)[-1]
    assert jobs
    assert {rest.problem.vehicles[n].ref for n in vehicles} == {"V1", "V2"}
    result = replan(with_a_van_off_duty, PyVRPSolver(), ReplanPolicy(0.5, workers=1, seed=2))
    assert "EARLY" not in {r.vehicle_ref for r in result.result.routes}
    assert check(result.rest.problem, result.result.routes, result.result.unassigned) == []


def test_a_re_plan_uses_most_of_its_budget_and_stays_within_it(
    with_a_van_off_duty: DayState,
) -> None:
    # A timed search runs to its deadline; a re-plan that returned after half its budget
    # left plans on the table. The upper bound has room for a loaded machine.
    budget = 1.5
    result = replan(with_a_van_off_duty, PyVRPSolver(), ReplanPolicy(budget, workers=1, seed=2))
    assert 0.7 * budget <= result.runtime_s <= budget + 0.5


def test_with_every_van_at_the_hub_off_duty_the_rest_is_left_out_with_reasons() -> None:
    problem = day(20, 2, windows=True)
    state = advance(problem, plan(problem), int(5 * HOUR))
    spent = {ref: replace(v, free_s=13 * HOUR) for ref, v in state.vehicles.items() if v.at_hub}
    state.vehicles.update(spent)
    result = replan(state, PyVRPSolver(), ReplanPolicy(0.5, workers=1, seed=2))
    served = {v.ref for r in result.result.routes for v in r.visits}
    left = {u.ref for u in result.result.unassigned}
    assert served | left == set(state.open_jobs())
    assert check(result.rest.problem, result.result.routes, result.result.unassigned) == []
