"""The search's maximum penalty follows the encoding's cost scale (thousandths of a cent), so
a capacity-tight day is searched to a feasible plan instead of stalling over capacity at
PyVRP's default cap, and a search that never needs the cap runs as it did with the default."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning

from lastmile.planning import pyvrp_search
from lastmile.planning.diagnose import precheck
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.pyvrp_penalty import DEFAULT_MAX_PENALTY, max_penalty
from lastmile.planning.pyvrp_search import _Walk
from lastmile.planning.pyvrp_solver import encode
from tests.unit.planning.factory import problem, ring, stop, van


def _data(day: PlanningProblem) -> pyvrp.ProblemData:
    jobs, _ = precheck(day)
    return encode(day, jobs).data


def _tight_day() -> PlanningProblem:
    """40 one-parcel stops for 4 vans of 10 parcels, each van EUR 50 a day: every van full."""
    stops = [stop(f"S{i}", p, window=(1, 8)) for i, p in enumerate(ring(40, 4.0))]
    vans = [van(f"V{k}", parcels=10, fixed_cost_cents=5_000) for k in range(4)]
    return problem(stops, vans)


def test_the_cap_is_well_above_a_stop_and_a_route_but_stays_the_default_when_unpriced() -> None:
    data = _data(_tight_day())
    prize = max(c.prize for c in data.clients())
    fixed = max(vt.fixed_cost for vt in data.vehicle_types())
    assert max_penalty(data) >= 10 * max(prize, fixed) > DEFAULT_MAX_PENALTY
    arcs: Any = np.array([[0, 10], [10, 0]])
    plain = pyvrp.ProblemData(
        clients=[pyvrp.Client(location=1, delivery=[1])],
        depots=[pyvrp.Depot(location=0)],
        locations=[pyvrp.Location(x=0, y=0), pyvrp.Location(x=1, y=1)],
        vehicle_types=[pyvrp.VehicleType(capacity=[1])],
        distance_matrices=[arcs],
        duration_matrices=[arcs],
    )
    assert max_penalty(plain) == DEFAULT_MAX_PENALTY


def _routes(data: pyvrp.ProblemData, sizes: list[int]) -> pyvrp.Solution:
    """Consecutive stops of the ring, ``sizes[k]`` on the k-th route."""
    routes, at = [], 0
    for size in sizes:
        routes.append(list(range(at, at + size)))
        at += size
    return pyvrp.Solution(data, routes)


@pytest.mark.parametrize("cap", ["raised", "default"])
def test_a_search_stuck_over_capacity_keeps_raising_the_penalty_until_a_route_pays(
    cap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At PyVRP's default cap, three vans 10 parcels over each stay cheaper than opening
    the fourth (EUR 50): the search warns and stays infeasible. With the cap from the
    data's cost scale the penalty keeps rising until the overload costs more."""
    data = _data(_tight_day())
    if cap == "default":
        monkeypatch.setattr(pyvrp_search, "max_penalty", lambda _: DEFAULT_MAX_PENALTY)
    walk = _Walk(data, 1, _routes(data, [10, 10, 10, 10]))
    overloaded, feasible = _routes(data, [20, 10, 10]), _routes(data, [10, 10, 10, 10])
    assert feasible.is_feasible() and overloaded.excess_load()[1] == 10
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        for _ in range(500 * 12):  # twelve penalty updates, all infeasible
            walk.pm.register(overloaded)
    evaluator = walk.pm.cost_evaluator()
    stays = evaluator.penalised_cost(overloaded) < evaluator.penalised_cost(feasible)
    warned = any(issubclass(w.category, PenaltyBoundWarning) for w in got)
    assert (stays, warned) == ((True, True) if cap == "default" else (False, False))


def test_a_search_that_never_reaches_the_default_cap_runs_exactly_as_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    roomy = problem(
        [stop(f"S{i}", p, window=(1, 8)) for i, p in enumerate(ring(30, 4.0))],
        [van(f"V{k}", parcels=40) for k in range(4)],
    )
    data = _data(roomy)
    assert max_penalty(data) > DEFAULT_MAX_PENALTY
    raised = _Walk(data, 5, None)
    monkeypatch.setattr(pyvrp_search, "max_penalty", lambda _: DEFAULT_MAX_PENALTY)
    default = _Walk(data, 5, None)
    assert raised.start == default.start
    for _ in range(600):
        raised.step()
        default.step()
        loads, duration, distance = raised.pm.penalties()
        assert max(*loads, duration, distance) < DEFAULT_MAX_PENALTY
        assert raised.pm.penalties() == default.pm.penalties()
    assert raised.best == default.best
    assert raised.best_cost == default.best_cost
