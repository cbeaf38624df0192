"""Protocols through which the tracking services reach storage; ``store`` implements them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from lastmile.dispatch.ports import UnitOfWork
from lastmile.domain.events import DomainEvent
from lastmile.tracking.dwell import Dwell
from lastmile.tracking.eta.prediction import EtaPrediction
from lastmile.tracking.ingest import PreparedBatch
from lastmile.tracking.model import Ping, Scan
from lastmile.tracking.pod import ProofOfDelivery


@dataclass(frozen=True)
class StoredBatch:
    """How many of a batch's pings were new (a replay stores nothing)."""

    stored: int
    rejected_stored: int
    positions_moved: int


@dataclass(frozen=True)
class ScanRecord:
    scan: Scan
    result: str
    detail: str
    received_at: datetime
    carrier_status: str | None = None


class ScanJournal(Protocol):
    """Every scan received, applied or not, inside the unit of work's transaction."""

    def has(self, event_id: str) -> bool: ...

    def add(self, record: ScanRecord) -> None: ...

    def last_moved_at(self, order_ref: str) -> datetime | None:
        """When the order's journey last changed (its newest timeline event)."""
        ...

    def for_order(self, order_ref: str) -> list[ScanRecord]: ...

    def timeline(self, order_ref: str) -> list[dict[str, Any]]:
        """The order's journey steps (who, when, where), oldest first, JSON-ready."""
        ...


class TrackingUnitOfWork(UnitOfWork, Protocol):
    scans: ScanJournal


class PingStore(Protocol):
    """Pings, rejected pings and each device's newest position; each call its own transaction."""

    def store_batch(self, batch: PreparedBatch, received_at: datetime) -> StoredBatch: ...

    def known(self, keys: Sequence[str]) -> set[str]:
        """Which ping keys are already stored, accepted or rejected."""
        ...

    def latest(self, device_ids: Iterable[str]) -> dict[str, Ping]: ...

    def track(self, device_id: str, start: datetime, end: datetime) -> list[Ping]: ...

    def counts(self) -> tuple[int, int]:
        """(stored pings, rejected pings)."""
        ...


class TrackingStore(PingStore, Protocol):
    def add_dwells(self, vehicle_ref: str, dwells: Sequence[Dwell]) -> None: ...

    def add_arrival(self, route_ref: str, stop_ref: str, at: datetime, source: str) -> bool: ...

    def arrivals(self, route_ref: str | None = None) -> dict[tuple[str, str], datetime]: ...

    def save_pod(self, pod: ProofOfDelivery, created_at: datetime) -> bool: ...

    def pods(self, order_ref: str) -> list[ProofOfDelivery]: ...

    def etas(self, route_ref: str) -> dict[str, EtaPrediction]: ...

    def save_etas(
        self, route_ref: str, predictions: Sequence[EtaPrediction], snapshot: bool
    ) -> None: ...

    def eta_snapshots(self, route_ref: str | None = None) -> list[EtaPrediction]: ...


class EventWritingStore(TrackingStore, Protocol):
    """A tracking store that also writes outbox events, in the transaction of what it saves.

    Stores that can (``writes_events = True``, the SQL one) keep an announced ETA, a geofenced
    arrival, a dwell or a flagged POD and its event together; others get the events published
    in a unit of work after.
    """

    writes_events: bool

    def add_dwells(
        self, vehicle_ref: str, dwells: Sequence[Dwell], events: Sequence[DomainEvent] = ()
    ) -> None: ...

    def add_arrival(
        self, route_ref: str, stop_ref: str, at: datetime, source: str,
        events: Sequence[DomainEvent] = (),
    ) -> bool: ...  # fmt: skip

    def save_pod(
        self, pod: ProofOfDelivery, created_at: datetime, events: Sequence[DomainEvent] = ()
    ) -> bool: ...

    def save_etas(
        self,
        route_ref: str,
        predictions: Sequence[EtaPrediction],
        snapshot: bool,
        events: Sequence[DomainEvent] = (),
    ) -> None: ...


def writes_events(store: TrackingStore) -> EventWritingStore | None:
    """``store`` as an :class:`EventWritingStore` when it is one, else ``None``."""
    if getattr(store, "writes_events", False) is True:
        return cast(EventWritingStore, store)
    return None
