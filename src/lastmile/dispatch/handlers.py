"""Handlers for the events of the street: each edits the state of the day and says what
happened; the rules then decide whether the day is re-planned (see :mod:`.replanning`).

Every handler has the same shape, ``handler(message, context, uow) -> messages``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from lastmile.dispatch import commands as c
from lastmile.dispatch import events as ev
from lastmile.dispatch.bus import Message
from lastmile.dispatch.ports import UnitOfWork
from lastmile.dispatch.replan import Replan, ReplanPolicy
from lastmile.dispatch.replan_log import ReplanRecord
from lastmile.dispatch.rules import RuleSet, default_rules
from lastmile.dispatch.state import (
    DayState,
    VehicleState,
    arrived_state,
    leg_s,
    observed_state,
)
from lastmile.dispatch.weather import slowed
from lastmile.domain import Conflict, InvalidInput
from lastmile.domain.events import DomainEvent
from lastmile.planning.problem import Job
from lastmile.planning.solver import Solver


@dataclass
class DispatchContext:
    """What the handlers share: the day, the solver, the policy, the rules, the log."""

    state: DayState
    solver: Solver
    policy: ReplanPolicy = field(default_factory=ReplanPolicy)
    rules: RuleSet = field(default_factory=default_rules)
    log: list[ReplanRecord] = field(default_factory=list)
    #: The latest re-plan in full (problem, result, changes), for callers and tests.
    last: Replan | None = None
    #: Improvement steps tried so far: each searches with a seed of its own, so a step that
    #: found nothing is not repeated as it was.
    improve_steps: int = 0

    def seconds(self, moment: datetime) -> int:
        if moment.tzinfo is None:
            raise InvalidInput("times must be timezone-aware", field="datetime")
        return int((moment - self.state.problem.origin).total_seconds())


def add_stop(cmd: c.AddStopToDay, ctx: DispatchContext, uow: UnitOfWork) -> list[Message]:
    hubs = {h.ref: n for n, h in enumerate(ctx.state.problem.hubs)}
    if cmd.hub_ref not in hubs:
        raise InvalidInput(f"no hub {cmd.hub_ref!r} today", field="hub_ref", location=cmd.stop_ref)
    windows = tuple((ctx.seconds(a), ctx.seconds(b)) for a, b in cmd.windows)
    if any(b < a for a, b in windows):
        raise InvalidInput("a window ends before it starts", field="windows", location=cmd.stop_ref)
    job = Job(
        ref=cmd.stop_ref,
        point=0,
        windows=windows,
        service_s=cmd.service_s,
        demand=(cmd.weight_g, cmd.volume_cm3, cmd.parcels),
        hub=hubs[cmd.hub_ref],
        order_refs=(cmd.stop_ref,),
        release_s=max(0, ctx.seconds(cmd.ready_at)) if cmd.ready_at is not None else 0,
        skills=cmd.skills,
    )
    ctx.state.add_job(job, cmd.location)
    return [ev.StopAddedToDay(stop_ref=cmd.stop_ref, hub_ref=cmd.hub_ref)]


def cancel_stop(cmd: c.CancelStop, ctx: DispatchContext, uow: UnitOfWork) -> list[Message]:
    state = ctx.state
    state.job(cmd.stop_ref)
    if cmd.stop_ref in state.locked():
        raise Conflict(f"stop {cmd.stop_ref!r} is already served or under way")
    carrier = state.carrier(cmd.stop_ref)
    if carrier is not None:
        v = state.vehicles[carrier]
        state.vehicles[carrier] = replace(v, loaded=v.loaded - {cmd.stop_ref})
    state.cancelled.add(cmd.stop_ref)
    return [ev.StopCancelled(stop_ref=cmd.stop_ref, reason=cmd.reason, on_vehicle_ref=carrier)]


def slip_readiness(cmd: c.SlipReadiness, ctx: DispatchContext, uow: UnitOfWork) -> list[Message]:
    state, ready_s = ctx.state, ctx.seconds(cmd.ready_at)
    slip = 0
    for ref in cmd.stop_refs:
        job = state.job(ref)
        if state.carrier(ref) is not None or ref in state.locked():
            raise Conflict(f"stop {ref!r} has left the hub already")
        slip = max(slip, ready_s - max(job.release_s, state.now_s))
        state.replace_job(replace(job, release_s=max(job.release_s, ready_s)))
    return [ev.ReadinessSlipped(stop_refs=tuple(cmd.stop_refs), slip_s=max(0, slip))]


def report_delay(cmd: c.ReportDelay, ctx: DispatchContext, uow: UnitOfWork) -> list[Message]:
    if cmd.delay_s < 0:
        raise InvalidInput("a delay cannot be negative", field="delay_s", location=cmd.vehicle_ref)
    v = ctx.state.vehicle(cmd.vehicle_ref)
    ctx.state.vehicles[v.ref] = replace(v, free_s=v.free_s + cmd.delay_s)
    return [ev.VehicleDelayed(vehicle_ref=v.ref, delay_s=cmd.delay_s)]


def observe_progress(
    cmd: c.ObserveProgress, ctx: DispatchContext, uow: UnitOfWork
) -> list[Message]:
    """Vans placed where tracking saw them last: past a completed stop (every stop before
    it on its route is done), heading for the next one; at a stop it arrived at, serving
    it; or, by its GPS track, on its way to a later stop, serving it from when it will be
    there. The lag is against the plan's departure from a completed stop, or its arrival
    at the stop reached or headed for."""
    state = ctx.state
    seen = _seen(ctx, cmd.done, "done")
    came = _seen(ctx, cmd.arrived, "arrived")
    ahead = _seen(ctx, cmd.heading, "heading", future=True)
    state.observed.update(seen)
    state.arrived.update(came)
    state.heading.update(ahead)
    news = seen.keys() | came.keys() | ahead.keys()
    vans, stops, lags = [], [], []
    for route in state.plan.routes:
        v = state.vehicles.get(route.vehicle_ref)
        if v is None or v.broken or not any(x.ref in news for x in route.visits):
            continue
        done = max((i for i, x in enumerate(route.visits) if x.ref in state.observed), default=-1)
        at = max((i for i, x in enumerate(route.visits) if x.ref in state.arrived), default=-1)
        head = max((i for i, x in enumerate(route.visits) if x.ref in state.heading), default=-1)
        if head > max(at, done):
            here = route.visits[head]
            state.vehicles[v.ref] = arrived_state(state, route, head, state.heading[here.ref])
            lags.append(state.heading[here.ref] - here.arrival_s)
        elif at > done:
            here = route.visits[at]
            state.vehicles[v.ref] = arrived_state(state, route, at)
            lags.append(state.arrived[here.ref] - here.arrival_s)
        else:
            here = route.visits[done]
            state.vehicles[v.ref] = observed_state(state, route, done)
            lags.append(state.observed[here.ref] - here.departure_s)
        vans.append(v.ref)
        stops.append(here.ref)
    return [
        ev.ProgressObserved(vehicle_refs=tuple(vans), stop_refs=tuple(stops), lags_s=tuple(lags))
    ]


def _seen(
    ctx: DispatchContext, marks: tuple[tuple[str, datetime], ...], what: str, future: bool = False
) -> dict[str, int]:
    """Marks in day seconds; ``future``: an expected time, which may be after now."""
    seen: dict[str, int] = {}
    for ref, at in marks:
        ctx.state.job(ref)
        seen[ref] = ctx.seconds(at)
        if seen[ref] > ctx.state.now_s and not future:
            raise InvalidInput(
                f"stop {ref!r} is seen {what} at {at.isoformat()}, after the day's time now",
                field=what,
            )
    return seen


def _attempted_by(state: DayState, ref: str) -> VehicleState:
    for v in state.vehicles.values():
        if ref == v.in_progress or ref in v.done:
            return v
    raise Conflict(f"stop {ref!r} has not been attempted: it is not served or under way")


def _retry_windows(job: Job, retry_s: int, horizon: int) -> tuple[tuple[int, int], ...]:
    if not job.windows:
        return ((retry_s, horizon),) if retry_s <= horizon else ()
    return tuple((max(a, retry_s), b) for a, b in job.windows if b >= retry_s)


def record_failed_attempt(
    cmd: c.RecordFailedAttempt, ctx: DispatchContext, uow: UnitOfWork
) -> list[Message]:
    """The parcel stays on the van; re-attempted later today if a window is left."""
    state = ctx.state
    job = state.job(cmd.stop_ref)
    v = _attempted_by(state, cmd.stop_ref)
    done = tuple(r for r in v.done if r != cmd.stop_ref)
    in_progress = None if v.in_progress == cmd.stop_ref else v.in_progress
    loaded = v.loaded if v.at_hub else v.loaded | {cmd.stop_ref}
    state.vehicles[v.ref] = replace(v, done=done, in_progress=in_progress, loaded=loaded)
    state.failed[cmd.stop_ref] = cmd.reason
    # The attempt tracking saw is consumed: the stop is to do again, and a later scan of
    # it is the re-attempt.
    state.observed.pop(cmd.stop_ref, None)
    state.arrived.pop(cmd.stop_ref, None)
    state.heading.pop(cmd.stop_ref, None)
    horizon = max(h.close_s for h in state.problem.hubs)
    windows = _retry_windows(job, state.now_s + cmd.retry_after_s, horizon)
    out: list[Message] = []
    if windows:
        state.replace_job(replace(job, windows=windows))
    else:
        why = f"failed attempt ({cmd.reason}); no delivery window left today"
        state.deferred[cmd.stop_ref] = why
        out.append(ev.StopDeferred(stop_ref=cmd.stop_ref, reason=why))
    retry = windows[0][0] if windows else None
    failed = ev.AttemptFailed(
        stop_ref=cmd.stop_ref, vehicle_ref=v.ref, reason=cmd.reason, retry_from_s=retry
    )
    return [failed, *out]


def _rescue(state: DayState, broken: VehicleState, ref: str, transfer_s: int) -> VehicleState:
    rescue = state.vehicle(ref)
    if not rescue.at_hub or rescue.broken or ref == broken.ref:
        raise Conflict(f"rescue van {ref!r} is not free at the hub")
    problem = state.problem
    spec = problem.vehicles[problem.vehicle_index()[ref]]
    hub = problem.hubs[spec.start_hub].point
    drive = leg_s(problem, spec, problem.points[hub], broken.point, rescue.free_s)
    free = max(rescue.free_s, state.now_s) + drive + transfer_s
    return replace(
        rescue,
        point=broken.point,
        free_s=free,
        at_hub=False,
        loaded=rescue.loaded | broken.loaded,
        started_s=rescue.started_s if rescue.started_s is not None else rescue.free_s,
    )


def report_breakdown(
    cmd: c.ReportBreakdown, ctx: DispatchContext, uow: UnitOfWork
) -> list[Message]:
    """A broken van's parcels go to a rescue van, or back to the hub (ready again later)."""
    state = ctx.state
    v = state.vehicle(cmd.vehicle_ref)
    if v.broken:
        raise Conflict(f"vehicle {v.ref!r} is already broken down")
    on_board = set(v.loaded)
    if v.in_progress and state.job(v.in_progress).from_hub:
        on_board.add(v.in_progress)
    state.vehicles[v.ref] = replace(v, broken=True, loaded=frozenset(), in_progress=None)
    carrying = replace(v, loaded=frozenset(on_board))
    if cmd.rescue_vehicle_ref is not None:
        rescued = _rescue(state, carrying, cmd.rescue_vehicle_ref, cmd.transfer_s)
        state.vehicles[rescued.ref] = rescued
    else:
        ready = state.now_s + cmd.back_to_hub_s
        for ref in on_board:
            job = state.job(ref)
            state.replace_job(replace(job, release_s=max(job.release_s, ready)))
    return [
        ev.VehicleBrokeDown(
            vehicle_ref=v.ref,
            parcels=tuple(sorted(on_board)),
            rescue_vehicle_ref=cmd.rescue_vehicle_ref,
        )
    ]


def report_slowdown(cmd: c.ReportSlowdown, ctx: DispatchContext, uow: UnitOfWork) -> list[Message]:
    problem = ctx.state.problem
    ctx.state.problem = replace(problem, provider=slowed(problem.provider, cmd.zone, cmd.factor))
    ctx.state.problem._cache.clear()
    return [ev.ZoneSlowed(zone_ref=cmd.zone.ref, factor=cmd.factor)]


def observe_slots(cmd: c.ObserveSlots, ctx: DispatchContext, uow: UnitOfWork) -> list[Message]:
    if cmd.filled_per_hour < 0:
        raise InvalidInput("a fill rate cannot be negative", field="filled_per_hour")
    return [
        ev.ZoneSlotsFilling(
            zone_ref=cmd.zone_ref, filled_per_hour=cmd.filled_per_hour, stop_refs=cmd.stop_refs
        )
    ]


def dispatch_wave_early(
    cmd: c.DispatchWaveEarly, ctx: DispatchContext, uow: UnitOfWork
) -> list[Message]:
    """Vans still at the hub that serve the zone may leave up to ``by_s`` sooner."""
    state, zone = ctx.state, set(cmd.stop_refs)
    planned = {r.vehicle_ref: {x.ref for x in r.visits} for r in state.plan.routes}
    moved = []
    for v in state.vehicles.values():
        if v.at_hub and v.started_s is None and planned.get(v.ref, set()) & zone:
            state.vehicles[v.ref] = replace(v, free_s=max(state.now_s, v.free_s - cmd.by_s))
            moved.append(v.ref)
    return [ev.WaveDispatchedEarly(zone_ref=cmd.zone_ref, vehicle_refs=tuple(moved), by_s=cmd.by_s)]


def apply_rules(event: DomainEvent, ctx: DispatchContext, uow: UnitOfWork) -> list[Message]:
    """The rules' verdict on an event: re-plan, start a wave early, or nothing."""
    return list(ctx.rules.commands_for(event))
