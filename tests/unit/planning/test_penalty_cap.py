"""On a priced day the search's penalties follow the encoding's cost scale (thousandths of a
cent), so a capacity-tight day is searched to a feasible plan instead of stalling over
capacity at PyVRP's default cap; they never pass the penalty that keeps PyVRP's int64 costs
from overflowing, and an unpriced day keeps PyVRP's own penalties."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.PenaltyManager import PenaltyManager, PenaltyParams

from lastmile.planning.diagnose import precheck
from lastmile.planning.encoding import FORBIDDEN
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.pyvrp_penalty import (
    DEFAULT_MAX_PENALTY,
    RANGE_PENALTY,
    SAFE_PENALTY,
    max_penalty,
    polish_penalty,
)
from lastmile.planning.pyvrp_solver import encode
from lastmile.planning.pyvrp_walk import Walk, WorkerParams
from tests.unit.planning.factory import problem, ring, stop, van


def _data(day: PlanningProblem) -> pyvrp.ProblemData:
    jobs, _ = precheck(day)
    return encode(day, jobs).data


def _tight_day(range_m: int | None = None) -> PlanningProblem:
    """40 one-parcel stops for 4 vans of 10 parcels, each van EUR 50 a day: every van full."""
    stops = [stop(f"S{i}", p, window=(1, 8)) for i, p in enumerate(ring(40, 4.0))]
    vans = [van(f"V{k}", parcels=10, fixed_cost_cents=5_000, range_m=range_m) for k in range(4)]
    return problem(stops, vans)


def _plain(arcs: Any, prize: int = 0, fixed_cost: int = 0) -> pyvrp.ProblemData:
    """A depot and one client per further row of ``arcs`` (distances = durations), each
    optional with ``prize``; one vehicle with a 10-hour shift."""
    n = len(arcs)
    return pyvrp.ProblemData(
        clients=[pyvrp.Client(location=k, prize=prize, required=prize == 0) for k in range(1, n)],
        depots=[pyvrp.Depot(location=0)],
        locations=[pyvrp.Location(x=0, y=0)] * n,
        vehicle_types=[
            pyvrp.VehicleType(fixed_cost=fixed_cost, tw_late=36_000, shift_duration=36_000)
        ],
        distance_matrices=[np.asarray(arcs)],
        duration_matrices=[np.asarray(arcs)],
    )


def test_the_cap_is_well_above_a_stop_and_a_route_but_stays_the_default_when_unpriced() -> None:
    data = _data(_tight_day())
    prize = max(c.prize for c in data.clients())
    fixed = max(vt.fixed_cost for vt in data.vehicle_types())
    assert max_penalty(data) >= min(SAFE_PENALTY, 10 * max(prize, fixed)) > DEFAULT_MAX_PENALTY
    assert max_penalty(_plain([[0, 10], [10, 0]])) == DEFAULT_MAX_PENALTY


def test_a_plan_over_a_barred_arc_never_looks_cheap_at_the_cap() -> None:
    """One barred arc is 2**34 s of time warp: at a penalty above ~5.4e8 its cost overflows
    PyVRP's int64 and wraps negative. A stop worth EUR 1,000 would have raised the cap to
    1e10; it stays at the safe penalty, and the barred plan costs more than the empty one."""
    f = FORBIDDEN
    data = _plain([[0, 1_000, f], [1_000, 0, f], [f, f, 0]], prize=10**8, fixed_cost=5 * 10**6)
    cap = max_penalty(data)
    assert cap <= SAFE_PENALTY < 10 * 10**8
    barred, plain = pyvrp.Solution(data, [[0, 1]]), pyvrp.Solution(data, [[0]])
    at_cap = pyvrp.CostEvaluator([], cap, min(cap, RANGE_PENALTY))
    assert at_cap.penalised_cost(barred) > at_cap.penalised_cost(plain) > 0


@pytest.mark.filterwarnings("ignore::pyvrp.exceptions.PenaltyBoundWarning")
def test_a_priced_search_starts_at_the_cost_scale_and_never_passes_the_caps() -> None:
    """Start: a second late or a parcel over costs about a stop's prize; the penalty per
    metre over range stays at most RANGE_PENALTY, where PyVRP's local search does not loop."""
    data = _data(_tight_day(range_m=20_000))
    walk = Walk(data, WorkerParams(seed=1), _routes(data, [10, 10, 10, 10]))
    loads, duration, distance = walk.pm.penalties()
    assert loads == [polish_penalty(data)] * len(loads) and duration == polish_penalty(data)
    assert polish_penalty(data) >= max(c.prize for c in data.clients())
    far = pyvrp.Solution(data, [list(range(40))])  # over capacity and over range
    assert far.excess_load()[1] > 0 and far.excess_distance() > 0
    for _ in range(500 * 12):
        walk.pm.register(far)
    loads, duration, distance = walk.pm.penalties()
    assert max(*loads, duration, distance) <= max_penalty(data) <= SAFE_PENALTY
    assert walk.pm.cost_evaluator().dist_penalty(1, 0) <= RANGE_PENALTY


def test_an_unpriced_search_keeps_pyvrp_s_own_penalties() -> None:
    data = _plain([[0, 10, 20], [10, 0, 15], [20, 15, 0]])
    walk = Walk(data, WorkerParams(seed=1), None)
    assert walk.pm.penalties() == PenaltyParams().midpoint_penalties(data)
    assert type(walk.pm) is PenaltyManager


def _routes(data: pyvrp.ProblemData, sizes: list[int]) -> pyvrp.Solution:
    """Consecutive stops of the ring, ``sizes[k]`` on the k-th route."""
    routes, at = [], 0
    for size in sizes:
        routes.append(list(range(at, at + size)))
        at += size
    return pyvrp.Solution(data, routes)


@pytest.mark.parametrize("penalties", ["scaled", "pyvrp"])
def test_a_search_stuck_over_capacity_ends_up_paying_for_a_route(penalties: str) -> None:
    """With PyVRP's own penalties (cap 100,000), three vans 10 parcels over each stay
    cheaper than opening the fourth (EUR 50): the search warns and stays infeasible. With
    penalties on the data's cost scale the overload costs more than the route."""
    data = _data(_tight_day())
    walk = Walk(data, WorkerParams(seed=1), _routes(data, [10, 10, 10, 10]))
    if penalties == "pyvrp":
        walk.pm = PenaltyManager(PenaltyParams().midpoint_penalties(data))
    overloaded, feasible = _routes(data, [20, 10, 10]), _routes(data, [10, 10, 10, 10])
    assert feasible.is_feasible() and overloaded.excess_load()[1] == 10
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        for _ in range(500 * 12):  # twelve penalty updates, all infeasible
            walk.pm.register(overloaded)
    evaluator = walk.pm.cost_evaluator()
    stays = evaluator.penalised_cost(overloaded) < evaluator.penalised_cost(feasible)
    assert stays == (penalties == "pyvrp")
    if penalties == "pyvrp":
        assert any(issubclass(w.category, PenaltyBoundWarning) for w in got)
