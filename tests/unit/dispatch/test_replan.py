"""Re-planning a day in progress: history fixed, vehicles from where they are, loads kept."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lastmile.dispatch.replan import ReplanPolicy, next_stop_changes, replan
from lastmile.dispatch.replan_problem import rest_of_day
from lastmile.dispatch.state import DayState, advance
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.solver import SolveOptions
from lastmile.planning.validate import check

from .day import HOUR, day, plan

FAST = ReplanPolicy(time_limit_s=0.4, workers=1, seed=3)


@pytest.fixture(scope="module")
def midday() -> DayState:
    problem = day(30, 3, windows=True)
    return advance(problem, plan(problem), int(5 * HOUR))


def test_served_and_under_way_stops_stay_first_and_unchanged_in_the_days_plan(
    midday: DayState,
) -> None:
    result = replan(midday, PyVRPSolver(), FAST)
    old = {r.vehicle_ref: r for r in midday.plan.routes}
    for route in result.day_plan.routes:
        state = midday.vehicles[route.vehicle_ref]
        history = [*state.done, *([state.in_progress] if state.in_progress else [])]
        assert [v.ref for v in route.visits[: len(history)]] == history
        kept = [v for v in old[route.vehicle_ref].visits if v.ref in history]
        assert route.visits[: len(history)] == kept
    assert not set(midday.locked()) & {v.ref for r in result.result.routes for v in r.visits}


def test_every_vehicle_starts_from_where_it_is_and_when_it_is_free(midday: DayState) -> None:
    result = replan(midday, PyVRPSolver(), FAST)
    problem = result.rest.problem
    for route in result.result.routes:
        spec = problem.vehicles[route.vehicle]
        state = midday.vehicles[spec.ref]
        assert problem.points[problem.hubs[spec.start_hub].point] == state.point
        assert route.start_s >= state.free_s


def test_a_loaded_parcel_stays_on_its_van(midday: DayState) -> None:
    result = replan(midday, PyVRPSolver(), FAST)
    for route in result.result.routes:
        for visit in route.visits:
            carrier = midday.carrier(visit.ref)
            assert carrier in (None, route.vehicle_ref)


def test_the_rest_of_the_day_passes_the_independent_checker(midday: DayState) -> None:
    result = replan(midday, PyVRPSolver(), FAST)
    assert check(result.rest.problem, result.result.routes, result.result.unassigned) == []


def test_next_stop_changes_count_positions_that_differ() -> None:
    assert next_stop_changes(["a", "b", "c"], ["a", "c", "b"], 3) == 2
    assert next_stop_changes(["a", "b"], ["a", "b", "c"], 3) == 1
    assert next_stop_changes([], [], 3) == 0


def test_a_van_on_the_road_delivers_only_what_it_carries_when_stops_name_no_hub() -> None:
    # stops imported without a hub may go out from any hub, but not from a van's seat on
    # the road; small vans leave parcels at the hub for a later van
    problem = day(30, 3, windows=True)
    problem = replace(
        problem,
        jobs=tuple(replace(j, hub=None) for j in problem.jobs),
        vehicles=tuple(replace(v, capacity=(10**9, 10**9, 8)) for v in problem.vehicles),
    )
    state = advance(problem, plan(problem), int(4 * HOUR))
    rest = rest_of_day(state)
    p = rest.problem
    road = [v for v in p.vehicles if p.hubs[v.start_hub].ref not in rest.hub_refs]
    waiting = [j for j in p.jobs if j.from_hub and state.carrier(j.ref) is None]
    assert road and waiting, "the day needs a van on the road and parcels still at the hub"
    assert not any(v.serves(j) for v in road for j in waiting)
    # neither the re-plan nor a full solve of the rest of the day hands them to that van
    full = PyVRPSolver().solve(p, SolveOptions(time_limit_s=0.4, workers=1, seed=3))
    for routes in (replan(state, PyVRPSolver(), FAST).result.routes, full.routes):
        for route in routes:
            if p.vehicles[route.vehicle] in road:
                assert all(state.carrier(v.ref) == route.vehicle_ref for v in route.visits)
