"""Migration 0002_api builds exactly the tables ``store.api_tables`` describes, and undoes them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lastmile.store import api_tables, tables
from lastmile.store.db import alembic_config, make_engine, migrate

pytestmark = pytest.mark.storage
API_TABLES = {
    "api_keys", "idempotency_keys", "audit_log", "tracking_tokens",
    "webhook_subscriptions", "webhook_jobs", "webhook_attempts", "plan_jobs",
}  # fmt: skip


def _ours(obj: object, name: str | None, type_: str, reflected: bool, other: object) -> bool:
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return getattr(table, "name", None) in API_TABLES


def test_the_api_migration_matches_the_api_tables_module(database_url: str) -> None:
    assert api_tables.api_keys.metadata is tables.metadata
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_object": _ours}
            context = MigrationContext.configure(conn, opts=opts)
            diffs = compare_metadata(context, tables.metadata)
    finally:
        engine.dispose()
    assert diffs == []


def test_the_api_migration_can_be_undone_leaving_the_core(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0001_core")
        names = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert not API_TABLES & names and "orders" in names
