"""A day in progress kept between requests: each accepted command is stored with the plans it
led to and the day's facts after it, and the day is rebuilt from them without searching.

A service that answers one request at a time cannot keep a :class:`DayState` in memory (a
restart, a second worker). Storing the state itself would tie the stored form to every
field of the problem; storing the commands ties it only to the commands, which are small
and stable. Replaying a command runs its handler and the rules as they ran (the handlers
are deterministic), but a re-plan adopts the plan that was stored for it instead of
searching, so the rebuilt day is the day as it was, in milliseconds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Self, cast

from pydantic import TypeAdapter, ValidationError

from lastmile.dispatch import commands as c
from lastmile.dispatch import events as ev
from lastmile.dispatch.bus import Handler, Message, MessageBus
from lastmile.dispatch.handlers import DispatchContext, apply_rules
from lastmile.dispatch.ports import UnitOfWork
from lastmile.dispatch.replanning import (
    COMMANDS,
    TRIGGERS,
    defer_unserved_failures,
    roll_forward,
)
from lastmile.dispatch.state import DayState
from lastmile.domain import InvalidInput, LastMileError, Plan
from lastmile.domain.events import Command, DomainEvent
from lastmile.planning.solver import PlanResult, from_domain

log = logging.getLogger(__name__)

#: The commands a stored day accepts from outside, by name. Replan and ImprovePlan are among
#: them: a dispatcher may ask for either.
ACCEPTED: dict[str, type[Command]] = {
    cls.__name__: cls
    for cls in (
        c.AddStopToDay,
        c.CancelStop,
        c.SlipReadiness,
        c.ReportDelay,
        c.ObserveProgress,
        c.RecordFailedAttempt,
        c.ReportBreakdown,
        c.ReportSlowdown,
        c.ObserveSlots,
        c.Replan,
        c.ImprovePlan,
    )
}
#: The commands that search: replayed, they adopt the stored plan instead.
SEARCHING = (c.Replan, c.ImprovePlan)


def command_payload(command: Command) -> dict[str, Any]:
    """The command as JSON (aware datetimes as ISO text), read back by :func:`command_from`."""
    if type(command).__name__ not in ACCEPTED:
        raise InvalidInput(f"{type(command).__name__} is not a dispatch command", field="command")
    dumped = TypeAdapter(type(command)).dump_python(command, mode="json")
    return cast(dict[str, Any], dumped)


def command_from(name: str, payload: Mapping[str, Any]) -> Command:
    cls = ACCEPTED.get(name)
    if cls is None:
        raise InvalidInput(f"unknown dispatch command {name!r}", field="command")
    try:
        return TypeAdapter(cls).validate_python(dict(payload))
    except ValidationError as exc:
        raise InvalidInput(f"stored {name} does not read back: {exc}", field="payload") from None


def facts_of(state: DayState) -> dict[str, Any]:
    """What the events said that the plan does not: cancelled, failed, deferred, new stops
    and broken vans."""
    return {
        "cancelled": sorted(state.cancelled),
        "failed": dict(sorted(state.failed.items())),
        "deferred": dict(sorted(state.deferred.items())),
        "new": sorted(state.new),
        "broken": sorted(v.ref for v in state.vehicles.values() if v.broken),
        "observed": dict(sorted(state.observed.items())),
        "arrived": dict(sorted(state.arrived.items())),
        "heading": dict(sorted(state.heading.items())),
    }


def _restore(state: DayState, facts: Mapping[str, Any], seq: int) -> None:
    replayed = facts_of(state)
    if any(replayed[k] != v for k, v in facts.items()):
        # The stored facts are what was accepted; a handler changed since must not rewrite them.
        log.warning("step %d replayed to other facts than stored; the stored ones are kept", seq)
    state.cancelled = set(facts["cancelled"])
    state.failed = dict(facts["failed"])
    state.deferred = dict(facts["deferred"])
    state.new = set(facts["new"])
    state.observed = {str(k): int(v) for k, v in facts.get("observed", {}).items()}
    state.arrived = {str(k): int(v) for k, v in facts.get("arrived", {}).items()}
    state.heading = {str(k): int(v) for k, v in facts.get("heading", {}).items()}
    broken = set(facts["broken"])
    for ref, v in state.vehicles.items():
        if v.broken != (ref in broken):
            state.vehicles[ref] = replace(v, broken=ref in broken)


@dataclass(frozen=True)
class Step:
    """One accepted command: when, what, the plans it led to, and the facts after it."""

    seq: int
    at_s: int
    command: Command
    #: As stored: they are read back on the day's problem as it is when they are adopted
    #: (a stop added by the command is in it by then).
    plans: tuple[Plan, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)


class _Collect:
    """The bus's unit of work for a stored day: events are kept for the caller to write in
    its own transaction, with the plans and the step."""

    def __init__(self, into: list[DomainEvent]) -> None:
        self._into = into
        self._pending: list[DomainEvent] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pending = []

    def publish(self, events: Iterable[DomainEvent]) -> None:
        self._pending.extend(events)

    def commit(self) -> None:
        self._into.extend(self._pending)
        self._pending = []

    def rollback(self) -> None:
        self._pending = []


def _bus(
    ctx: DispatchContext, handlers: Mapping[type, Handler], into: list[DomainEvent]
) -> MessageBus:
    def uow() -> UnitOfWork:
        return cast(UnitOfWork, _Collect(into))

    return MessageBus(ctx, uow, handlers, {e: [apply_rules] for e in TRIGGERS})


def _adopting(adopted: list[Plan]) -> Handler:
    """A searching command replayed: the next stored plan is adopted, nothing is searched."""

    def adopt(cmd: Command, ctx: DispatchContext, uow: UnitOfWork) -> list[Message]:
        if isinstance(cmd, c.ImprovePlan):
            ctx.improve_steps += 1
        if adopted:
            ctx.state.plan = from_domain(ctx.state.problem, adopted.pop(0))
            defer_unserved_failures(ctx.state, ctx.state.plan.unassigned)
        return []

    return adopt


def replay(start: DispatchContext, steps: Sequence[Step]) -> DispatchContext:
    """``start`` (the day's first plan) moved through ``steps`` as they ran."""
    ctx = start
    for step in steps:
        adopted = list(step.plans)
        handlers: dict[type, Handler] = {**COMMANDS, **{k: _adopting(adopted) for k in SEARCHING}}
        ctx.state = roll_forward(ctx.state, max(step.at_s, ctx.state.now_s))
        _bus(ctx, handlers, []).handle(step.command)
        if adopted:  # a rule that no longer fires: the plan was adopted all the same
            ctx.state.plan = from_domain(ctx.state.problem, adopted[-1])
        _restore(ctx.state, step.facts, step.seq)
    return ctx


@dataclass
class Outcome:
    """What one command did: the events, and each plan adopted with its re-plan record."""

    events: list[DomainEvent]
    plans: list[PlanResult]
    replans: list[ev.Replanned]
    facts: dict[str, Any]


def check_time(ctx: DispatchContext, at_s: int) -> None:
    """The day only moves forward: an event dated before its time now is refused."""
    if at_s < ctx.state.now_s:
        raise InvalidInput(
            f"the day is at {ctx.state.problem.at(ctx.state.now_s).isoformat()} already; "
            "an event cannot be dated before it",
            field="at",
        )


def run(ctx: DispatchContext, command: Command, at_s: int) -> Outcome:
    """``command`` at ``at_s`` on the live day: the handlers, the rules and any re-plan run
    for real. The day moves forward to ``at_s`` first; it never moves back. A refused
    command (a LastMileError) leaves ``ctx.state`` as it was, whatever a handler edited
    before refusing."""
    check_time(ctx, at_s)
    plans: list[PlanResult] = []

    def keeping(handler: Handler) -> Handler:
        def run_and_keep(cmd: Any, ctx: DispatchContext, uow: UnitOfWork) -> list[Message]:
            out = handler(cmd, ctx, uow)
            if any(isinstance(m, ev.Replanned) for m in out):
                plans.append(ctx.state.plan)
            return out

        return run_and_keep

    handlers: dict[type, Handler] = {**COMMANDS, **{k: keeping(COMMANDS[k]) for k in SEARCHING}}
    events: list[DomainEvent] = []
    before = ctx.state
    ctx.state = roll_forward(before, at_s)
    if ctx.state is before:  # the same moment: the handlers edit a copy
        ctx.state = before.copy()
    try:
        _bus(ctx, handlers, events).handle(command)
    except LastMileError:
        ctx.state = before
        raise
    replans = [e for e in events if isinstance(e, ev.Replanned)]
    return Outcome(events, plans, replans, facts_of(ctx.state))
