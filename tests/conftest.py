"""Shared fixtures: a fresh database per test on the backend chosen by LASTMILE_TEST_DB."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PG_ADMIN_URL = os.environ.get(
    "LASTMILE_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def backend() -> str:
    return os.environ.get("LASTMILE_TEST_DB", "sqlite")


def shared_path(*parts: str) -> Path:
    """A file under ../shared, or skip: a user's machine has no shared data."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (shared data is only beside the project checkout)")
    return path


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A new empty database: a SQLite file, or a PostgreSQL database dropped afterwards."""
    if backend() == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    import sqlalchemy as sa

    name = f"lastmile_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc.orig}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
