"""What a running server's live monitor raised, read back from the shared database's outbox.

Over HTTP the server's monitor detects drift and long stops from the pings it ingests; its
answer names the events but does not carry them. The simulator shares the server's database
(it plays the back office: orders, plans), so it reads those events where every consumer of
the platform reads them: the outbox, in the order they were written.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lastmile.domain.events import DomainEvent
from lastmile.store import tables as t
from lastmile.tracking import events as tev

#: The monitor's exceptions the day's scorecard counts (see ``sim.record``).
MONITOR_EVENTS: tuple[type[DomainEvent], ...] = (tev.RouteDrifted, tev.RouteRejoined, tev.LongStop)


class OutboxEvents:
    """New monitor events of the given vehicles since the last read, rebuilt as dataclasses."""

    def __init__(
        self,
        engine: Engine,
        vehicles: Iterable[str] | None = None,
        kinds: tuple[type[DomainEvent], ...] = MONITOR_EVENTS,
    ) -> None:
        self.engine, self.kinds = engine, {k.__name__: k for k in kinds}
        self.vehicles = None if vehicles is None else set(vehicles)
        with engine.connect() as conn:
            self.last_id = conn.execute(sa.select(sa.func.max(t.outbox.c.id))).scalar() or 0

    def __call__(self) -> list[DomainEvent]:
        c = t.outbox.c
        query = (
            sa.select(c.id, c.event_type, c.payload)
            .where(c.id > self.last_id, c.event_type.in_(self.kinds))
            .order_by(c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        found = []
        for row in rows:
            self.last_id = max(self.last_id, row.id)
            event = rebuild(self.kinds[row.event_type], row.payload)
            if self.vehicles is None or getattr(event, "vehicle_ref", None) in self.vehicles:
                found.append(event)
        return found


def rebuild(kind: type[DomainEvent], payload: dict[str, Any]) -> DomainEvent:
    """The event an outbox payload (``store.messages.event_payload``) was written from."""
    hints = typing.get_type_hints(kind)
    values: dict[str, Any] = {}
    for f in fields(kind):
        if f.name not in payload:
            continue
        value, hint = payload[f.name], hints.get(f.name)
        if hint is datetime and isinstance(value, str):
            value = datetime.fromisoformat(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return kind(**values)
