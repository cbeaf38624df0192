"""Migrations: packaged with the code, run from code, safe to run again, one straight line."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from lastmile.bootstrap import database_url, init_database
from lastmile.config import Settings
from lastmile.store import tables
from lastmile.store.db import alembic_config, current_revision, make_engine, migrate
from tests.conftest import backend

#: The tables of 0001_core; later migrations add others, described by their own modules.
CORE = {
    "hubs", "zones", "vehicles", "drivers", "shifts", "orders", "order_events",
    "plans", "routes", "visits", "outbox",
}  # fmt: skip


def _core_only(name: str | None, type_: str, parent: object) -> bool:
    return type_ != "table" or name in CORE


def _core_object(obj: object, name: str | None, type_: str, reflected: bool, other: object) -> bool:
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return getattr(table, "name", None) in CORE


def _table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_migration_history_is_one_straight_line() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert len(scripts.get_heads()) == 1
    revisions = list(scripts.walk_revisions())
    assert revisions[-1].revision == "0001_core" and revisions[-1].down_revision is None
    assert all(not isinstance(r.down_revision, tuple | list) for r in revisions)


@pytest.mark.storage
def test_migrating_an_empty_database_twice_builds_every_table_once(database_url: str) -> None:
    assert current_revision(database_url) is None
    migrate(database_url)
    head = current_revision(database_url)
    migrate(database_url)
    assert current_revision(database_url) == head
    assert _table_names(database_url) >= CORE


@pytest.mark.storage
def test_the_migrated_schema_is_exactly_the_tables_module(database_url: str) -> None:
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            opts = {
                "compare_type": True,
                "include_name": _core_only,
                "include_object": _core_object,
            }
            context = MigrationContext.configure(conn, opts=opts)
            diffs = compare_metadata(context, tables.metadata)
    finally:
        engine.dispose()
    assert set(tables.metadata.tables) >= CORE
    assert diffs == []


@pytest.mark.storage
def test_the_core_migration_can_be_undone(database_url: str) -> None:
    migrate(database_url, "0001_core")
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
    finally:
        engine.dispose()
    assert not CORE & _table_names(database_url)


@pytest.mark.storage
def test_sqlite_files_run_in_wal_mode_with_foreign_keys_enforced(database_url: str) -> None:
    if backend() != "sqlite":
        pytest.skip("SQLite pragmas only")
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    finally:
        engine.dispose()


def test_without_a_url_the_database_is_a_sqlite_file_in_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "nested" / "var"
    url = database_url(Settings(data_dir=data, database_url=""))
    assert data.is_dir() and url == f"sqlite:///{(data / 'lastmile.sqlite3').as_posix()}"
    init_database(url)
    assert (data / "lastmile.sqlite3").is_file()
    assert database_url(Settings(database_url="postgresql://x/y")) == "postgresql://x/y"


@pytest.mark.storage
def test_processes_migrating_the_same_empty_database_at_once_all_succeed(
    database_url: str,
) -> None:
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            migrate(database_url)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert _table_names(database_url) >= CORE
