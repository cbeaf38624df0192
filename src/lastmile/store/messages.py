"""How domain events are written down: the journey timeline row and the outbox message.

Pure functions over the event dataclasses, shared by the SQL and in-memory units of work so
both store exactly the same thing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from lastmile.domain.events import DomainEvent

#: Attributes naming the aggregate an event belongs to, most specific first.
AGGREGATE_KEYS = ("order_ref", "route_ref", "plan_ref", "shift_ref", "vehicle_ref", "hub_ref")


@dataclass
class OutboxMessage:
    """One event waiting to leave the process; ``event_id`` makes redelivery harmless."""

    event_id: str
    event_type: str
    aggregate_ref: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int = 0
    delivered_at: datetime | None = None
    last_error: str | None = None


def _plain(value: Any) -> Any:
    """JSON-ready form: datetimes as UTC ISO text, enums as values, tuples as lists."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    return value


def event_payload(event: DomainEvent) -> dict[str, Any]:
    """Every field of the event plus its type, as JSON-ready values."""
    fields = {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return {"type": event.name, **fields}


def aggregate_ref(event: DomainEvent) -> str:
    for key in AGGREGATE_KEYS:
        value = getattr(event, key, None)
        if isinstance(value, str) and value:
            return value
    return ""


def outbox_message(event: DomainEvent, now: datetime | None = None) -> OutboxMessage:
    return OutboxMessage(
        event_id=event.event_id,
        event_type=event.name,
        aggregate_ref=aggregate_ref(event),
        payload=event_payload(event),
        created_at=(now or datetime.now(UTC)).astimezone(UTC),
    )


def order_event_record(event: DomainEvent) -> dict[str, Any] | None:
    """The journey-timeline row for an event about an order, or ``None`` for other events."""
    order_ref = getattr(event, "order_ref", None)
    if not isinstance(order_ref, str):
        return None
    to_state = getattr(event, "to_state", None)
    if to_state is None and event.name == "OrderPlaced":
        to_state = "created"
    return {
        "event_id": event.event_id,
        "event_type": event.name,
        "order_ref": order_ref,
        "from_state": getattr(event, "from_state", None),
        "to_state": to_state,
        "outcome": getattr(event, "outcome", None),
        "reason": getattr(event, "reason", None) or None,
        "actor": getattr(event, "actor", "system"),
        "lat": getattr(event, "lat", None),
        "lon": getattr(event, "lon", None),
        "occurred_at": event.occurred_at.astimezone(UTC),
        "payload": event_payload(event),
    }
