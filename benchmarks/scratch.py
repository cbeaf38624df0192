"""A throw-away database for a benchmark run: a SQLite file or a PostgreSQL database.

PostgreSQL databases are created under the admin URL (``LASTMILE_TEST_PG_ADMIN``) and
dropped afterwards, whatever happens in between.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PG_ADMIN = os.environ.get(
    "LASTMILE_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """The URL of an empty database on ``backend`` ("sqlite" or "postgresql")."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    import sqlalchemy as sa

    name = f"lastmile_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def add_backends(parser: argparse.ArgumentParser) -> None:
    """The ``--backends`` option of a benchmark that runs on SQLite and PostgreSQL."""
    parser.add_argument("--backends", nargs="*", default=["sqlite"],
                        choices=["sqlite", "postgresql"])  # fmt: skip


def migrated(backends: list[str]) -> Iterator[tuple[str, float, str]]:
    """Each backend's name, the load average as its run starts, and the URL of a fresh,
    migrated database, dropped once the caller moves on to the next."""
    from lastmile.bootstrap import init_database

    for name in backends:
        load = os.getloadavg()[0]
        with scratch_database(name) as url:
            yield name, load, init_database(url)


def write_report(script: str, runs: list[Any], out: Path) -> dict[str, Any]:
    """The run's figures with the command, machine and date, written as JSON to ``out``."""
    report = {
        "command": f"python benchmarks/{script} " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared, noisy)",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": runs,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    return report
