"""Reading and settling the outbox: what a sender (notify, webhooks) loops over.

Messages are written by the unit of work in the same transaction as the change they report;
a sender takes the undelivered ones oldest first, delivers them (receivers deduplicate on
``event_id``) and marks each delivered or failed. A crash between delivering and marking means
one more delivery of the same event, never a lost one.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lastmile.domain.errors import InvalidInput, NotFound
from lastmile.store import tables as t
from lastmile.store.memory import InMemoryDatabase
from lastmile.store.messages import OutboxMessage

#: A sender gives up on a message after this many failed attempts unless told otherwise.
MAX_ATTEMPTS = 10


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1, got {limit}", field="limit")


class SqlOutbox:
    """The ``outbox`` table, each call in its own short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def pending(self, limit: int = 100, max_attempts: int = MAX_ATTEMPTS) -> list[OutboxMessage]:
        """Undelivered messages with fewer than ``max_attempts`` failures, oldest first."""
        _check_limit(limit)
        c = t.outbox.c
        stmt = (
            sa.select(*(col for col in t.outbox.c if col.name != "id"))
            .where(c.delivered_at.is_(None), c.attempts < max_attempts)
            .order_by(c.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [OutboxMessage(**row) for row in conn.execute(stmt).mappings()]

    def mark_delivered(self, event_id: str, at: datetime | None = None) -> None:
        when = (at or datetime.now(UTC)).astimezone(UTC)
        self._update(event_id, delivered_at=when, last_error=None)

    def mark_failed(self, event_id: str, error: str) -> None:
        self._update(event_id, attempts=t.outbox.c.attempts + 1, last_error=error)

    def _update(self, event_id: str, **values: object) -> None:
        stmt = sa.update(t.outbox).where(t.outbox.c.event_id == event_id).values(**values)
        with self._engine.begin() as conn:
            if conn.execute(stmt).rowcount != 1:
                raise NotFound("outbox message", event_id)


class InMemoryOutbox:
    """The same over an :class:`InMemoryDatabase` (the simulator, unit tests)."""

    def __init__(self, database: InMemoryDatabase) -> None:
        self._database = database

    def pending(self, limit: int = 100, max_attempts: int = MAX_ATTEMPTS) -> list[OutboxMessage]:
        _check_limit(limit)
        waiting = [
            m for m in self._database.outbox if m.delivered_at is None and m.attempts < max_attempts
        ]
        return [dataclasses.replace(m) for m in waiting[:limit]]

    def mark_delivered(self, event_id: str, at: datetime | None = None) -> None:
        message = self._find(event_id)
        message.delivered_at = (at or datetime.now(UTC)).astimezone(UTC)
        message.last_error = None

    def mark_failed(self, event_id: str, error: str) -> None:
        message = self._find(event_id)
        message.attempts += 1
        message.last_error = error

    def _find(self, event_id: str) -> OutboxMessage:
        for message in self._database.outbox:
            if message.event_id == event_id:
                return message
        raise NotFound("outbox message", event_id)
