"""Engines and schema migrations; the only module that knows backend quirks.

SQLite is the zero-setup default (a file under the data folder); PostgreSQL (through psycopg 3)
is what a shared deployment uses. Migrations ship inside the package and run from code, so an
installed ``lastmile`` needs no ``alembic.ini`` on disk.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL, Engine, make_url

from lastmile.domain.errors import InvalidInput

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: How long a SQLite writer waits for another one before failing (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 15_000

#: Execution option a connection sets when its transactions will write (SQLite: IMMEDIATE).
WRITE_INTENT = "lastmile_write_intent"

#: Any 64-bit number, the same in every process: serialises concurrent `migrate` on PostgreSQL.
_MIGRATION_LOCK = 7_324_917_004


def normalize_url(url: str | URL) -> URL:
    """Parse ``url``; plain ``postgresql://`` (or ``postgres://``) is routed to psycopg 3."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise InvalidInput(f"not a database URL: {exc}", field="database_url") from None
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInput(
            f"unsupported database {parsed.get_backend_name()!r}; use sqlite or postgresql",
            field="database_url",
        )
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``: SQLite in WAL mode with foreign keys, or PostgreSQL via psycopg."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        _ensure_sqlite_folder(parsed)
        engine = sa.create_engine(parsed, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(parsed, **kwargs)


def _ensure_sqlite_folder(url: URL) -> None:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    """Pragmas on every connection; BEGIN emitted by us, IMMEDIATE when asked for.

    pysqlite's own transaction handling defers BEGIN and skips it for DDL; taking it over
    (the recipe in SQLAlchemy's SQLite notes) makes migrations transactional. Plain reads use a
    deferred BEGIN and never wait (WAL). A connection marked with :data:`WRITE_INTENT` (a unit
    of work's) begins IMMEDIATE: it takes the write lock up front, so having read first it
    cannot fail with SQLITE_BUSY when it writes at commit; a second writer waits up to the busy
    timeout instead.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_INTENT, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _use_wal(cursor: Any) -> None:
    """Switch a new database to WAL, waiting for a writer that holds it.

    Switching needs the database to itself, and SQLite reports "database is locked" at
    once, without its busy timeout, while another connection (a process migrating the same
    new file) writes; once the file is in WAL mode the pragma is a read and never waits.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration built in code, pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS.as_posix())
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", (MIGRATIONS / "versions").as_posix())
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(url: str | URL, revision: str = "head") -> None:
    """Bring the schema at ``url`` up to ``revision``; running it again changes nothing.

    Processes starting together (API workers, CLI) may all call it: PostgreSQL serialises
    them with an advisory lock, SQLite with its write lock (BEGIN IMMEDIATE).
    """
    engine = make_engine(url)
    try:
        with (
            engine.connect().execution_options(**{WRITE_INTENT: True}) as connection,
            connection.begin(),
        ):
            if connection.dialect.name == "postgresql":
                lock = sa.text("SELECT pg_advisory_xact_lock(:k)")
                connection.execute(lock, {"k": _MIGRATION_LOCK})
            command.upgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()


def current_revision(url: str | URL) -> str | None:
    """The schema revision the database is at, or ``None`` before the first migration."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
