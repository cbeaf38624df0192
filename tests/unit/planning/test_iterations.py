"""A search bounded by iterations, not time, gives the same plan on every run."""

from __future__ import annotations

from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.solver import SolveOptions
from lastmile.planning.validate import check
from tests.unit.planning.factory import problem, ring, stop, van


def test_an_iteration_bounded_search_is_the_same_plan_every_time() -> None:
    stops = [stop(f"S{i}", p, window=(1, 8)) for i, p in enumerate(ring(40, 4.0))]
    day = problem(stops, [van("V1", parcels=15), van("V2", parcels=15), van("V3", parcels=15)])
    options = SolveOptions(time_limit_s=60.0, seed=7, workers=1, max_iterations=300)
    first = PyVRPSolver().solve(day, options)
    second = PyVRPSolver().solve(day, options)
    assert [r.plan() for r in first.routes] == [r.plan() for r in second.routes]
    assert first.cost_cents == second.cost_cents
    assert check(day, first.routes, first.unassigned) == []
    assert first.runtime_s < 30  # the 60 s limit did not set the pace
