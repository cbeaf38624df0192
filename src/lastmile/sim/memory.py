"""Tracking storage in memory, for headless simulated days that should take minutes.

The same Protocols the SQL store implements (``dispatch.tracking_ports``): a scan journal
carried by the in-memory unit of work, and a ping/dwell/arrival/POD/ETA store. The tracking
services, the live monitor and the dispatch bus run unchanged on top; only the database is
gone. A day that the API should show (the demo) runs on SQL instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lastmile.dispatch.tracking_ports import ScanJournal, ScanRecord, StoredBatch
from lastmile.domain.events import DomainEvent
from lastmile.store.memory import InMemoryDatabase, InMemoryUnitOfWork
from lastmile.store.messages import order_event_record
from lastmile.tracking.dwell import Dwell
from lastmile.tracking.eta.prediction import EtaPrediction
from lastmile.tracking.ingest import PreparedBatch
from lastmile.tracking.model import Ping
from lastmile.tracking.pod import ProofOfDelivery


@dataclass
class MemoryJournal:
    """Scans received and when each order's journey last moved, shared by units of work."""

    scans: dict[str, ScanRecord] = field(default_factory=dict)
    by_order: dict[str, list[ScanRecord]] = field(default_factory=lambda: defaultdict(list))
    moved: dict[str, datetime] = field(default_factory=dict)


class MemoryScanJournal:
    """``ScanJournal`` over a :class:`MemoryJournal` (committed with the unit of work)."""

    def __init__(self, journal: MemoryJournal, database: InMemoryDatabase) -> None:
        self._journal = journal
        self._database = database
        self.pending: list[ScanRecord] = []

    def has(self, event_id: str) -> bool:
        return event_id in self._journal.scans or any(
            r.scan.event_id == event_id for r in self.pending
        )

    def add(self, record: ScanRecord) -> None:
        self.pending.append(record)

    def last_moved_at(self, order_ref: str) -> datetime | None:
        return self._journal.moved.get(order_ref)

    def for_order(self, order_ref: str) -> list[ScanRecord]:
        return sorted(self._journal.by_order.get(order_ref, []), key=lambda r: r.scan.at)

    def timeline(self, order_ref: str) -> list[dict[str, Any]]:
        rows = [
            {k: v for k, v in e.items() if k not in ("event_id", "payload", "order_ref")}
            for e in self._database.order_events
            if e["order_ref"] == order_ref
        ]
        for row in rows:
            row["occurred_at"] = row["occurred_at"].isoformat()
        return sorted(rows, key=lambda r: str(r["occurred_at"]))


class MemoryTrackingUnitOfWork(InMemoryUnitOfWork):
    """The in-memory unit of work with a scan journal, as ``TrackingUnitOfWork`` needs."""

    def __init__(self, database: InMemoryDatabase, journal: MemoryJournal) -> None:
        super().__init__(database)
        self._journal = journal
        self._scans = MemoryScanJournal(journal, database)
        self.scans: ScanJournal = self._scans

    def _commit_transaction(self) -> None:
        pending, self._scans.pending = self._scans.pending, []
        super()._commit_transaction()
        for record in pending:
            self._journal.scans.setdefault(record.scan.event_id, record)
            self._journal.by_order[record.scan.order_ref].append(record)

    def _rollback_transaction(self) -> None:
        super()._rollback_transaction()
        if hasattr(self, "_scans"):
            self._scans.pending = []

    def _append_events(self, events: list[DomainEvent]) -> None:
        super()._append_events(events)
        for event in events:
            row = order_event_record(event)
            if row is None or row["to_state"] is None:
                continue
            ref, at = row["order_ref"], row["occurred_at"]
            before = self._journal.moved.get(ref)
            self._journal.moved[ref] = at if before is None else max(before, at)


@dataclass
class MemoryTrackingStore:
    """``TrackingStore`` in memory: pings, rejected pings, positions, dwells, arrivals,
    proofs of delivery, current ETAs and their snapshots."""

    #: Events are published through a unit of work after saving, not by the store.
    writes_events: bool = False
    pings: dict[str, Ping] = field(default_factory=dict)
    rejected_pings: dict[str, tuple[Ping, str, str]] = field(default_factory=dict)
    positions: dict[str, Ping] = field(default_factory=dict)
    dwell_rows: list[tuple[str, Dwell]] = field(default_factory=list)
    arrival_rows: dict[tuple[str, str], datetime] = field(default_factory=dict)
    pod_rows: dict[str, list[ProofOfDelivery]] = field(default_factory=lambda: defaultdict(list))
    current_etas: dict[str, dict[str, EtaPrediction]] = field(default_factory=dict)
    snapshots: list[EtaPrediction] = field(default_factory=list)

    def store_batch(self, batch: PreparedBatch, received_at: datetime) -> StoredBatch:
        stored = rejected = moved = 0
        for ping in batch.accepted:
            if ping.key not in self.pings:
                self.pings[ping.key] = ping
                stored += 1
            current = self.positions.get(ping.device_id)
            if current is None or ping.recorded_at >= current.recorded_at:
                self.positions[ping.device_id] = ping
                moved += 1
        for r in batch.rejected:
            if r.ping.key not in self.rejected_pings:
                self.rejected_pings[r.ping.key] = (r.ping, r.reason.value, r.detail)
                rejected += 1
        return StoredBatch(stored, rejected, moved)

    def known(self, keys: Sequence[str]) -> set[str]:
        return {k for k in keys if k in self.pings or k in self.rejected_pings}

    def latest(self, device_ids: Iterable[str]) -> dict[str, Ping]:
        return {d: self.positions[d] for d in set(device_ids) if d in self.positions}

    def track(self, device_id: str, start: datetime, end: datetime) -> list[Ping]:
        found = [
            p
            for p in self.pings.values()
            if p.device_id == device_id and start <= p.recorded_at < end
        ]
        return sorted(found, key=lambda p: (p.recorded_at, p.seq))

    def counts(self) -> tuple[int, int]:
        return len(self.pings), len(self.rejected_pings)

    def add_dwells(self, vehicle_ref: str, dwells: Sequence[Dwell]) -> None:
        self.dwell_rows.extend((vehicle_ref, d) for d in dwells)

    def add_arrival(self, route_ref: str, stop_ref: str, at: datetime, source: str) -> bool:
        key = (route_ref, stop_ref)
        if key in self.arrival_rows:
            return False
        self.arrival_rows[key] = at
        return True

    def arrivals(self, route_ref: str | None = None) -> dict[tuple[str, str], datetime]:
        return {k: v for k, v in self.arrival_rows.items() if route_ref in (None, k[0])}

    def save_pod(
        self, pod: ProofOfDelivery, created_at: datetime, events: Sequence[DomainEvent] = ()
    ) -> bool:
        known = self.pod_rows[pod.order_ref]
        if any(p.content_hash == pod.content_hash for p in known):
            return False
        known.append(pod)
        return True

    def pods(self, order_ref: str) -> list[ProofOfDelivery]:
        return list(self.pod_rows.get(order_ref, []))

    def etas(self, route_ref: str) -> dict[str, EtaPrediction]:
        return dict(self.current_etas.get(route_ref, {}))

    def save_etas(
        self,
        route_ref: str,
        predictions: Sequence[EtaPrediction],
        snapshot: bool,
        events: Sequence[DomainEvent] = (),
    ) -> None:
        self.current_etas[route_ref] = {p.stop_ref: p for p in predictions}
        if snapshot:
            self.snapshots.extend(predictions)

    def eta_snapshots(self, route_ref: str | None = None) -> list[EtaPrediction]:
        found = [s for s in self.snapshots if route_ref is None or s.route_ref == route_ref]
        return sorted(found, key=lambda s: s.computed_at.astimezone(UTC))
