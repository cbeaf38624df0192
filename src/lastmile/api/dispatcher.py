"""A stored plan dispatched through the API: events of the street re-plan the day.

Each request rebuilds the day from the plan it started from and the steps accepted since
(:mod:`lastmile.dispatch.replay`: no search, the stored plans are adopted), runs the new
command through the dispatch bus with no database lock held, then writes in one
transaction: the step, the plans it led to (the plan they replace is marked
``superseded``), the orders it planned or cancelled, the events for the outbox and the
audit entry. Two requests racing on one day: the second is a Conflict and writes nothing.

Rebuilding reads every plan the day adopted: on a 2,000-stop day it took 0.4 s at the first
event and 3 s at the thirtieth (docs/benchmarks/api.md). So the process keeps the day it
left after each accepted event, and the next request takes it as it is when the stored day
has not moved since (same number of steps) and the fleet it was built with (the hub's
vehicles, that day's shifts, drivers, zones) is unchanged; anything else rebuilds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from lastmile.api.planner import problem_for
from lastmile.api.services import Services
from lastmile.dispatch import commands as c
from lastmile.dispatch.handlers import DispatchContext
from lastmile.dispatch.ports import UnitOfWork
from lastmile.dispatch.replan import ReplanPolicy
from lastmile.dispatch.replan_log import record_of
from lastmile.dispatch.replay import (
    Outcome,
    Step,
    check_time,
    command_from,
    command_payload,
    replay,
    run,
)
from lastmile.dispatch.rules import RuleSet, default_rules
from lastmile.dispatch.state import advance
from lastmile.domain import LifecycleState, Plan
from lastmile.domain.errors import Conflict, InvalidInput, LastMileError, NotFound
from lastmile.domain.events import Command, PlanReplanned
from lastmile.domain.journey import is_legal
from lastmile.planning.problem import PlanningProblem
from lastmile.planning.solver import from_domain
from lastmile.store.api_repositories import AuditedUnitOfWork, load_orders

log = logging.getLogger(__name__)
SUPERSEDED = "superseded"
#: Days a process keeps rebuilt (a hub's day each; a 2,000-stop day holds a few MB).
KEPT_DAYS = 16
#: Builds the command from what the store holds (an order's address, a zone's shape).
Build = Callable[[UnitOfWork], Command]


@dataclass
class _Day:
    """What a request reads in its first, short transaction, and the day it rebuilt."""

    base: Plan
    row: dict[str, Any] | None
    steps: int
    fleet: str
    command: Command
    ctx: DispatchContext

    @property
    def current(self) -> str:
        """The plan in force as stored (updated by each step this request stores)."""
        return self.row["current_plan_ref"] if self.row else self.base.ref


@dataclass(frozen=True)
class _Kept:
    """A day as the process left it after an accepted event."""

    base: Plan
    steps: int
    fleet: str
    ctx: DispatchContext


def _fleet(uow: UnitOfWork, hub_ref: str, service_date: str) -> str:
    """What the day's problem is built from besides its orders, as one comparable text."""
    return repr(
        (
            [v for v in uow.vehicles.list() if v.hub_ref == hub_ref],
            [s for s in uow.shifts.list() if s.hub_ref == hub_ref],
            uow.drivers.list(),
            uow.zones.list(),
            service_date,
        )
    )


def _take(svc: Services, plan_ref: str) -> _Kept | None:
    with svc.dispatch_lock:
        kept = svc.dispatch_days.pop(plan_ref, None)
    return kept if isinstance(kept, _Kept) else None


def _keep(svc: Services, kept: _Kept) -> None:
    with svc.dispatch_lock:
        svc.dispatch_days[kept.base.ref] = kept
        while len(svc.dispatch_days) > KEPT_DAYS:
            svc.dispatch_days.pop(next(iter(svc.dispatch_days)))


def _hub(plan: Plan) -> str:
    if len(plan.hub_refs) != 1:
        raise InvalidInput(
            f"plan {plan.ref!r} spans hubs {list(plan.hub_refs)}: dispatch one hub's plan",
            field="plan_ref",
        )
    return plan.hub_refs[0]


def _order_refs(plan: Plan) -> list[str]:
    """The plan's orders, in a fixed order (every request must build the same problem)."""
    refs = [o for r in plan.routes for v in r.visits for o in v.order_refs]
    refs += [u.stop_ref for u in plan.unassigned]
    return list(dict.fromkeys(refs))


def _read(svc: Services, plan_ref: str, build: Build, rules: RuleSet) -> _Day:
    with svc.uow() as uow:
        # A day is named by its first plan or its plan in force; older plans are history.
        row = svc.api_store.dispatch_day(plan_ref)
        kept = _take(svc, row["plan_ref"]) if row else None
        if row is not None and kept is not None and kept.steps == row["steps"]:
            fleet = _fleet(uow, row["hub_ref"], row["service_date"])
            if fleet == kept.fleet:
                return _Day(kept.base, row, kept.steps, fleet, build(uow), kept.ctx)
        base = uow.plans.get(row["plan_ref"] if row else plan_ref)
        if base is None:
            raise NotFound("plan", plan_ref)
        if row is None and base.status == SUPERSEDED:
            day = svc.api_store.dispatch_day(plan_ref.rsplit(".", 1)[0])
            now = f"; the plan in force is {day['current_plan_ref']!r}" if day else ""
            raise Conflict(f"plan {plan_ref!r} was replaced by a re-plan{now}")
        hub = _hub(base)
        if row is None:
            other = svc.api_store.dispatch_day_on(hub, base.service_date)
            if other is not None:
                raise Conflict(
                    f"hub {hub!r} on {base.service_date} is dispatched from plan "
                    f"{other['plan_ref']!r} (now {other['current_plan_ref']!r})"
                )
        refs = _order_refs(base)
        assert isinstance(uow, AuditedUnitOfWork)
        orders = load_orders(uow, refs)
        missing = sorted(set(refs) - {o.ref for o in orders})
        if missing:
            raise Conflict(f"plan {base.ref!r} serves orders that no longer exist: {missing[:5]}")
        problem = problem_for(uow, hub, base.service_date, orders)
        fleet = _fleet(uow, hub, base.service_date)
        steps = svc.api_store.dispatch_steps(base.ref) if row else []
        plans: dict[str, Plan] = {}
        for step in steps:
            for ref in step["plan_refs"]:
                stored = uow.plans.get(ref)
                if stored is None:
                    raise Conflict(f"plan {ref!r} of step {step['seq']} is missing")
                plans[ref] = stored
        command = build(uow)
    ctx = _rebuild(problem, base, steps, plans, rules)
    return _Day(base, row, len(steps), fleet, command, ctx)


def _rebuild(
    problem: PlanningProblem,
    base: Plan,
    rows: list[dict[str, Any]],
    plans: dict[str, Plan],
    rules: RuleSet,
) -> DispatchContext:
    from lastmile.planning.pyvrp_solver import PyVRPSolver

    first = from_domain(problem, base)
    ctx = DispatchContext(advance(problem, first, 0), PyVRPSolver(), ReplanPolicy(), rules)
    steps = [
        Step(
            s["seq"],
            ctx.seconds(s["at"]),
            command_from(s["command"], s["payload"]),
            tuple(plans[r] for r in s["plan_refs"]),
            s["facts"],
        )
        for s in rows
    ]
    return replay(ctx, steps)


def _at(ctx: DispatchContext, at: datetime | None) -> int:
    moment = at if at is not None else datetime.now(UTC)
    at_s = ctx.seconds(moment)
    end = max(h.close_s for h in ctx.state.problem.hubs)
    if not 0 <= at_s <= end:
        day = f"{ctx.state.problem.at(0).isoformat()} to {ctx.state.problem.at(end).isoformat()}"
        raise InvalidInput(f"{moment.isoformat()} is outside the plan's day ({day})", field="at")
    check_time(ctx, at_s)
    return at_s


def _orders(uow: AuditedUnitOfWork, ctx: DispatchContext, command: Command, actor: str) -> None:
    """Orders added today that the plan now serves are planned; a cancelled stop's order is
    cancelled where its state allows (a parcel already on a van comes back through scans)."""
    served = {o for r in ctx.state.plan.routes for v in r.visits for o in v.order_refs}
    moves = [(ref, LifecycleState.PLANNED) for ref in sorted(ctx.state.new & served)]
    if isinstance(command, c.CancelStop):
        moves.append((command.stop_ref, LifecycleState.CANCELLED))
    for ref, target in moves:
        order = uow.orders.get(ref)
        if order is not None and order.state is not target and is_legal(order.state, target):
            order.advance(target, actor=actor)
            uow.orders.add(order)
            uow.publish(order.pull_events())


def _keep_statuses(before: Plan | None, after: list[Plan]) -> None:
    """A van's route that was dispatched stays dispatched when its stops are re-planned, and
    keeps the driver assigned to it by hand (the re-plan knows only the shifts' drivers)."""
    old = {r.vehicle_ref: r for r in before.routes} if before else {}
    for plan in after:
        for route in plan.routes:
            if route.vehicle_ref in old:
                route.status = old[route.vehicle_ref].status
                route.driver_ref = route.driver_ref or old[route.vehicle_ref].driver_ref


def _announced(
    day: _Day, seq: int, previous: str, stored: list[Plan], outcome: Outcome
) -> list[PlanReplanned]:
    """One ``plan.replanned`` per stored plan, each naming the plan it replaced."""
    out = []
    for plan, record in zip(stored, outcome.replans, strict=True):
        out.append(
            PlanReplanned(
                plan_ref=plan.ref,
                replaces=previous,
                day_plan_ref=day.base.ref,
                step=seq,
                reason=record.reason,
                trigger=record.trigger,
                changes=len(record.changes),
                unassigned=len(record.unassigned),
            )
        )
        previous = plan.ref
    return out


def _store(
    svc: Services, day: _Day, command: Command, outcome: Outcome, at_s: int, actor: str
) -> tuple[dict[str, Any], Plan | None]:
    """Writes the step; returns its view and the plan now in force if the step made one.
    ``day`` moves on to it (its step count and plan in force)."""
    ctx = day.ctx
    seq = day.steps + 1
    current = previous = day.current
    now = datetime.now(UTC)
    with svc.uow() as uow:
        assert isinstance(uow, AuditedUnitOfWork)
        stored: list[Plan] = []
        for n, result in enumerate(outcome.plans):
            ref = f"{day.base.ref}.{seq}" + (f"-{n + 1}" if len(outcome.plans) > 1 else "")
            plan = result.to_domain(ctx.state.problem, ref, day.base.service_date)
            stored.append(plan)
        if stored:
            replaced = [uow.plans.get(current), *stored[:-1]]
            _keep_statuses(replaced[0], stored)
            for old in replaced:
                if old is not None:
                    old.status = SUPERSEDED
                    uow.plans.add(old)
            uow.plans.add(stored[-1])
            current = stored[-1].ref
        _orders(uow, ctx, command, actor)
        payload = command_payload(command)
        step = {
            "plan_ref": day.base.ref,
            "seq": seq,
            "at": ctx.state.problem.at(at_s),
            "command": type(command).__name__,
            "payload": payload,
            "plan_refs": [p.ref for p in stored],
            "facts": outcome.facts,
            "replans": [asdict(record_of(e)) for e in outcome.replans],
            "actor": actor,
            "created_at": now,
        }
        head = {
            "plan_ref": day.base.ref,
            "hub_ref": _hub(day.base),
            "service_date": day.base.service_date,
            "current_plan_ref": current,
            "steps": seq,
            "created_at": now,
            "updated_at": now,
        }
        svc.api_store.add_dispatch_step(head, step, uow.connection)
        uow.publish(outcome.events)
        uow.publish(_announced(day, seq, previous, stored, outcome))
        target = f"plans/{day.base.ref}/steps/{seq}"
        uow.audit(actor, f"dispatch.{step['command']}", target, None, payload)
        uow.commit()
    day.steps, day.row = seq, head
    return step_view(step, current), (stored[-1] if stored else None)


def _driver_may(ctx: DispatchContext, command: Command, driver_ref: str) -> None:
    """A driver's event must be about its own route in the plan in force; another route's
    van or stop is NotFound, as a driver cannot learn which routes exist."""
    mine = [r for r in ctx.state.plan.routes if r.driver_ref and r.driver_ref == driver_ref]
    if isinstance(command, c.ReportDelay | c.ReportBreakdown):
        if not any(r.vehicle_ref == command.vehicle_ref for r in mine):
            raise NotFound("vehicle", command.vehicle_ref)
    elif isinstance(command, c.RecordFailedAttempt):
        if not any(v.ref == command.stop_ref for r in mine for v in r.visits):
            raise NotFound("stop", command.stop_ref)
    else:
        raise InvalidInput(f"a driver cannot send {type(command).__name__}", field="type")


def report(
    svc: Services,
    plan_ref: str,
    build: Build,
    at: datetime | None,
    budget_s: float,
    actor: str,
    driver: str | None = None,
) -> dict[str, Any]:
    """One event on a dispatched day (the first one starts dispatching the plan); ``driver``
    names the driver when a driver sends it.

    The answer carries where the request's time went (``timings_s``: reading and rebuilding
    the day, running the event with its re-plan, writing), for the operator who wonders why
    an event took longer on a day with many steps."""
    began = time.perf_counter()
    day = _read(svc, plan_ref, build, svc.settings.dispatch_rules or default_rules())
    ctx = day.ctx
    ctx.policy = replace(ctx.policy, time_limit_s=budget_s)
    ctx.rules = svc.settings.dispatch_rules or default_rules()
    try:
        if driver is not None:
            _driver_may(ctx, day.command, driver)
        at_s = _at(ctx, at)
    except LastMileError:
        _keep(svc, _Kept(day.base, day.steps, day.fleet, ctx))
        raise
    tracked = _observe(svc, day, at_s)
    rebuilt = time.perf_counter()
    before = ctx.state
    try:
        outcome = run(ctx, day.command, at_s)
    except LastMileError:
        # A refused event leaves the day as it was. When the day moved forward first, the
        # handlers edited the moved state only, and the one before it is kept; when it did
        # not move, a handler may have edited it before refusing, so it is rebuilt next time.
        if ctx.state is not before:
            ctx.state = before
            _keep(svc, _Kept(day.base, day.steps, day.fleet, ctx))
        raise
    ran = time.perf_counter()
    view, adopted = _store(svc, day, day.command, outcome, at_s, actor)
    if adopted is not None:  # the plan as the next rebuild would read it back
        ctx.state.plan = from_domain(ctx.state.problem, adopted)
    _keep(svc, _Kept(day.base, view["seq"], day.fleet, ctx))
    if tracked:
        view["tracked_steps"] = tracked
    view["timings_s"] = {
        "rebuild": round(rebuilt - began, 3),
        "event": round(ran - rebuilt, 3),
        "store": round(time.perf_counter() - ran, 3),
    }
    return view


def _observe(svc: Services, day: _Day, at_s: int) -> list[dict[str, Any]]:
    """What tracking saw since the day last looked, stored as steps of its own before the
    event (actor ``tracking``): an ``ObserveProgress`` with the stops completed, which
    places the vans where their scans put them (and re-plans one off its plan by more than
    the rules allow), then a ``RecordFailedAttempt`` for each attempt that failed, with
    the driver's reason, so it is tried again later today or moved to tomorrow.

    Tracking is not allowed to stop a dispatcher's event: a step the day refuses is
    logged and left out."""
    state = day.ctx.state
    refs = [x.ref for r in state.plan.routes for x in r.visits]
    seen: list[tuple[str, datetime]] = []
    failed: list[c.RecordFailedAttempt] = []
    for ref, done in sorted(svc.api_store.completions(refs).items()):
        seen_s = day.ctx.seconds(done.at)
        if not 0 <= seen_s <= at_s:
            continue
        if done.outcome == "failed":
            if ref in state.failed:  # this attempt is known already
                continue
            why = f"{done.reason or 'failed'} (seen by tracking)"
            failed.append(c.RecordFailedAttempt(stop_ref=ref, reason=why))
        elif state.observed.get(ref) == seen_s:
            continue
        seen.append((ref, done.at))
    commands: list[Command] = [c.ObserveProgress(done=tuple(seen))] if seen else []
    views = []
    for command in [*commands, *failed]:
        views += _tracked(svc, day, command, at_s)
    return views


def _tracked(svc: Services, day: _Day, command: Command, at_s: int) -> list[dict[str, Any]]:
    ctx = day.ctx
    before = ctx.state
    try:
        outcome = run(ctx, command, at_s)
    except LastMileError as exc:
        log.warning("tracking's %s on plan %s left out: %s", type(command).__name__,
                    day.base.ref, exc)  # fmt: skip
        if ctx.state is not before:
            ctx.state = before
        return []
    view, adopted = _store(svc, day, command, outcome, at_s, "tracking")
    if adopted is not None:
        ctx.state.plan = from_domain(ctx.state.problem, adopted)
    return [view]


def step_view(step: dict[str, Any], current: str | None = None) -> dict[str, Any]:
    view = {
        "seq": step["seq"],
        "at": step["at"].isoformat(),
        "command": step["command"],
        "payload": step["payload"],
        "plan_refs": step["plan_refs"],
        "replans": step["replans"],
        "actor": step["actor"],
    }
    if current is not None:
        view["current_plan_ref"] = current
    return view


def day_view(svc: Services, plan_ref: str) -> dict[str, Any]:
    row = svc.api_store.dispatch_day(plan_ref)
    if row is None:
        with svc.uow() as uow:
            plan = uow.plans.get(plan_ref)
        if plan is None:
            raise NotFound("plan", plan_ref)
        return {
            "plan_ref": plan.ref,
            "current_plan_ref": plan.ref,
            "hub_ref": ",".join(plan.hub_refs),
            "service_date": plan.service_date,
            "dispatched": False,
            "steps": [],
        }
    steps = svc.api_store.dispatch_steps(row["plan_ref"])
    return {
        "plan_ref": row["plan_ref"],
        "current_plan_ref": row["current_plan_ref"],
        "hub_ref": row["hub_ref"],
        "service_date": row["service_date"],
        "dispatched": True,
        "steps": [step_view(s) for s in steps],
    }
