"""Orders and the stops planning serves; an order owns its journey and its event history."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from lastmile.domain import journey
from lastmile.domain.enums import (
    Channel,
    FailureReason,
    LifecycleState,
    Outcome,
    Preference,
    ServiceLevel,
    Skill,
    StopKind,
)
from lastmile.domain.errors import IllegalTransition, InvalidInput
from lastmile.domain.events import (
    DomainEvent,
    OrderPlaced,
    OrderRescheduled,
    OrderStateChanged,
    utcnow,
)
from lastmile.domain.values import Address, Contact, Item, Load, TimeWindow, require_aware


def require_ref(value: str, name: str = "ref") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("reference must be a non-empty string", field=name)
    if len(value) > 128:
        raise InvalidInput("reference is longer than 128 characters", field=name)
    return value.strip()


@dataclass(eq=False)
class Order:
    """A customer order; identity is its external reference (unique per tenant)."""

    ref: str
    hub_ref: str
    address: Address
    channel: Channel = Channel.CHECKOUT
    service_level: ServiceLevel = ServiceLevel.NEXT_DAY
    window: TimeWindow | None = None
    items: tuple[Item, ...] = ()
    skills: frozenset[Skill] = frozenset()
    preferences: frozenset[Preference] = frozenset()
    recipient: Contact = field(default_factory=Contact)
    instructions: str = ""
    access_notes: str = ""
    service_s: int | None = None
    priority: int = 0
    ready_at: datetime | None = None
    zone_ref: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    state: LifecycleState = LifecycleState.CREATED
    outcome: Outcome | None = None
    failure_reason: FailureReason | None = None
    attempts: int = 0
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.ref = require_ref(self.ref, "ref")
        self.hub_ref = require_ref(self.hub_ref, "hub_ref")
        if self.service_s is not None and self.service_s < 0:
            raise InvalidInput("service time must not be negative", field="service_s")
        if self.ready_at is not None:
            require_aware(self.ready_at, "ready_at")
        require_aware(self.created_at, "created_at")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Order) and other.ref == self.ref

    def __hash__(self) -> int:
        return hash(self.ref)

    @property
    def kind(self) -> StopKind:
        return StopKind.PICKUP if self.channel is Channel.RETURN else StopKind.DELIVERY

    @property
    def load(self) -> Load:
        total = Load()
        for item in self.items:
            total = total + item.load
        return total

    @property
    def is_on_vehicle(self) -> bool:
        return self.state in journey.ON_VEHICLE

    @property
    def is_terminal(self) -> bool:
        return journey.is_terminal(self.state, self.outcome)

    def placed(self) -> None:
        """Record creation; called once by whoever first accepts the order."""
        self.events.append(OrderPlaced(order_ref=self.ref, hub_ref=self.hub_ref))

    def advance(
        self,
        target: LifecycleState,
        *,
        at: datetime | None = None,
        actor: str = "system",
        reason: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
    ) -> OrderStateChanged:
        """Move the journey to ``target`` or raise IllegalTransition; returns the event."""
        if not journey.is_legal(self.state, target) or (
            self.state is LifecycleState.COMPLETED
            and not journey.leaves_completed_legally(self.outcome, target)
        ):
            raise IllegalTransition(self.ref, self.state.value, target.value)
        event = OrderStateChanged(
            order_ref=self.ref,
            from_state=self.state.value,
            to_state=target.value,
            outcome=None,
            reason=reason,
            actor=actor,
            lat=lat,
            lon=lon,
            occurred_at=at or utcnow(),
        )
        self.state = target
        self.events.append(event)
        return event

    def complete(
        self,
        outcome: Outcome,
        *,
        reason: FailureReason | None = None,
        at: datetime | None = None,
        actor: str = "system",
        lat: float | None = None,
        lon: float | None = None,
    ) -> OrderStateChanged:
        """Close an attempt as delivered or failed; a failure must say why."""
        if outcome is Outcome.RESCHEDULED:
            raise InvalidInput("use reschedule() to move an order's window", field="outcome")
        if outcome is Outcome.FAILED and reason is None:
            raise InvalidInput("a failed attempt needs a reason", field="reason")
        if outcome is Outcome.DELIVERED and reason is not None:
            raise InvalidInput("a delivered order has no failure reason", field="reason")
        if not journey.is_legal(self.state, LifecycleState.COMPLETED):
            raise IllegalTransition(self.ref, self.state.value, LifecycleState.COMPLETED.value)
        event = OrderStateChanged(
            order_ref=self.ref,
            from_state=self.state.value,
            to_state=LifecycleState.COMPLETED.value,
            outcome=outcome.value,
            reason=reason.value if reason else None,
            actor=actor,
            lat=lat,
            lon=lon,
            occurred_at=at or utcnow(),
        )
        self.state = LifecycleState.COMPLETED
        self.outcome = outcome
        self.failure_reason = reason
        self.attempts += 1
        self.events.append(event)
        return event

    def reschedule(
        self, window: TimeWindow | None, *, reason: str = "", at: datetime | None = None
    ) -> OrderRescheduled:
        """Promise a new window; only while the parcel is not on a vehicle."""
        if self.state not in journey.RESCHEDULABLE:
            raise IllegalTransition(self.ref, self.state.value, "rescheduled")
        old = self.window
        if self.state in (LifecycleState.PLANNED, LifecycleState.RETURNED):
            self.advance(LifecycleState.READY, at=at, reason=reason or "rescheduled")
        self.window = window
        self.outcome = Outcome.RESCHEDULED
        event = OrderRescheduled(
            order_ref=self.ref,
            old_window=(old.start, old.end) if old else None,
            new_window=(window.start, window.end) if window else None,
            reason=reason,
            occurred_at=at or utcnow(),
        )
        self.events.append(event)
        return event

    def cancel(self, *, reason: str = "", at: datetime | None = None) -> OrderStateChanged:
        return self.advance(LifecycleState.CANCELLED, at=at, reason=reason or "cancelled")

    def pull_events(self) -> list[DomainEvent]:
        """Hand pending events to the unit of work (which writes them to the outbox)."""
        pending, self.events = self.events, []
        return pending


@dataclass(frozen=True)
class Stop:
    """A place to visit once; planning's unit. Usually one order, sometimes several merged."""

    ref: str
    kind: StopKind
    location: Address
    windows: tuple[TimeWindow, ...] = ()
    service_s: int = 0
    load: Load = field(default_factory=Load)
    skills: frozenset[Skill] = frozenset()
    order_refs: tuple[str, ...] = ()
    priority: int = 0
    required: bool = True
    ready_at: datetime | None = None
    pickup_ref: str | None = None

    def __post_init__(self) -> None:
        require_ref(self.ref)
        if self.service_s < 0:
            raise InvalidInput("service time must not be negative", field="service_s")
        ordered = sorted(self.windows, key=lambda w: w.start)
        for a, b in itertools.pairwise(ordered):
            if a.overlaps(b):
                raise InvalidInput(f"stop {self.ref}: time windows overlap", field="windows")


#: Default service seconds by address type, used when an order gives none.
DEFAULT_SERVICE_S = {
    "house": 120,
    "apartment": 240,
    "business": 180,
    "locker": 60,
    "unknown": 180,
}


def stop_for_order(order: Order) -> Stop:
    """The stop that serves one order, with service time defaulting by address type."""
    service = order.service_s
    if service is None:
        service = DEFAULT_SERVICE_S[order.address.address_type.value]
    return Stop(
        ref=order.ref,
        kind=order.kind,
        location=order.address,
        windows=(order.window,) if order.window else (),
        service_s=service,
        load=order.load,
        skills=order.skills,
        order_refs=(order.ref,),
        priority=order.priority,
        ready_at=order.ready_at,
    )
