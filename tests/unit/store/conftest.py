"""The in-memory store as a ``store`` fixture for the shared unit-of-work contract."""

from __future__ import annotations

import pytest

from lastmile.store.memory import InMemoryDatabase, InMemoryUnitOfWork
from lastmile.store.outbox import InMemoryOutbox


class MemoryProbe:
    def __init__(self) -> None:
        self.database = InMemoryDatabase()

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.database)

    def outbox(self) -> list[tuple[str, str, str]]:
        return [(m.event_id, m.event_type, m.aggregate_ref) for m in self.database.outbox]

    def sender(self) -> InMemoryOutbox:
        return InMemoryOutbox(self.database)

    def timeline(self, order_ref: str) -> list[tuple[str, str | None, str | None, str | None]]:
        return [
            (e["event_type"], e["from_state"], e["to_state"], e["outcome"])
            for e in self.database.order_events
            if e["order_ref"] == order_ref
        ]


@pytest.fixture
def store() -> MemoryProbe:
    return MemoryProbe()
