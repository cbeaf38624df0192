"""Run the `lastmile` command in-process against a fresh database and working folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from lastmile.cli import build_app

Invoke = Callable[..., Result]


@pytest.fixture
def lastmile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``lastmile(*args)`` in ``tmp_path`` with its data folder there; no database URL set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LASTMILE_DATABASE_URL", raising=False)
    monkeypatch.delenv("LASTMILE_DEMO_HEADLESS", raising=False)
    monkeypatch.setenv("LASTMILE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COLUMNS", "160")
    app = build_app()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def with_db(lastmile: Invoke, database_url: str) -> Invoke:
    """``lastmile`` against the test database (SQLite or PostgreSQL)."""

    def invoke(*args: str) -> Result:
        return lastmile(*args, env={"LASTMILE_DATABASE_URL": database_url})

    return invoke
