"""Domain events (past tense) and commands (imperative); every state change appends an event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime


def new_event_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened; ``event_id`` stays the same across every delivery attempt."""

    event_id: str = field(default_factory=new_event_id)
    occurred_at: datetime = field(default_factory=utcnow)

    @property
    def name(self) -> str:
        return type(self).__name__


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(DomainEvent):
    order_ref: str
    hub_ref: str


@dataclass(frozen=True, kw_only=True)
class OrderUpdated(DomainEvent):
    order_ref: str
    changed_fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class OrderStateChanged(DomainEvent):
    """One step of an order's journey: who moved it, from where to where, and why."""

    order_ref: str
    from_state: str
    to_state: str
    outcome: str | None = None
    reason: str | None = None
    actor: str = "system"
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, kw_only=True)
class OrderRescheduled(DomainEvent):
    order_ref: str
    old_window: tuple[datetime, datetime] | None
    new_window: tuple[datetime, datetime] | None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class PlanCreated(DomainEvent):
    plan_ref: str
    routes: int
    unassigned: int


@dataclass(frozen=True, kw_only=True)
class PlanReplanned(DomainEvent):
    """A dispatched day's plan was replaced: ``plan_ref`` is in force now, ``replaces`` was.

    ``day_plan_ref`` names the day (its first plan); ``step`` is the event that caused it.
    """

    plan_ref: str
    replaces: str
    day_plan_ref: str
    step: int
    reason: str
    trigger: str
    changes: int
    unassigned: int


@dataclass(frozen=True, kw_only=True)
class RouteDispatched(DomainEvent):
    """A planned route was released to its driver (``route.dispatched``)."""

    plan_ref: str
    route_ref: str
    vehicle_ref: str
    driver_ref: str | None
    stops: int
    actor: str = "system"


@dataclass(frozen=True, kw_only=True)
class Command:
    """A request to change the system, handled by exactly one handler in dispatch."""


@dataclass(frozen=True, kw_only=True)
class PlanRoutes(Command):
    hub_ref: str
    service_date: str
    time_limit_s: float = 30.0
