"""Alembic environment: runs on the connection `lastmile.store.db.migrate` hands over.

For ``alembic revision --autogenerate`` during development, point ``LASTMILE_DATABASE_URL`` at a
database and run alembic with ``-c`` naming a config whose ``script_location`` is this folder;
without a passed connection an engine is made from that URL (or the default SQLite file).
"""

from __future__ import annotations

import importlib
import pkgutil

import sqlalchemy as sa
from alembic import context

import lastmile.store
from lastmile.store.tables import metadata


def _load_table_modules() -> None:
    """Import every ``store/*tables.py`` so tables other features add to ``metadata`` count."""
    for module in pkgutil.iter_modules(lastmile.store.__path__):
        if module.name.endswith("tables"):
            importlib.import_module(f"lastmile.store.{module.name}")


def _run(connection: sa.Connection) -> None:
    _load_table_modules()
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from lastmile.config import get_settings
    from lastmile.store.db import make_engine

    engine = make_engine(get_settings().resolved_database_url())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


run_migrations_online()
