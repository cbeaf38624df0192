"""The re-plan command, the bus wiring, and moving the day forward in time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from lastmile.dispatch import commands as c
from lastmile.dispatch import events as ev
from lastmile.dispatch import handlers as h
from lastmile.dispatch.bus import Handler, Message, MessageBus
from lastmile.dispatch.improve import improve
from lastmile.dispatch.ports import UnitOfWork
from lastmile.dispatch.replan import Replan, replan
from lastmile.dispatch.replan_log import record_of, replanned_event
from lastmile.dispatch.state import DayState, advance
from lastmile.planning.solver import UnassignedStop


def defer_unserved_failures(state: DayState, left_out: Sequence[UnassignedStop]) -> list[Message]:
    """Failed attempts the new plan cannot fit today move to tomorrow, reason kept."""
    out: list[Message] = []
    for u in left_out:
        if u.ref in state.failed and u.ref not in state.deferred:
            why = (
                f"failed attempt ({state.failed[u.ref]}); "
                f"no room today: {u.reason.value} {u.detail}".strip()
            )
            state.deferred[u.ref] = why
            out.append(ev.StopDeferred(stop_ref=u.ref, reason=why))
    return out


def replan_day(cmd: c.Replan, ctx: h.DispatchContext, uow: UnitOfWork) -> list[Message]:
    """Re-plan the rest of the day, record what changed and why, adopt the new plan."""
    return _adopt(ctx, replan(ctx.state, ctx.solver, ctx.policy), cmd.reason, cmd.trigger)


def improve_plan(cmd: c.ImprovePlan, ctx: h.DispatchContext, uow: UnitOfWork) -> list[Message]:
    """One step of improving the plan between events; adopted and recorded only when the
    new plan is better (nothing happens otherwise)."""
    ctx.improve_steps += 1
    policy = replace(ctx.policy, seed=ctx.policy.seed + ctx.improve_steps)
    if cmd.budget_s is not None:
        policy = replace(policy, time_limit_s=cmd.budget_s)
    step = improve(ctx.state, ctx.solver, policy)
    if not step.adopted:
        return []
    return _adopt(ctx, step.replan, step.why(), cmd.trigger)


def _adopt(ctx: h.DispatchContext, result: Replan, reason: str, trigger: str) -> list[Message]:
    state = ctx.state
    before = state.plan.cost_cents
    deferred = defer_unserved_failures(state, result.result.unassigned)
    event = replanned_event(
        result,
        reason=reason,
        trigger=trigger,
        now_s=state.now_s,
        cost_before_cents=before,
        deferred=[m.stop_ref for m in deferred if isinstance(m, ev.StopDeferred)],
    )
    state.plan = result.day_plan
    ctx.last = result
    ctx.log.append(record_of(event))
    return [event, *deferred]


def roll_forward(state: DayState, now_s: int) -> DayState:
    """The same day later on, assuming the current plan ran as planned since.

    What events said (cancellations, failures, deferrals, breakdowns, slowdowns) is kept.
    """
    if now_s < state.now_s:
        raise ValueError("time only moves forward")
    if now_s == state.now_s:  # nothing moved: what events said since stays as they said it
        return state
    later = advance(state.problem, state.plan, now_s)
    for ref, v in state.vehicles.items():
        if v.broken:
            later.vehicles[ref] = replace(v, free_s=now_s)
    later.cancelled = set(state.cancelled)
    later.failed = dict(state.failed)
    later.deferred = dict(state.deferred)
    later.new = set(state.new)
    later.observed = dict(state.observed)
    later.arrived = dict(state.arrived)
    later.heading = dict(state.heading)
    later.matrices = state.matrices
    return later


COMMANDS: dict[type, Handler] = {
    c.AddStopToDay: h.add_stop,
    c.CancelStop: h.cancel_stop,
    c.SlipReadiness: h.slip_readiness,
    c.ReportDelay: h.report_delay,
    c.ObserveProgress: h.observe_progress,
    c.RecordFailedAttempt: h.record_failed_attempt,
    c.ReportBreakdown: h.report_breakdown,
    c.ReportSlowdown: h.report_slowdown,
    c.ObserveSlots: h.observe_slots,
    c.DispatchWaveEarly: h.dispatch_wave_early,
    c.Replan: replan_day,
    c.ImprovePlan: improve_plan,
}
TRIGGERS = (
    ev.StopAddedToDay,
    ev.StopCancelled,
    ev.ReadinessSlipped,
    ev.VehicleDelayed,
    ev.ProgressObserved,
    ev.AttemptFailed,
    ev.VehicleBrokeDown,
    ev.ZoneSlowed,
    ev.ZoneSlotsFilling,
    ev.WaveDispatchedEarly,
)


def dispatch_bus(ctx: h.DispatchContext, uow_factory: Callable[[], UnitOfWork]) -> MessageBus:
    """The bus for one day in progress: every trigger event goes through the rules."""
    return MessageBus(ctx, uow_factory, COMMANDS, {e: [h.apply_rules] for e in TRIGGERS})
