"""A priced, over-subscribed day is searched from a feasible plan that already serves what
fits, and the search improves on it: at PyVRP's default penalties, far below the encoding's
cost scale (a stop's prize is tens of millions of thousandths of a cent), a search from
PyVRP's random start stayed infeasible and the plan fell back to the greedy construction,
and a search from the polished plan never found a better feasible one."""

from __future__ import annotations

import random

from lastmile.planning.assemble import assemble
from lastmile.planning.construct import construct
from lastmile.planning.diagnose import precheck
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.pyvrp_penalty import polish
from lastmile.planning.pyvrp_solver import PyVRPSolver, decode, encode, warm_start
from lastmile.planning.solver import SolveOptions
from lastmile.planning.validate import check
from tests.unit.planning.factory import point, problem, stop, van


def _over_subscribed_day() -> PlanningProblem:
    """150 stops with 2-hour windows in a 12 km square for three vans over 8 hours: about
    100 fit, and every van costs EUR 50 a day."""
    rng = random.Random(4)
    stops = []
    for i in range(150):
        opens = rng.uniform(0, 6)
        where = point(rng.uniform(-6, 6), rng.uniform(-6, 6))
        stops.append(stop(f"S{i}", where, window=(opens, opens + 2), service_s=300))
    vans = [van(f"V{k}", parcels=40, fixed_cost_cents=5_000) for k in range(3)]
    return problem(stops, vans, day=(0, 8))


def test_the_search_serves_clearly_more_than_the_greedy_plan_and_for_less() -> None:
    day = _over_subscribed_day()
    jobs, _ = precheck(day)
    greedy, _ = assemble(day, construct(day, jobs))
    greedy_served = sum(len(r.visits) for r in greedy)
    options = SolveOptions(time_limit_s=60.0, seed=1, workers=1, max_iterations=200)
    result = PyVRPSolver().solve(day, options)
    assert check(day, result.routes, result.unassigned) == []
    assert result.served >= greedy_served + 10
    assert result.cost_cents <= sum(r.cost_cents for r in greedy)


def test_polishing_the_greedy_plan_keeps_it_feasible_and_adds_stops() -> None:
    day = _over_subscribed_day()
    jobs, _ = precheck(day)
    encoded = encode(day, jobs)
    start = warm_start(encoded, construct(day, jobs))
    polished = polish(encoded.data, start, seed=1)
    assert start.is_feasible() and polished.is_feasible()
    assert polished.num_clients() >= start.num_clients() + 10


def test_the_search_serves_more_than_its_polished_start_at_the_same_budget() -> None:
    """Its penalties start at the cost scale: before, every seed and budget from 100 to 500
    iterations returned the polished start itself (116 stops)."""
    day = _over_subscribed_day()
    jobs, _ = precheck(day)
    encoded = encode(day, jobs)
    polished = polish(encoded.data, warm_start(encoded, construct(day, jobs)), seed=1)
    start, _ = assemble(day, *decode(encoded, polished))
    options = SolveOptions(time_limit_s=60.0, seed=1, workers=1, max_iterations=200)
    result = PyVRPSolver().solve(day, options)
    assert check(day, result.routes, result.unassigned) == []
    assert result.served >= sum(len(r.visits) for r in start) + 3
    assert result.cost_cents <= sum(r.cost_cents for r in start)
