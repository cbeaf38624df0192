"""A migrated database (SQLite or PostgreSQL per LASTMILE_TEST_DB) behind a ``store`` probe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from lastmile.bootstrap import SqlUnitOfWorkFactory, init_database, uow_factory
from lastmile.dispatch.ports import UnitOfWork
from lastmile.store import tables as t
from lastmile.store.outbox import SqlOutbox


class SqlProbe:
    def __init__(self, factory: SqlUnitOfWorkFactory) -> None:
        self.factory = factory
        self.engine = factory.engine

    def uow(self) -> UnitOfWork:
        return self.factory()

    def rows(self, table: sa.Table) -> list[dict[str, object]]:
        with self.engine.connect() as conn:
            stmt = sa.select(table).order_by(table.c.id)
            return [dict(r) for r in conn.execute(stmt).mappings()]

    def outbox(self) -> list[tuple[str, str, str]]:
        return [(r["event_id"], r["event_type"], r["aggregate_ref"]) for r in self.rows(t.outbox)]  # type: ignore[misc]

    def sender(self) -> SqlOutbox:
        return SqlOutbox(self.engine)

    def timeline(self, order_ref: str) -> list[tuple[str, str | None, str | None, str | None]]:
        return [
            (r["event_type"], r["from_state"], r["to_state"], r["outcome"])  # type: ignore[misc]
            for r in self.rows(t.order_events)
            if r["order_ref"] == order_ref
        ]


@pytest.fixture
def store(database_url: str) -> Iterator[SqlProbe]:
    factory = uow_factory(init_database(database_url))
    try:
        yield SqlProbe(factory)
    finally:
        factory.dispose()
