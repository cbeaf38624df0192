"""The SQL unit of work: one connection, one transaction, repositories and the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lastmile.domain.events import DomainEvent
from lastmile.store import tables as t
from lastmile.store.db import WRITE_INTENT
from lastmile.store.messages import order_event_record, outbox_message
from lastmile.store.repositories import SqlOrders, SqlPlans, SqlShifts, SqlTable, insert_new
from lastmile.store.work import Gateways, TrackingUnitOfWork


class SqlUnitOfWork(TrackingUnitOfWork):
    """``dispatch.ports.UnitOfWork`` on SQLite or PostgreSQL.

    Use it as ``with SqlUnitOfWork(engine) as uow: ...; uow.commit()``. Leaving the block
    without committing, or by an exception, rolls back. After ``commit`` the same block may go
    on and commit again.

    On SQLite a unit of work holds the database's write lock from its first statement until
    it commits or rolls back (see ``db._configure_sqlite``), so do not open a second one in the
    same thread while the first is still in a transaction: it would wait for the busy timeout.
    Plain reads (read models, reports) on other connections are never blocked.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine
        self._connection: sa.Connection | None = None

    @property
    def connection(self) -> sa.Connection:
        """The transaction's connection, for read-model queries that sit beside the repos."""
        if self._connection is None:
            raise RuntimeError("the unit of work is not open; use it in a `with` block")
        return self._connection

    def _begin(self) -> Gateways:
        if self._connection is None:
            connection = self._engine.connect()
            self._connection = connection.execution_options(**{WRITE_INTENT: True})
        conn = self._connection
        return Gateways(
            hubs=SqlTable(conn, t.hubs),
            zones=SqlTable(conn, t.zones),
            vehicles=SqlTable(conn, t.vehicles),
            drivers=SqlTable(conn, t.drivers),
            shifts=SqlShifts(conn),
            orders=SqlOrders(conn),
            plans=SqlPlans(conn),
        )

    def _write_events(self, events: list[DomainEvent]) -> None:
        if not events:
            return
        now = datetime.now(UTC)
        timeline = [r for r in map(order_event_record, events) if r is not None]
        outbox = [vars(outbox_message(e, now)) for e in events]
        insert_new(self.connection, t.order_events, timeline, key="event_id")
        insert_new(self.connection, t.outbox, outbox, key="event_id")

    def _commit_transaction(self) -> None:
        self.connection.commit()

    def _rollback_transaction(self) -> None:
        self.connection.rollback()

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
