"""Invariants over random days and random event sequences."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lastmile.bootstrap import memory_uow_factory
from lastmile.dispatch import commands as c
from lastmile.dispatch.bus import MessageBus
from lastmile.dispatch.handlers import DispatchContext
from lastmile.dispatch.replan import Replan, ReplanPolicy
from lastmile.dispatch.replanning import dispatch_bus
from lastmile.dispatch.state import DayState, advance
from lastmile.domain.events import Command
from lastmile.planning.pyvrp_solver import PyVRPSolver
from lastmile.planning.validate import check
from lastmile.store.memory import InMemoryDatabase

from .day import HOUR, ORIGIN, day, plan, point

KINDS = ("cancel", "delay", "fail", "breakdown", "rescue", "new")


def command(kind: str, state: DayState, pick: int) -> Command | None:
    """A valid command of this kind for the state, or None when there is none to make."""
    vehicles = list(state.vehicles.values())
    on_road = [v for v in vehicles if not v.at_hub and not v.broken]
    at_hub = [v for v in vehicles if v.at_hub and not v.broken]
    open_ = state.open_jobs()
    if kind == "cancel" and open_:
        return c.CancelStop(stop_ref=open_[pick % len(open_)])
    if kind == "delay" and on_road:
        return c.ReportDelay(vehicle_ref=on_road[pick % len(on_road)].ref, delay_s=40 * 60)
    tried = [v for v in vehicles if v.in_progress]
    if kind == "fail" and tried:
        ref = tried[pick % len(tried)].in_progress
        assert ref is not None
        return c.RecordFailedAttempt(stop_ref=ref, reason="no answer", retry_after_s=900)
    if kind == "breakdown" and on_road:
        return c.ReportBreakdown(vehicle_ref=on_road[pick % len(on_road)].ref)
    if kind == "rescue" and on_road and at_hub:
        return c.ReportBreakdown(
            vehicle_ref=on_road[pick % len(on_road)].ref,
            rescue_vehicle_ref=at_hub[pick % len(at_hub)].ref,
        )
    if kind == "new":
        start = ORIGIN + timedelta(seconds=state.now_s + 1800)
        return c.AddStopToDay(
            stop_ref=f"N{len(state.new)}",
            hub_ref="H1",
            location=point(pick % 7 - 3, pick % 5 - 2),
            windows=((start, start + timedelta(hours=5)),),
        )
    return None


def observation(state: DayState, pick: int) -> Command | None:
    """Tracking saw a van complete one of its stops, or arrive at one, up to half an hour
    before now; or its GPS track has it on its way to a stop it carries, there up to half
    an hour from now."""
    vans = [v for v in state.vehicles.values() if not v.broken]
    if pick % 3 == 2:
        ahead = [r for v in vans if not v.at_hub for r in (v.in_progress, *sorted(v.loaded)) if r]
        if ahead:
            there = ORIGIN + timedelta(seconds=state.now_s + pick % 1800)
            return c.ObserveProgress(done=(), heading=((ahead[pick % len(ahead)], there),))
    seen = [r for v in vans for r in (*v.done, v.in_progress) if r]
    if not seen:
        return None
    at = ORIGIN + timedelta(seconds=max(0, state.now_s - pick % 1800))
    mark = ((seen[pick % len(seen)], at),)
    return c.ObserveProgress(done=(), arrived=mark) if pick % 2 else c.ObserveProgress(done=mark)


def day_in_progress(
    stops: int, seed: int, windows: bool, now_h: float, plan_s: float
) -> tuple[DispatchContext, MessageBus, InMemoryDatabase]:
    """A small day of three tight vans, planned for ``plan_s`` and advanced to ``now_h``."""
    problem = day(stops, 3, seed=seed, windows=windows)
    problem = replace(
        problem, vehicles=tuple(replace(v, capacity=(10**9, 10**9, 8)) for v in problem.vehicles)
    )
    state = advance(problem, plan(problem, plan_s), int(now_h * HOUR))
    policy = ReplanPolicy(time_limit_s=0.2, workers=1, next_stop_change_cents=300)
    ctx = DispatchContext(state, PyVRPSolver(), policy)
    db = InMemoryDatabase()
    return ctx, dispatch_bus(ctx, memory_uow_factory(db)), db


def valid_and_keeps_loads_and_history(
    ctx: DispatchContext, history: dict[str, tuple[tuple[str, ...], str | None]]
) -> Replan:
    """The latest re-plan passes the checker, leaves every loaded parcel on its van and
    keeps each vehicle's done and under-way stops first, as ``history`` had them."""
    last = ctx.last
    assert last is not None
    assert check(last.rest.problem, last.result.routes, last.result.unassigned) == []
    for route in last.result.routes:
        for visit in route.visits:
            assert ctx.state.carrier(visit.ref) in (None, route.vehicle_ref)
    for r in last.day_plan.routes:
        done, under_way = history[r.vehicle_ref]
        fixed = [x for x in (*done, under_way) if x and x in ctx.state.locked()]
        assert [v.ref for v in r.visits[: len(fixed)]] == fixed
    return last


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stops=st.integers(10, 24),
    seed=st.integers(0, 50),
    windows=st.booleans(),
    now_h=st.floats(2.2, 7.0),
    events=st.lists(
        st.tuples(st.sampled_from((*KINDS, "observe")), st.integers(0, 1000)), max_size=4
    ),
)
def test_loaded_parcels_never_change_van_and_every_re_plan_is_valid_and_recorded(
    stops: int, seed: int, windows: bool, now_h: float, events: list[tuple[str, int]]
) -> None:
    ctx, bus, db = day_in_progress(stops, seed, windows, now_h, plan_s=0.2)
    replans = 0
    for kind, pick in [("replan", 0), *events]:
        cmd = (
            c.Replan(reason="start") if kind == "replan"
            else observation(ctx.state, pick) if kind == "observe"
            else command(kind, ctx.state, pick)
        )  # fmt: skip
        if cmd is None:
            continue
        history = {v.ref: (v.done, v.in_progress) for v in ctx.state.vehicles.values()}
        logged = len(ctx.log)
        bus.handle(cmd)
        if len(ctx.log) == logged:  # a van seen on its plan: nothing to re-plan
            assert isinstance(cmd, c.ObserveProgress)
            continue
        replans += 1
        last = valid_and_keeps_loads_and_history(ctx, history)
        served = {v.ref for r in last.result.routes for v in r.visits}
        assert not served & (ctx.state.cancelled | ctx.state.locked())
    assert len(ctx.log) == replans
    assert sum(1 for m in db.outbox if m.event_type == "Replanned") == replans


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stops=st.integers(10, 24),
    seed=st.integers(0, 50),
    windows=st.booleans(),
    now_h=st.floats(0.5, 7.0),
    steps=st.integers(1, 3),
)
def test_improving_between_events_never_makes_the_plan_worse_nor_moves_a_loaded_parcel(
    stops: int, seed: int, windows: bool, now_h: float, steps: int
) -> None:
    from lastmile.dispatch.improve import current_standing
    from lastmile.dispatch.replan_problem import rest_of_day

    ctx, bus, db = day_in_progress(stops, seed, windows, now_h, plan_s=0.05)
    state = ctx.state
    standing = current_standing(rest_of_day(state))
    adopted = 0
    for _ in range(steps):
        history = {v.ref: (v.done, v.in_progress) for v in state.vehicles.values()}
        if not bus.handle(c.ImprovePlan()):
            assert current_standing(rest_of_day(state)) == standing
            continue
        adopted += 1
        now = current_standing(rest_of_day(state))
        assert now <= standing
        standing = now
        valid_and_keeps_loads_and_history(ctx, history)
    assert sum(1 for m in db.outbox if m.event_type == "Replanned") == adopted == len(ctx.log)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stops=st.integers(10, 24),
    seed=st.integers(0, 50),
    windows=st.booleans(),
    now_h=st.floats(2.2, 6.0),
    events=st.lists(
        st.tuples(st.sampled_from((*KINDS, "observe")), st.integers(0, 1000), st.integers(0, 90)),
        min_size=1,
        max_size=6,
    ),
)
def test_a_day_rebuilt_from_its_stored_steps_is_the_live_day(
    stops: int, seed: int, windows: bool, now_h: float, events: list[tuple[str, int, int]]
) -> None:
    """Whatever the events, a day rebuilt from its stored steps (commands as JSON, plans
    as domain plans, no search) is the day the live bus left: the API's guarantee."""
    from lastmile.dispatch.replay import Step, command_from, command_payload, replay, run
    from lastmile.domain import LastMileError
    from lastmile.planning.solver import from_domain

    from .test_replay import snapshot

    ctx, _, _ = day_in_progress(stops, seed, windows, now_h, plan_s=0.05)
    start = DispatchContext(ctx.state, ctx.solver, ctx.policy)
    first = ctx.state.plan.to_domain(ctx.state.problem, "first", "2026-03-02")
    live = DispatchContext(advance(ctx.state.problem, from_domain(ctx.state.problem, first), 0),
                           ctx.solver, ctx.policy)  # fmt: skip
    steps: list[Step] = []
    at = start.state.now_s
    for kind, pick, minutes in [("replan", 0, 0), *events]:
        at += minutes * 60
        later = roll_forward_copy(live, at)
        cmd = (
            c.Replan(reason="start") if kind == "replan"
            else observation(later, pick) if kind == "observe"
            else command(kind, later, pick)
        )  # fmt: skip
        if cmd is None:
            continue
        before = live.state
        try:
            outcome = run(live, cmd, at)
        except LastMileError:  # refused, as the API refuses it: nothing is stored
            live.state = before
            continue
        plans = tuple(
            p.to_domain(live.state.problem, f"p{len(steps)}-{n}", "2026-03-02")
            for n, p in enumerate(outcome.plans)
        )
        if plans:  # what the API keeps: the plan as a rebuild reads it back
            live.state.plan = from_domain(live.state.problem, plans[-1])
        payload = command_payload(cmd)
        steps.append(Step(len(steps) + 1, at, command_from(type(cmd).__name__, payload),
                          plans, outcome.facts))  # fmt: skip
    problem = start.state.problem
    rebuilt = replay(
        DispatchContext(advance(problem, from_domain(problem, first), 0), ctx.solver, ctx.policy),
        steps,
    )
    assert snapshot(rebuilt.state) == snapshot(live.state)


def roll_forward_copy(ctx: DispatchContext, at_s: int) -> DayState:
    """The day at ``at_s`` to pick a valid command from, leaving ``ctx`` as it is."""
    from lastmile.dispatch.replanning import roll_forward

    return roll_forward(ctx.state, at_s)
