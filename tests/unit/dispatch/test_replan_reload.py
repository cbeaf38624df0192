"""A van on the road keeps its later trips: after its load it reloads at the hub."""

from __future__ import annotations

import logging
import multiprocessing
from dataclasses import replace

import pytest

from lastmile.dispatch.replan import ReplanPolicy, replan
from lastmile.dispatch.replan_problem import rest_of_day
from lastmile.dispatch.state import DayState, advance
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.solver import PlanResult, SolveOptions
from lastmile.planning.validate import check

from .day import HOUR, day, plan

FAST = ReplanPolicy(time_limit_s=0.5, workers=1, seed=3)


@pytest.fixture(scope="module")
def morning() -> tuple[PlanningProblem, PlanResult]:
    # two vans of six parcels a trip, four trips a day: the 30 stops need several trips
    problem = day(30, 2)
    vans = tuple(replace(v, capacity=(10**9, 10**9, 6), max_trips=4) for v in problem.vehicles)
    problem = replace(problem, vehicles=vans)
    first = plan(problem, 1.0)
    assert first.served == 30
    return problem, first


def _on_the_road_with_trips_to_come(problem: PlanningProblem, first: PlanResult) -> DayState:
    """The first moment (by quarter hours) a van is out with parcels and has trips planned
    after this one."""
    for quarter in range(8, 60):
        state = advance(problem, first, quarter * HOUR // 4)
        for route in first.routes:
            s = state.vehicles[route.vehicle_ref]
            trips = {v.trip for v in route.visits if v.ref not in state.locked()}
            if not s.at_hub and s.loaded and len(trips) > 1:
                return state
    raise AssertionError("the day never has a van out with trips to come")


def test_the_van_gets_its_later_trips_from_the_hub_after_its_load(
    morning: tuple[PlanningProblem, PlanResult],
) -> None:
    state = _on_the_road_with_trips_to_come(*morning)
    rest = rest_of_day(state)
    p = rest.problem
    assert rest.after_load, "a van on the road with trips to come gets a vehicle for them"
    for later, load in rest.after_load.items():
        after, van = p.vehicles[later], p.vehicles[load]
        assert after.ref == van.ref + "+"
        assert p.hubs[after.start_hub].ref in rest.hub_refs  # at the real hub, reloading there
        assert p.hubs[van.start_hub].ref not in rest.hub_refs  # the load leaves from the road
        assert van.latest_end_s == after.shift_start_s  # the load is back before it leaves
        assert after.max_trips < morning[0].vehicles[0].max_trips  # trips made count
        assert rest.day_vehicle[later] == rest.day_vehicle[load]
        # only the van itself delivers what it carries, and never on a later trip
        assert not any(after.serves(j) for j in p.jobs if state.carrier(j.ref) == van.ref)


def test_a_replan_with_nothing_new_keeps_every_stop_the_plan_had(
    morning: tuple[PlanningProblem, PlanResult],
) -> None:
    # before, the van's later trips fell to the vans at the hub, or out of the day
    state = _on_the_road_with_trips_to_come(*morning)
    planned = {v.ref for r in state.plan.routes for v in r.visits} - state.locked()
    result = replan(state, PyVRPSolver(), FAST)
    served = {v.ref for r in result.result.routes for v in r.visits}
    assert served == planned
    assert check(result.rest.problem, result.result.routes, result.result.unassigned) == []
    assert not [c for c in result.changes if c.kind == "moved"]


def test_the_days_plan_runs_the_load_then_the_later_trips_on_one_van(
    morning: tuple[PlanningProblem, PlanResult],
) -> None:
    problem, _ = morning
    state = _on_the_road_with_trips_to_come(*morning)
    result = replan(state, PyVRPSolver(), FAST)
    refs = [r.vehicle_ref for r in result.day_plan.routes]
    assert len(refs) == len(set(refs)) and all(not ref.endswith("+") for ref in refs)
    out_again = 0
    for route in result.day_plan.routes:
        s = state.vehicles[route.vehicle_ref]
        trips = [v.trip for v in route.visits]
        assert trips == sorted(trips)
        assert len(set(trips)) <= problem.vehicles[route.vehicle].max_trips
        if s.at_hub:
            continue
        aboard = [v for v in route.visits if v.ref in s.loaded]
        later = [v for v in route.visits if v.trip > trips[len(s.done)]]
        assert all(v.trip == trips[len(s.done)] for v in aboard)
        if aboard and later:
            out_again += 1
            assert max(v.departure_s for v in aboard) < min(v.arrival_s for v in later)
    assert out_again, "a van delivers its load, then goes out again"
    # the next moment reads the plan like any other
    later_state = advance(problem, result.day_plan, state.now_s + HOUR)
    assert later_state.served() >= state.served()


def test_a_van_back_at_the_hub_has_only_the_trips_it_has_not_made(
    morning: tuple[PlanningProblem, PlanResult],
) -> None:
    problem, first = morning
    busiest = max(first.routes, key=lambda r: len({v.trip for v in r.visits}))
    first_trip = [v for v in busiest.visits if v.trip == 0]
    # between its first and second trip the van is at the hub
    state = advance(problem, first, first_trip[-1].departure_s + 1)
    assert state.vehicles[busiest.vehicle_ref].at_hub
    rest = rest_of_day(state)
    spec = next(v for v in rest.problem.vehicles if v.ref == busiest.vehicle_ref)
    assert spec.max_trips == problem.vehicles[busiest.vehicle].max_trips - 1


def test_a_van_that_made_all_its_trips_is_done_for_the_day() -> None:
    problem = day(12, 1)
    vans = tuple(replace(v, capacity=(10**9, 10**9, 6), max_trips=2) for v in problem.vehicles)
    problem = replace(problem, vehicles=vans)
    first = plan(problem, 0.5)
    route = first.routes[0]
    assert {v.trip for v in route.visits} == {0, 1}
    state = advance(problem, first, route.end_s + 60)
    assert all(v.ref != route.vehicle_ref for v in rest_of_day(state).problem.vehicles)


class _FailsAside:
    """PyVRP, except in a side (daemon) process, where it fails."""

    name = "fails-aside"

    def solve(self, problem: PlanningProblem, options: SolveOptions) -> PlanResult:
        if multiprocessing.current_process().daemon:
            raise RuntimeError("no search here")
        return PyVRPSolver().solve(problem, options)


def test_loads_keep_their_order_when_the_side_process_fails(
    morning: tuple[PlanningProblem, PlanResult], caplog: pytest.LogCaptureFixture
) -> None:
    # the loads of vans on the road are sequenced aside while the hub part searches
    state = _on_the_road_with_trips_to_come(*morning)
    with caplog.at_level(logging.WARNING, logger="lastmile.dispatch.replan_split"):
        result = replan(state, _FailsAside(), FAST)
    assert "they keep their order" in caplog.text
    planned = {v.ref for r in state.plan.routes for v in r.visits} - state.locked()
    assert {v.ref for r in result.result.routes for v in r.visits} == planned
    assert check(result.rest.problem, result.result.routes, result.result.unassigned) == []
    p = result.rest.problem
    warm = {plan.vehicle: plan.jobs for plan in result.rest.warm}
    road = [
        r
        for r in result.result.routes
        if p.hubs[p.vehicles[r.vehicle].start_hub].ref not in result.rest.hub_refs
    ]
    assert road
    for route in road:
        assert tuple(v.job for v in route.visits) == warm[route.vehicle]


def test_a_stop_no_van_can_take_any_more_names_the_vans_and_why() -> None:
    from datetime import timedelta

    from lastmile.bootstrap import memory_uow_factory
    from lastmile.dispatch import commands as c
    from lastmile.dispatch.handlers import DispatchContext
    from lastmile.dispatch.replanning import dispatch_bus
    from lastmile.dispatch.rules import RuleSet
    from lastmile.domain import Skill

    from .day import ORIGIN, point

    # one trip a day each; the second van starts an hour after the first
    problem = day(12, 2)
    first_van, second_van = problem.vehicles
    second_van = replace(second_van, shift_start_s=first_van.shift_start_s + HOUR)
    vans = tuple(replace(v, capacity=(10**9, 10**9, 6)) for v in (first_van, second_van))
    problem = replace(problem, vehicles=vans)
    first = plan(problem, 0.5)
    assert first.served == 12
    ends = {r.vehicle_ref: r for r in first.routes}
    back = ends["V0"].end_s + 60
    assert ends["V1"].start_s < back < ends["V1"].end_s, "V1 is out when V0 is back"
    state = advance(problem, first, back)
    ctx = DispatchContext(state, PyVRPSolver(), FAST, rules=RuleSet(()))
    bus = dispatch_bus(ctx, memory_uow_factory())
    window = (ORIGIN + timedelta(seconds=back + HOUR), ORIGIN + timedelta(seconds=back + 4 * HOUR))
    bus.handle(
        c.AddStopToDay(stop_ref="NEW", hub_ref="H1", location=point(1.0, 1.0), windows=(window,))
    )
    bus.handle(c.Replan(reason="a new order", trigger="test"))
    left = {u.ref: u for u in ctx.state.plan.unassigned}
    assert left["NEW"].reason.value == "no_vehicle"
    assert left["NEW"].detail == (
        "every vehicle from H1 that may serve it is out "
        "(made all its trips: V0; on its last trip: V1)"
    )
    bus.handle(c.ReportBreakdown(vehicle_ref="V1"))
    bus.handle(c.Replan(reason="a breakdown", trigger="test"))
    left = {u.ref: u for u in ctx.state.plan.unassigned}
    assert left["NEW"].detail.endswith("(made all its trips: V0; broke down: V1)")
    # no vehicle of the hub could ever serve this one: that, not who is out, is the reason
    bus.handle(
        c.AddStopToDay(
            stop_ref="AGE", hub_ref="H1", location=point(1.0, 1.0), windows=(window,),
            skills=frozenset({Skill.AGE_CHECK}),
        )
    )  # fmt: skip
    bus.handle(c.Replan(reason="a new order", trigger="test"))
    left = {u.ref: u for u in ctx.state.plan.unassigned}
    assert (left["AGE"].reason.value, left["AGE"].detail) == (
        "skill",
        "no vehicle from H1 has age_check",
    )


def test_the_later_trips_leave_when_a_better_order_brings_the_van_back(
    morning: tuple[PlanningProblem, PlanResult],
) -> None:
    import random

    state = _on_the_road_with_trips_to_come(*morning)
    # the van's load in a shuffled order: the re-plan sequences it better, so the van is
    # back before the moment its later trips were planned from
    van = next(r for r in state.plan.routes if state.vehicles[r.vehicle_ref].loaded)
    aboard = state.vehicles[van.vehicle_ref].loaded
    at = [k for k, v in enumerate(van.visits) if v.ref in aboard]
    shuffled = [van.visits[k] for k in at]
    random.Random(0).shuffle(shuffled)
    visits = list(van.visits)
    for k, visit in zip(at, shuffled, strict=True):
        visits[k] = visit
    routes = [replace(r, visits=visits) if r is van else r for r in state.plan.routes]
    state.plan = replace(state.plan, routes=routes)
    planned_from = {
        v.ref: v.shift_start_s for v in rest_of_day(state).problem.vehicles if v.ref.endswith("+")
    }
    result = replan(state, PyVRPSolver(), FAST)
    p, routes_now = result.rest.problem, {r.vehicle: r for r in result.result.routes}
    assert check(p, result.result.routes, result.result.unassigned) == []
    earlier = 0
    for later, load in result.rest.after_load.items():
        if later not in routes_now or load not in routes_now:
            continue
        back, leaves = routes_now[load].end_s, routes_now[later].start_s
        assert back <= leaves <= planned_from[p.vehicles[later].ref]
        earlier += leaves < planned_from[p.vehicles[later].ref]
    assert earlier, "a van back early leaves early for its later trips"
