"""The one place that wires adapters (storage, providers, senders) to the service layer.

Storage: ``database_url()`` says where the data lives, ``init_database()`` brings its schema
up to date, ``uow_factory()`` hands out units of work sharing one engine. Heavy imports happen
inside the functions so importing this module stays cheap for the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lastmile.config import Settings, get_settings
from lastmile.dispatch.ports import UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from lastmile.store.memory import InMemoryDatabase


def database_url(settings: Settings | None = None) -> str:
    """``LASTMILE_DATABASE_URL`` if set, else a SQLite file under ``LASTMILE_DATA_DIR`` (./var).

    The data folder is created on the way, so a fresh checkout needs no setup.
    """
    settings = settings or get_settings()
    if settings.database_url:
        return settings.database_url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings.resolved_database_url()


def init_database(url: str | None = None) -> str:
    """Migrate the database at ``url`` (default: :func:`database_url`) to the latest schema."""
    from lastmile.store.db import migrate

    url = url or database_url()
    migrate(url)
    return url


class SqlUnitOfWorkFactory:
    """Makes ``SqlUnitOfWork`` objects over one engine (and so one connection pool)."""

    def __init__(self, url: str) -> None:
        from lastmile.store.db import make_engine

        self.url = url
        self.engine: Engine = make_engine(url)

    def __call__(self) -> UnitOfWork:
        from lastmile.store.uow import SqlUnitOfWork

        return SqlUnitOfWork(self.engine)

    def dispose(self) -> None:
        """Close pooled connections (tests, and processes that are about to exit)."""
        self.engine.dispose()


def uow_factory(url: str | None = None) -> SqlUnitOfWorkFactory:
    """A callable returning a new unit of work per call; the engine is created once here."""
    return SqlUnitOfWorkFactory(url or database_url())


def memory_uow_factory(
    database: InMemoryDatabase | None = None,
) -> Callable[[], UnitOfWork]:
    """Units of work over one shared in-memory database (unit tests, the simulator)."""
    from lastmile.store.memory import InMemoryDatabase, InMemoryUnitOfWork

    shared = database if database is not None else InMemoryDatabase()
    return lambda: InMemoryUnitOfWork(shared)
