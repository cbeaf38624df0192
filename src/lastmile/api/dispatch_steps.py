"""Writing a dispatched day's step: the step, the plans it led to (the plan they replace is
marked ``superseded``), the orders it planned or cancelled, the events for the outbox and
the audit entry, in one transaction. Two requests racing on one day: the second is a
Conflict and writes nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from lastmile.api.dispatch_day import SUPERSEDED, Day, hubs_of
from lastmile.api.services import Services
from lastmile.dispatch import commands as c
from lastmile.dispatch.handlers import DispatchContext
from lastmile.dispatch.replan_log import record_of
from lastmile.dispatch.replay import Outcome, command_payload
from lastmile.domain import LifecycleState, Plan
from lastmile.domain.errors import NotFound
from lastmile.domain.events import Command, PlanReplanned
from lastmile.domain.journey import is_legal
from lastmile.planning.solver import from_domain
from lastmile.store.api_repositories import AuditedUnitOfWork


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


def _keep_statuses(before: dict[str, tuple[str, str | None]], after: list[Plan]) -> None:
    """A van's route that was dispatched stays dispatched when its stops are re-planned, and
    keeps the driver assigned to it by hand (the re-plan knows only the shifts' drivers);
    ``before``: the replaced plan's routes' status and driver by vehicle."""
    for plan in after:
        for route in plan.routes:
            if route.vehicle_ref in before:
                status, driver = before[route.vehicle_ref]
                route.status = status
                route.driver_ref = route.driver_ref or driver


def _announced(
    day: Day, seq: int, previous: str, stored: list[Plan], outcome: Outcome
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


def store(
    svc: Services, day: Day, command: Command, outcome: Outcome, at_s: int, actor: str
) -> dict[str, Any]:
    """Writes the step and returns its view. ``day`` moves on to it: its step count, its
    plan in force, and that plan as the next rebuild would read it back."""
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
            # The plan in force is marked, not read: on a 2,000-stop day reading it took
            # a quarter of the write (docs/benchmarks/api.md).
            _keep_statuses(svc.api_store.supersede(current, uow.connection), stored)
            for old in stored[:-1]:  # a command that re-planned twice: the first is history
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
        hubs = hubs_of(day.base)
        head = {
            "plan_ref": day.base.ref,
            "hub_ref": hubs,
            "service_date": day.base.service_date,
            "current_plan_ref": current,
            "steps": seq,
            "created_at": now,
            "updated_at": now,
        }
        svc.api_store.add_dispatch_step(head, step, uow.connection, hubs.split(","))
        uow.publish(outcome.events)
        uow.publish(_announced(day, seq, previous, stored, outcome))
        target = f"plans/{day.base.ref}/steps/{seq}"
        uow.audit(actor, f"dispatch.{step['command']}", target, None, payload)
        uow.commit()
    day.steps, day.row = seq, head
    if stored:
        ctx.state.plan = from_domain(ctx.state.problem, stored[-1])
    return step_view(step, current)


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
