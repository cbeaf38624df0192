"""SQL side of webhooks: subscriptions, the delivery queue and the log of attempts."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lastmile.domain.errors import NotFound
from lastmile.notify.ports import Attempt, Subscription, WebhookJob
from lastmile.store import api_tables as a
from lastmile.store.repositories import _insert


@contextmanager
def _within(engine: Engine, conn: sa.Connection | None) -> Iterator[sa.Connection]:
    if conn is not None:
        yield conn
    else:
        with engine.begin() as own:
            yield own


def _subscription(row: Any) -> Subscription:
    return Subscription(
        row.ref, row.url, row.secret, tuple(row.event_types or ()), bool(row.active)
    )


class SqlWebhookStore:
    """``notify.ports.WebhookStore`` on SQLite or PostgreSQL, each call its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def subscriptions(self) -> list[Subscription]:
        stmt = sa.select(a.webhook_subscriptions).order_by(a.webhook_subscriptions.c.id)
        with self._engine.connect() as conn:
            return [_subscription(r) for r in conn.execute(stmt)]

    def get_subscription(self, ref: str) -> Subscription | None:
        stmt = sa.select(a.webhook_subscriptions).where(a.webhook_subscriptions.c.ref == ref)
        with self._engine.connect() as conn:
            row = conn.execute(stmt).first()
        return _subscription(row) if row else None

    def add_subscription(
        self, subscription: Subscription, created_at: datetime, conn: sa.Connection | None = None
    ) -> None:
        """Store a subscription, in ``conn``'s transaction when given (with its audit entry)."""
        values = {**dataclasses.asdict(subscription), "created_at": created_at}
        values["event_types"] = list(subscription.event_types)
        with _within(self._engine, conn) as tx:
            tx.execute(sa.insert(a.webhook_subscriptions), [values])

    def remove_subscription(self, ref: str, conn: sa.Connection | None = None) -> None:
        table = a.webhook_subscriptions
        with _within(self._engine, conn) as tx:
            if tx.execute(sa.delete(table).where(table.c.ref == ref)).rowcount != 1:
                raise NotFound("webhook", ref)

    def enqueue(self, jobs: Sequence[WebhookJob]) -> None:
        rows = [{**dataclasses.asdict(j), "status": "pending"} for j in jobs]
        if not rows:
            return
        with self._engine.begin() as conn:
            stmt = _insert(conn, a.webhook_jobs).on_conflict_do_nothing(
                index_elements=["event_id", "subscription_ref"]
            )
            conn.execute(stmt, rows)

    def due(self, now: datetime, limit: int) -> list[WebhookJob]:
        c = a.webhook_jobs.c
        stmt = (
            sa.select(
                c.event_id,
                c.subscription_ref,
                c.event_type,
                c.body,
                c.attempts,
                c.next_attempt_at,
                c.created_at,
            )
            .where(c.status == "pending", c.next_attempt_at <= now)
            .order_by(c.next_attempt_at, c.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [WebhookJob(**row) for row in conn.execute(stmt).mappings()]

    def settle(
        self, job: WebhookJob, attempt: Attempt, at: datetime, status: str, next_at: datetime
    ) -> None:
        c = a.webhook_jobs.c
        with self._engine.begin() as conn:
            conn.execute(
                sa.insert(a.webhook_attempts),
                [
                    {
                        "event_id": job.event_id,
                        "subscription_ref": job.subscription_ref,
                        "attempt": job.attempts + 1,
                        **dataclasses.asdict(attempt),
                        "at": at,
                    }
                ],
            )
            conn.execute(
                sa.update(a.webhook_jobs)
                .where(c.event_id == job.event_id, c.subscription_ref == job.subscription_ref)
                .values(status=status, attempts=c.attempts + 1, next_attempt_at=next_at)
            )

    def attempts(self, event_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The delivery log, newest first."""
        c = a.webhook_attempts.c
        stmt = sa.select(a.webhook_attempts).order_by(c.id.desc()).limit(limit)
        if event_id is not None:
            stmt = stmt.where(c.event_id == event_id)
        with self._engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]
