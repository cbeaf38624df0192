"""An in-memory unit of work with the SQL one's semantics, for unit tests and the simulator.

Committed state lives in an :class:`InMemoryDatabase` (records, journey timeline, outbox);
each unit of work writes into its own overlay, which ``commit`` merges and ``rollback``
drops, so isolation and "nothing half-written" hold exactly as with a real transaction. It
stores the same records as the SQL store (see :mod:`lastmile.store.records`), so what comes
back is equal field by field and every datetime is aware UTC.

Two checks only a database makes are left out, since the simulator should not pay for them:
values a column could not hold (``store.checks``) and a route ref reused by another plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lastmile.domain.errors import Conflict
from lastmile.domain.events import DomainEvent
from lastmile.store.messages import OutboxMessage, order_event_record, outbox_message
from lastmile.store.records import Record
from lastmile.store.tracked import OrderQuery, PlanQuery
from lastmile.store.work import Gateways, TrackingUnitOfWork

KINDS = ("hubs", "zones", "vehicles", "drivers", "shifts", "orders", "plans")


@dataclass
class InMemoryDatabase:
    """Committed state shared by the units of work made from it."""

    tables: dict[str, dict[str, Record]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    order_events: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)
    _event_ids: set[str] = field(default_factory=set)

    def route_versions(self) -> dict[str, int]:
        return {
            route["ref"]: route["version"]
            for plan in self.tables["plans"].values()
            for route in plan["routes"]
        }


class _Table:
    """One kind's records as this transaction sees them: its own writes over the committed."""

    def __init__(self, committed: dict[str, Record], pending: dict[str, Record]) -> None:
        self._committed = committed
        self._pending = pending

    def _current(self) -> dict[str, Record]:
        return {**self._committed, **self._pending}

    def fetch(self, refs: Sequence[str]) -> dict[str, Record]:
        current = self._current()
        return {ref: current[ref] for ref in refs if ref in current}

    def fetch_all(self) -> list[Record]:
        current = self._current()
        return [current[ref] for ref in sorted(current)]

    def count(self) -> int:
        return len(self._current())

    def save_many(self, changes: Sequence[tuple[Record, Record | None]]) -> None:
        for new, _ in changes:
            self._pending[new["ref"]] = new


class _Shifts(_Table):
    def starting(self, hub_refs: Sequence[str], start: datetime, end: datetime) -> list[Record]:
        current = self._current()
        return [
            current[ref]
            for ref in sorted(current)
            if current[ref]["hub_ref"] in hub_refs and start <= current[ref]["start"] < end
        ]


class _Orders(_Table):
    def query(self, query: OrderQuery) -> list[Record]:
        found = sorted(
            (r for r in self._current().values() if query.matches(r)), key=lambda r: r["ref"]
        )
        return found if query.limit is None else found[: query.limit]


class _Plans(_Table):
    """Plans, remembering which route versions each write was based on."""

    def __init__(
        self,
        committed: dict[str, Record],
        pending: dict[str, Record],
        expected: dict[str, int],
    ) -> None:
        super().__init__(committed, pending)
        self._expected = expected

    def save_many(self, changes: Sequence[tuple[Record, Record | None]]) -> None:
        for new, old in changes:
            before = {r["ref"]: r["version"] for r in old["routes"]} if old else {}
            for route in new["routes"]:
                if route["ref"] in before and route["version"] != before[route["ref"]]:
                    self._expected.setdefault(route["ref"], before[route["ref"]])
        super().save_many(changes)

    def query(self, query: PlanQuery) -> list[Record]:
        current = self._current()
        return [current[ref] for ref in sorted(current) if query.matches(current[ref])]


class InMemoryUnitOfWork(TrackingUnitOfWork):
    """``UnitOfWork`` over an :class:`InMemoryDatabase`; ``outbox`` shows what was committed."""

    def __init__(self, database: InMemoryDatabase | None = None) -> None:
        super().__init__()
        self.database = database if database is not None else InMemoryDatabase()
        self.committed = False
        self._pending: dict[str, dict[str, Record]] = {}
        self._expected_versions: dict[str, int] = {}
        self._pending_events: list[DomainEvent] = []

    @property
    def outbox(self) -> list[OutboxMessage]:
        return self.database.outbox

    @property
    def order_events(self) -> list[dict[str, Any]]:
        return self.database.order_events

    def _begin(self) -> Gateways:
        self._pending = {kind: {} for kind in KINDS}
        self._expected_versions = {}
        self._pending_events = []
        t = self.database.tables

        def table(kind: str) -> _Table:
            return _Table(t[kind], self._pending[kind])

        plans = _Plans(t["plans"], self._pending["plans"], self._expected_versions)
        return Gateways(
            hubs=table("hubs"),
            zones=table("zones"),
            vehicles=table("vehicles"),
            drivers=table("drivers"),
            shifts=_Shifts(t["shifts"], self._pending["shifts"]),
            orders=_Orders(t["orders"], self._pending["orders"]),
            plans=plans,
        )

    def _write_events(self, events: list[DomainEvent]) -> None:
        self._pending_events.extend(events)

    def _commit_transaction(self) -> None:
        stored = self.database.route_versions()
        for ref, expected in self._expected_versions.items():
            if stored.get(ref, expected) != expected:
                raise Conflict(
                    f"route {ref!r} was changed meanwhile: stored version {stored[ref]}, "
                    f"this change was made on version {expected}"
                )
        for kind, records in self._pending.items():
            self.database.tables[kind].update(records)
        self._append_events(self._pending_events)
        self._rollback_transaction()  # empties this transaction's overlay in place
        self.committed = True

    def _append_events(self, events: list[DomainEvent]) -> None:
        now = datetime.now(UTC)
        db = self.database
        for event in events:
            if event.event_id in db._event_ids:
                continue  # the same event written twice is one event
            db._event_ids.add(event.event_id)
            timeline = order_event_record(event)
            if timeline is not None:
                db.order_events.append(timeline)
            db.outbox.append(outbox_message(event, now))

    def _rollback_transaction(self) -> None:
        for records in self._pending.values():
            records.clear()
        self._expected_versions.clear()
        self._pending_events = []

    def _close(self) -> None:
        self._pending = {}
