"""What tracking saw places the vans: a late van is where its last scan was, its parcels
still on board, and the re-plan starts it from there; the plan keeps the scans' times."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lastmile.dispatch import commands as c
from lastmile.dispatch import events as ev
from lastmile.dispatch.handlers import DispatchContext
from lastmile.dispatch.replanning import roll_forward
from lastmile.dispatch.state import advance
from lastmile.domain import InvalidInput
from lastmile.planning.solver import RouteResult
from lastmile.planning.validate import check

from .day import HOUR, ORIGIN, plan
from .test_handlers import FAST, Planned, busy_day, start


@pytest.fixture(scope="module")
def planned() -> Planned:
    problem = busy_day()
    return problem, plan(problem)


def first_trip(route: RouteResult) -> list[str]:
    return [x.ref for x in route.visits if x.trip == route.visits[0].trip]


def busy_route(planned: Planned) -> tuple[RouteResult, float]:
    """A route with five stops or more on its first trip, and an hour at which the plan
    has it four stops in."""
    _, result = planned
    route = next(r for r in result.routes if len(first_trip(r)) >= 5)
    return route, (route.visits[3].departure_s + 60) / HOUR


def test_a_late_van_is_where_tracking_saw_it_and_the_re_plan_starts_it_there(
    planned: Planned,
) -> None:
    route, at_h = busy_route(planned)
    bus, ctx, _ = start(planned, at_h)
    first = route.visits[0]
    seen = ORIGIN + timedelta(seconds=first.departure_s + 20 * 60)
    assert (seen - ORIGIN).total_seconds() <= ctx.state.now_s
    out = bus.handle(c.ObserveProgress(done=((first.ref, seen),)))

    [progress] = [e for e in out if isinstance(e, ev.ProgressObserved)]
    assert progress.vehicle_refs == (route.vehicle_ref,) and progress.lags_s == (20 * 60,)
    van = ctx.state.vehicles[route.vehicle_ref]
    assert van.done == (first.ref,) and van.in_progress == route.visits[1].ref
    # The stops the plan had served since are still on board.
    assert {x.ref for x in route.visits[2:5]} <= van.loaded

    # 20 minutes off the plan: the default rules re-plan, from where the van is.
    assert len(ctx.log) == 1 and ctx.last is not None
    rest = ctx.last
    assert check(rest.rest.problem, rest.result.routes, rest.result.unassigned) == []
    day = next(r for r in ctx.state.plan.routes if r.vehicle_ref == route.vehicle_ref)
    assert [x.ref for x in day.visits[:2]] == [first.ref, route.visits[1].ref]
    assert day.visits[0].departure_s == int((seen - ORIGIN).total_seconds())
    assert {x.ref for x in route.visits[2:5]} <= {x.ref for x in day.visits[2:]}

    # Later on, the day reads its history in order: the scanned stop, then the rest.
    later = roll_forward(ctx.state, ctx.state.now_s + 600)
    assert later.vehicles[route.vehicle_ref].done[:1] == (first.ref,)
    assert later.observed == ctx.state.observed

    # An hour on, the van has done more as planned; a re-plan keeps those stops' times
    # (only the history before the scan is bound by it).
    ctx.state = roll_forward(ctx.state, ctx.state.now_s + 3600)
    van = ctx.state.vehicles[route.vehicle_ref]
    times = {x.ref: x.departure_s for r in ctx.state.plan.routes for x in r.visits}
    assert len(van.done) >= 2
    bus.handle(c.Replan(reason="an hour on"))
    day = next(r for r in ctx.state.plan.routes if r.vehicle_ref == route.vehicle_ref)
    for x in day.visits[1 : len(van.done)]:
        assert x.departure_s == times[x.ref]


def test_an_early_van_has_its_seen_stops_done_before_the_plan_says(planned: Planned) -> None:
    route, _ = busy_route(planned)
    bus, ctx, _ = start(planned, (route.visits[1].departure_s + 60) / HOUR)
    ahead = route.visits[3]  # the plan has the van at the third stop
    seen = ORIGIN + timedelta(seconds=ctx.state.now_s - 30)
    bus.handle(c.ObserveProgress(done=((ahead.ref, seen),)))
    van = ctx.state.vehicles[route.vehicle_ref]
    assert van.done == tuple(x.ref for x in route.visits[:4])
    assert van.in_progress == route.visits[4].ref


def test_a_van_seen_on_plan_is_not_re_planned(planned: Planned) -> None:
    route, at_h = busy_route(planned)
    bus, ctx, _ = start(planned, at_h)
    stop = route.visits[2]
    out = bus.handle(
        c.ObserveProgress(done=((stop.ref, ORIGIN + timedelta(seconds=stop.departure_s)),))
    )
    assert [e.lags_s for e in out if isinstance(e, ev.ProgressObserved)] == [(0,)]
    assert ctx.log == []


def test_what_tracking_cannot_have_seen_is_refused_naming_it(planned: Planned) -> None:
    route, at_h = busy_route(planned)
    bus, ctx, _ = start(planned, at_h)
    with pytest.raises(InvalidInput, match="'NOPE'"):
        bus.handle(c.ObserveProgress(done=(("NOPE", ORIGIN),)))
    future = ORIGIN + timedelta(seconds=ctx.state.now_s + 60)
    with pytest.raises(InvalidInput, match="after the day's time") as caught:
        bus.handle(c.ObserveProgress(done=((route.visits[0].ref, future),)))
    assert caught.value.field == "done"
    assert ctx.state.observed == {}


def test_a_day_with_scans_replays_to_the_same_day(planned: Planned) -> None:
    from lastmile.dispatch.replay import Step, replay, run
    from lastmile.planning.pyvrp_solver import PyVRPSolver
    from lastmile.planning.solver import from_domain

    from .test_replay import snapshot

    problem, result = planned
    route, at_h = busy_route(planned)
    first = result.to_domain(problem, "first", "2026-03-02")
    live = DispatchContext(advance(problem, from_domain(problem, first), 0), PyVRPSolver(), FAST)
    seen = ORIGIN + timedelta(seconds=route.visits[0].departure_s + 25 * 60)
    steps = []
    for n, (cmd, h) in enumerate(
        [
            (c.ObserveProgress(done=((route.visits[0].ref, seen),)), at_h),
            (c.ReportDelay(vehicle_ref=route.vehicle_ref, delay_s=60), at_h),
            (c.Replan(reason="later"), at_h + 0.5),
        ],
        start=1,
    ):
        outcome = run(live, cmd, int(h * HOUR))
        plans = tuple(
            p.to_domain(live.state.problem, f"p{n}-{k}", "2026-03-02")
            for k, p in enumerate(outcome.plans)
        )
        if plans:
            live.state.plan = from_domain(live.state.problem, plans[-1])
        steps.append(Step(n, int(h * HOUR), cmd, plans, outcome.facts))
    fresh = DispatchContext(advance(problem, from_domain(problem, first), 0), PyVRPSolver(), FAST)
    assert snapshot(replay(fresh, steps).state) == snapshot(live.state)


def test_a_van_seen_arriving_late_is_serving_that_stop_and_re_planned_from_it(
    planned: Planned,
) -> None:
    """A geofence (or the driver's "arrived" scan) says where a van is before any scan of
    a delivery: 25 minutes late at its third stop, it serves it from then, the two stops
    before it are done, and the re-plan keeps its arrival time."""
    problem, _ = planned
    route, at_h = busy_route(planned)
    bus, ctx, _ = start(planned, at_h + 0.5)
    here = route.visits[2]
    came = ORIGIN + timedelta(seconds=here.arrival_s + 25 * 60)
    came_s = here.arrival_s + 25 * 60
    assert came_s <= ctx.state.now_s
    out = bus.handle(c.ObserveProgress(done=(), arrived=((here.ref, came),)))

    [progress] = [e for e in out if isinstance(e, ev.ProgressObserved)]
    assert progress.stop_refs == (here.ref,) and progress.lags_s == (25 * 60,)
    van = ctx.state.vehicles[route.vehicle_ref]
    assert van.done == (route.visits[0].ref, route.visits[1].ref)
    assert van.in_progress == here.ref and here.ref not in van.loaded
    assert {x.ref for x in route.visits[3:5]} <= van.loaded
    service = problem.jobs[here.job].service_s
    assert van.free_s == max(ctx.state.now_s, came_s + service)

    assert len(ctx.log) == 1 and ctx.last is not None
    rest = ctx.last
    assert check(rest.rest.problem, rest.result.routes, rest.result.unassigned) == []
    day = next(r for r in ctx.state.plan.routes if r.vehicle_ref == route.vehicle_ref)
    assert [x.ref for x in day.visits[:3]] == [x.ref for x in route.visits[:3]]
    assert day.visits[2].arrival_s == came_s and day.visits[2].departure_s == van.free_s
    # The stops before it were left no later than it was reached, in order.
    assert day.visits[1].departure_s <= came_s
    times = [x.departure_s for x in day.visits]
    assert times == sorted(times)


def test_a_stop_seen_done_after_the_van_arrived_moves_it_on(planned: Planned) -> None:
    route, at_h = busy_route(planned)
    bus, ctx, _ = start(planned, at_h)
    here = route.visits[1]
    came = ORIGIN + timedelta(seconds=here.arrival_s)
    left = ORIGIN + timedelta(seconds=here.departure_s)
    bus.handle(c.ObserveProgress(done=(), arrived=((here.ref, came),)))
    assert ctx.state.vehicles[route.vehicle_ref].in_progress == here.ref
    bus.handle(c.ObserveProgress(done=((here.ref, left),)))
    van = ctx.state.vehicles[route.vehicle_ref]
    assert van.done[-1] == here.ref and van.in_progress == route.visits[2].ref
    # Arriving later than now is refused, naming the field.
    future = ORIGIN + timedelta(seconds=ctx.state.now_s + 60)
    with pytest.raises(InvalidInput, match="seen arrived") as caught:
        bus.handle(c.ObserveProgress(done=(), arrived=((route.visits[3].ref, future),)))
    assert caught.value.field == "arrived"
