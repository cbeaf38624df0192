"""Events of the street through the bus: each edits the day, the rules decide on a re-plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from lastmile.bootstrap import memory_uow_factory
from lastmile.dispatch import commands as c
from lastmile.dispatch import events as ev
from lastmile.dispatch.bus import MessageBus
from lastmile.dispatch.handlers import DispatchContext
from lastmile.dispatch.replan import ReplanPolicy
from lastmile.dispatch.replanning import dispatch_bus
from lastmile.dispatch.rules import parse_rules
from lastmile.dispatch.state import DayState, advance
from lastmile.domain import Conflict, InvalidInput, Zone
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.solver import PlanResult
from lastmile.planning.validate import check
from lastmile.store.memory import InMemoryDatabase

from .day import HOUR, ORIGIN, day, plan, point, van

FAST = ReplanPolicy(time_limit_s=0.3, workers=1, seed=2)
Planned = tuple[PlanningProblem, PlanResult]


def busy_day() -> PlanningProblem:
    """30 stops, three vans of 12 parcels (all needed) and a spare van."""
    problem = day(30, 3, windows=True)
    vans = tuple(replace(v, capacity=(10**9, 10**9, 12)) for v in problem.vehicles)
    spare = replace(van("SPARE", 2, 12, 12), fixed_cost_cents=10**6)
    return replace(problem, vehicles=(*vans, spare))


@pytest.fixture(scope="module")
def planned() -> Planned:
    problem = busy_day()
    return problem, plan(problem)


def start(
    planned: Planned, at_h: float = 5
) -> tuple[MessageBus, DispatchContext, InMemoryDatabase]:
    problem, result = planned
    state = advance(problem, result, int(at_h * HOUR))
    ctx = DispatchContext(state, PyVRPSolver(), FAST)
    db = InMemoryDatabase()
    return dispatch_bus(ctx, memory_uow_factory(db)), ctx, db


def under_way_h(result: PlanResult, vans: int) -> float:
    """The first hour of the plan at which ``vans`` vans are out with parcels still on board
    (the plan's shape, not a fixed hour, decides when that is)."""
    spans = []
    for r in result.routes:
        trip = [x for x in r.visits if x.trip == r.visits[0].trip] if r.visits else []
        if len(trip) >= 2:
            spans.append((r.start_s, trip[-2].departure_s))
    for t in sorted(a for a, _ in spans):
        if sum(a <= t < b for a, b in spans) >= vans:
            return t / HOUR
    raise AssertionError(f"the plan never has {vans} vans out at once")


def on_road(state: DayState) -> list[str]:
    return [v.ref for v in state.vehicles.values() if not v.at_hub and v.loaded]


def served_by(ctx: DispatchContext) -> dict[str, str]:
    assert ctx.last is not None
    return {x.ref: r.vehicle_ref for r in ctx.last.result.routes for x in r.visits}


def assert_valid(ctx: DispatchContext) -> None:
    assert ctx.last is not None
    rest = ctx.last
    assert check(rest.rest.problem, rest.result.routes, rest.result.unassigned) == []


def test_a_cancelled_stop_disappears_from_every_route(planned: Planned) -> None:
    bus, ctx, _ = start(planned, under_way_h(planned[1], 1))
    van_ref = on_road(ctx.state)[0]
    loaded = sorted(ctx.state.vehicles[van_ref].loaded)[0]
    waiting = next(r for r in ctx.state.open_jobs() if ctx.state.carrier(r) is None)
    for ref in (loaded, waiting):
        bus.handle(c.CancelStop(stop_ref=ref))
        assert ref not in served_by(ctx)
        assert ref not in {
            x.ref
            for r in ctx.state.plan.routes
            for x in r.visits[len(ctx.state.vehicles[r.vehicle_ref].done) :]
        }
    assert len(ctx.log) == 2
    assert_valid(ctx)


def test_cancelling_a_served_stop_is_a_conflict(planned: Planned) -> None:
    bus, ctx, _ = start(planned)
    served = next(iter(ctx.state.served()))
    with pytest.raises(Conflict):
        bus.handle(c.CancelStop(stop_ref=served))


def test_a_failed_attempt_is_tried_again_later_the_same_day_on_the_same_van(
    planned: Planned,
) -> None:
    bus, ctx, _ = start(planned, under_way_h(planned[1], 1))
    v = next(s for s in ctx.state.vehicles.values() if s.in_progress and s.loaded)
    ref = v.in_progress
    assert ref is not None
    job = ctx.state.job(ref)
    bus.handle(c.RecordFailedAttempt(stop_ref=ref, reason="nobody home", retry_after_s=600))
    retry = ctx.state.now_s + 600
    if any(b >= retry for _, b in job.windows):
        assert served_by(ctx).get(ref) == v.ref
        visit = next(x for r in ctx.last.result.routes for x in r.visits if x.ref == ref)  # type: ignore[union-attr]
        assert visit.service_start_s >= retry
    else:
        assert "nobody home" in ctx.state.deferred[ref]
    assert_valid(ctx)


def test_a_failed_attempt_without_a_window_left_moves_to_tomorrow_with_its_reason(
    planned: Planned,
) -> None:
    bus, ctx, db = start(planned)
    v = next(s for s in ctx.state.vehicles.values() if s.in_progress)
    ref = v.in_progress
    assert ref is not None
    seen = bus.handle(
        c.RecordFailedAttempt(stop_ref=ref, reason="gate locked", retry_after_s=12 * HOUR)
    )
    deferred = [e for e in seen if isinstance(e, ev.StopDeferred)]
    assert [e.stop_ref for e in deferred] == [ref]
    assert "gate locked" in deferred[0].reason
    assert ref not in served_by(ctx)
    assert any(m.event_type == "StopDeferred" for m in db.outbox)


def test_a_breakdown_sends_the_parcels_back_to_the_hub_ready_again_later(planned: Planned) -> None:
    bus, ctx, _ = start(planned, under_way_h(planned[1], 1))
    broken = on_road(ctx.state)[0]
    parcels = set(ctx.state.vehicles[broken].loaded)
    bus.handle(c.ReportBreakdown(vehicle_ref=broken, back_to_hub_s=1800))
    routes = served_by(ctx)
    assert broken not in routes.values()
    for ref in parcels:
        assert ctx.state.carrier(ref) is None
        assert ctx.state.job(ref).release_s >= ctx.state.now_s + 1800
    assert_valid(ctx)


def test_a_breakdown_hands_the_parcels_to_a_rescue_van_and_no_other(planned: Planned) -> None:
    bus, ctx, _ = start(planned, under_way_h(planned[1], 1))
    broken = on_road(ctx.state)[0]
    parcels = set(ctx.state.vehicles[broken].loaded)
    bus.handle(c.ReportBreakdown(vehicle_ref=broken, rescue_vehicle_ref="SPARE"))
    for ref, vehicle in served_by(ctx).items():
        if ref in parcels:
            assert vehicle == "SPARE"
    assert parcels & set(served_by(ctx))
    assert_valid(ctx)


def test_a_rescue_van_must_be_free_at_the_hub() -> None:
    busy = busy_day()
    rush = replace(busy, jobs=tuple(replace(j, windows=((2 * HOUR, 5 * HOUR),)) for j in busy.jobs))
    planned = (rush, plan(rush))  # every van out at once
    bus, ctx, _ = start(planned, under_way_h(planned[1], 2))
    broken, other = on_road(ctx.state)[:2]
    with pytest.raises(Conflict):
        bus.handle(c.ReportBreakdown(vehicle_ref=broken, rescue_vehicle_ref=other))


def test_a_new_order_is_planned_from_the_hub_onto_a_van_that_can_load_it(planned: Planned) -> None:
    bus, ctx, _ = start(planned, 2.5)
    window = (ORIGIN + timedelta(hours=6), ORIGIN + timedelta(hours=10))
    bus.handle(
        c.AddStopToDay(stop_ref="NEW1", hub_ref="H1", location=point(1.0, 1.0), windows=(window,))
    )
    vehicle = served_by(ctx).get("NEW1")
    assert vehicle is not None and ctx.state.vehicles[vehicle].at_hub
    assert_valid(ctx)


def test_a_new_order_at_an_unknown_hub_is_refused_naming_the_hub(planned: Planned) -> None:
    bus, _, _ = start(planned)
    with pytest.raises(InvalidInput, match="hub"):
        bus.handle(c.AddStopToDay(stop_ref="X", hub_ref="NOPE", location=point(0, 0)))


def test_short_delays_and_slips_do_not_re_plan_but_long_ones_do(planned: Planned) -> None:
    bus, ctx, _ = start(planned, 2.5)
    vehicle = next(iter(ctx.state.vehicles))
    bus.handle(c.ReportDelay(vehicle_ref=vehicle, delay_s=5 * 60))
    assert ctx.log == []
    bus.handle(c.ReportDelay(vehicle_ref=vehicle, delay_s=30 * 60))
    assert len(ctx.log) == 1 and ctx.log[0].trigger == "VehicleDelayed"
    waiting = [r for r in ctx.state.open_jobs() if ctx.state.carrier(r) is None][:2]
    soon = ORIGIN + timedelta(seconds=ctx.state.now_s + 10 * 60)
    bus.handle(c.SlipReadiness(stop_refs=tuple(waiting), ready_at=soon))
    assert len(ctx.log) == 1
    later = ORIGIN + timedelta(seconds=ctx.state.now_s + 45 * 60)
    bus.handle(c.SlipReadiness(stop_refs=tuple(waiting), ready_at=later))
    assert len(ctx.log) == 2
    assert_valid(ctx)


def test_a_slowdown_in_a_zone_lengthens_travel_into_it_and_re_plans(planned: Planned) -> None:
    bus, ctx, _ = start(planned)
    ring = tuple(
        (p.lon, p.lat)
        for p in (point(-20, -20), point(20, -20), point(20, 20), point(-20, 20), point(-20, -20))
    )
    zone = Zone(ref="ALL", name="all", polygon=(ring,))
    a, b = ctx.state.problem.points[0], ctx.state.problem.points[1]
    before = ctx.state.problem.provider.matrix([a, b], [a, b]).durations_s[0, 1]
    bus.handle(c.ReportSlowdown(zone=zone, factor=2.0))
    after = ctx.state.problem.provider.matrix([a, b], [a, b]).durations_s[0, 1]
    assert after == pytest.approx(2 * before, abs=1)
    assert len(ctx.log) == 1
    assert_valid(ctx)


def test_every_re_plan_is_recorded_in_the_outbox_with_what_changed_and_why(
    planned: Planned,
) -> None:
    bus, ctx, db = start(planned)
    waiting = [r for r in ctx.state.open_jobs() if ctx.state.carrier(r) is None]
    bus.handle(c.CancelStop(stop_ref=waiting[0], reason="customer moved"))
    bus.handle(c.Replan(reason="dispatcher asked", trigger="manual"))
    stored = [m for m in db.outbox if m.event_type == "Replanned"]
    assert len(stored) == len(ctx.log) == 2
    assert [m.payload["reason"] for m in stored][1] == "dispatcher asked"
    assert "StopCancelled" in stored[0].payload["reason"]
    assert all(isinstance(m.payload["changes"], list) for m in stored)


def test_fast_filling_slots_let_the_zones_waiting_vans_leave_earlier_and_re_plan(
    planned: Planned,
) -> None:
    bus, ctx, _ = start(planned, 2.5)
    ctx.rules = parse_rules(
        {
            "rules": [
                {
                    "name": "early",
                    "event": "slots_filling",
                    "above": 10,
                    "then": "dispatch_wave_early",
                    "by_min": 30,
                },
                {"name": "then re-plan", "event": "wave_dispatched_early", "then": "replan"},
            ]
        }
    )
    waiting = next(v for v in ctx.state.vehicles.values() if v.at_hub and v.free_s > 4 * HOUR)
    route = next(r for r in ctx.state.plan.routes if r.vehicle_ref == waiting.ref)
    zone = tuple(x.ref for x in route.visits)
    bus.handle(c.ObserveSlots(zone_ref="Z", filled_per_hour=4, stop_refs=zone))
    assert ctx.log == []
    seen = bus.handle(c.ObserveSlots(zone_ref="Z", filled_per_hour=15, stop_refs=zone))
    early = [e for e in seen if isinstance(e, ev.WaveDispatchedEarly)]
    assert early and waiting.ref in early[0].vehicle_refs
    assert ctx.state.vehicles[waiting.ref].free_s == waiting.free_s - 1800
    assert len(ctx.log) == 1
    assert_valid(ctx)


def test_a_new_order_keeps_its_readiness_and_skills_for_the_re_plan(planned: Planned) -> None:
    from lastmile.domain import Skill

    bus, ctx, _ = start(planned, 2.5)
    window = (ORIGIN + timedelta(hours=6), ORIGIN + timedelta(hours=10))
    ready = ORIGIN + timedelta(hours=5)
    bus.handle(
        c.AddStopToDay(
            stop_ref="NEW2", hub_ref="H1", location=point(1.0, 1.0), windows=(window,),
            ready_at=ready, skills=frozenset({Skill.AGE_CHECK}),
        )
    )  # fmt: skip
    job = ctx.state.job("NEW2")
    assert job.release_s == 5 * HOUR
    assert job.skills == frozenset({Skill.AGE_CHECK})
