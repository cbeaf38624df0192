"""Tracking services: ingest pings, apply scans and carrier statuses, capture proof of
delivery, refresh a route's ETAs. All storage goes through :mod:`tracking_ports`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lastmile.dispatch.tracking_ports import (
    PingStore,
    ScanRecord,
    StoredBatch,
    TrackingStore,
    TrackingUnitOfWork,
    writes_events,
)
from lastmile.domain.errors import InvalidInput, NotFound
from lastmile.domain.values import Coordinate
from lastmile.tracking.carriers import CarrierMap
from lastmile.tracking.events import ExceptionOpened
from lastmile.tracking.ingest import prepare_batch
from lastmile.tracking.journey import ScanResult, apply_scan
from lastmile.tracking.model import Ping, Scan, ScanKind
from lastmile.tracking.pod import ProofOfDelivery, build_pod


@dataclass(frozen=True)
class IngestReport:
    """What became of a batch: accepted (new + already stored), duplicates in the batch,
    rejected with a reason per ping key."""

    received: int
    accepted: int
    stored: int
    duplicates: int
    rejected: dict[str, str] = field(default_factory=dict)
    latest: dict[str, Ping] = field(default_factory=dict)


def ingest_pings(
    store: PingStore,
    pings: Sequence[Ping],
    *,
    now: datetime,
    max_speed_mps: Mapping[str, float] | None = None,
) -> IngestReport:
    """Validate and store a batch; replaying it stores nothing and reports duplicates.

    Pings whose key is already stored (accepted or rejected) are not validated again: their
    verdict stands, whatever the device's position is now.
    """
    known = store.known([p.key for p in pings])
    fresh = [p for p in pings if p.key not in known]
    latest = store.latest({p.device_id for p in fresh})
    batch = prepare_batch(fresh, now=now, latest=latest, max_speed_mps=max_speed_mps)
    stored: StoredBatch = store.store_batch(batch, now)
    newest = {**latest}
    for ping in batch.accepted:
        current = newest.get(ping.device_id)
        if current is None or ping.recorded_at >= current.recorded_at:
            newest[ping.device_id] = ping
    return IngestReport(
        received=len(pings),
        accepted=len(batch.accepted),
        stored=stored.stored,
        duplicates=batch.duplicates + len(pings) - len(fresh),
        rejected={r.ping.key: f"{r.reason.value}: {r.detail}" for r in batch.rejected},
        latest=newest,
    )


@dataclass(frozen=True)
class ScanReport:
    event_id: str
    order_ref: str
    result: str
    detail: str = ""
    state: str | None = None


def record_scans(
    uow_factory: Callable[[], TrackingUnitOfWork],
    scans: Sequence[Scan],
    *,
    now: datetime,
    carrier_statuses: Mapping[str, str] | None = None,
) -> list[ScanReport]:
    """Apply scans in time order, each in its own transaction with its journal row.

    A scan already in the journal (same event id) is reported as ``duplicate`` and changes
    nothing; a scan for an unknown order is journalled as ``unknown_order``.
    """
    reports = []
    for scan in sorted(scans, key=lambda s: (s.at, s.event_id)):
        status = (carrier_statuses or {}).get(scan.event_id)
        with uow_factory() as uow:
            reports.append(_record_one(uow, scan, now, status))
            uow.commit()
    return reports


def _record_one(
    uow: TrackingUnitOfWork, scan: Scan, now: datetime, carrier_status: str | None
) -> ScanReport:
    if uow.scans.has(scan.event_id):
        return ScanReport(scan.event_id, scan.order_ref, "duplicate")
    order = uow.orders.get(scan.order_ref)
    if order is None:
        record = ScanRecord(scan, "unknown_order", "no such order", now, carrier_status)
        uow.scans.add(record)
        return ScanReport(scan.event_id, scan.order_ref, "unknown_order", "no such order")
    outcome = apply_scan(order, scan, uow.scans.last_moved_at(order.ref))
    uow.scans.add(ScanRecord(scan, outcome.result.value, outcome.detail, now, carrier_status))
    if outcome.result is ScanResult.APPLIED:
        uow.orders.add(order)
        if scan.kind is ScanKind.ATTEMPTED:
            reason = scan.reason.value if scan.reason else "unknown"
            uow.publish([ExceptionOpened(
                kind="failed_attempt", order_ref=order.ref, order_refs=(order.ref,),
                detail=f"delivery attempt failed: {reason}", occurred_at=scan.at,
            )])  # fmt: skip
    return ScanReport(
        scan.event_id, scan.order_ref, outcome.result.value, outcome.detail, order.state.value
    )


def carrier_scan(
    mapping: CarrierMap,
    *,
    source: str,
    status: str,
    event_id: str,
    order_ref: str,
    at: datetime,
    lat: float | None = None,
    lon: float | None = None,
) -> Scan | None:
    """The lastmile scan a carrier status stands for, ``None`` for "no journey change".

    A status nobody mapped is an input error naming it, so it can be added to the table.
    """
    found = mapping.lookup(source, status)
    if found is None:
        raise InvalidInput(f"carrier {source!r} status {status!r} is not mapped", field="status")
    if found.kind is None:
        return None
    return Scan(
        event_id=event_id, order_ref=order_ref, kind=found.kind, at=at, actor=f"carrier:{source}",
        lat=lat, lon=lon, reason=found.reason, source=source,
    )  # fmt: skip


def capture_pod(
    uow_factory: Callable[[], TrackingUnitOfWork],
    store: TrackingStore,
    *,
    order_ref: str,
    captured_at: datetime,
    position: Coordinate,
    now: datetime,
    recipient_name: str = "",
    signature: tuple[str, bytes] | None = None,
    photos: Sequence[tuple[str, bytes]] = (),
    max_distance_m: float = 150.0,
) -> ProofOfDelivery:
    """Validate, seal and store a POD against the order's address; flagged when far away."""
    with uow_factory() as uow:
        order = uow.orders.get(order_ref)
        if order is None:
            raise NotFound("order", order_ref)
        address = order.address.coordinate
    pod = build_pod(
        order_ref=order_ref, captured_at=captured_at, position=position, address=address,
        recipient_name=recipient_name, signature=signature, photos=photos,
        max_distance_m=max_distance_m,
    )  # fmt: skip
    far = []
    if pod.flagged:
        far = [ExceptionOpened(
            kind="pod_far", order_ref=order_ref, order_refs=(order_ref,), occurred_at=now,
            detail=f"proof of delivery captured {pod.distance_m:.0f} m from the address",
        )]  # fmt: skip
    eventful = writes_events(store)
    if eventful is not None:
        eventful.save_pod(pod, now, far)
    elif store.save_pod(pod, now) and far:
        with uow_factory() as uow:
            uow.publish(far)
            uow.commit()
    return pod
