"""The scan journal and the unit of work that carries it: every scan received, applied or
not, written in the same transaction as the order change it caused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from lastmile.dispatch.tracking_ports import ScanJournal, ScanRecord
from lastmile.domain.enums import FailureReason
from lastmile.store import tables as t
from lastmile.store import tracking_tables as tt
from lastmile.store.tracking_repositories import insert_new
from lastmile.store.uow import SqlUnitOfWork
from lastmile.store.work import Gateways
from lastmile.tracking.model import Scan, ScanKind


class SqlScanJournal:
    """``dispatch.tracking_ports.ScanJournal`` on the unit of work's connection."""

    def __init__(self, connection: sa.Connection) -> None:
        self._conn = connection

    def has(self, event_id: str) -> bool:
        stmt = sa.select(tt.scans.c.id).where(tt.scans.c.event_id == event_id)
        return self._conn.execute(stmt).first() is not None

    def add(self, record: ScanRecord) -> None:
        s = record.scan
        row = {
            "event_id": s.event_id, "order_ref": s.order_ref, "kind": s.kind.value, "at": s.at,
            "actor": s.actor, "lat": s.lat, "lon": s.lon,
            "reason": s.reason.value if s.reason else None, "source": s.source,
            "carrier_status": record.carrier_status, "device_id": s.device_id, "note": s.note,
            "result": record.result, "detail": record.detail, "received_at": record.received_at,
        }  # fmt: skip
        insert_new(self._conn, tt.scans, [row], "event_id")

    def last_moved_at(self, order_ref: str) -> datetime | None:
        c = t.order_events.c
        stmt = sa.select(sa.func.max(c.occurred_at)).where(
            c.order_ref == order_ref, c.to_state.is_not(None)
        )
        value = self._conn.execute(stmt).scalar()
        return None if value is None else _aware(value)

    def timeline(self, order_ref: str) -> list[dict[str, Any]]:
        c = t.order_events.c
        cols = (c.occurred_at, c.event_type, c.from_state, c.to_state, c.outcome, c.reason,
                c.actor, c.lat, c.lon)  # fmt: skip
        stmt = sa.select(*cols).where(c.order_ref == order_ref).order_by(c.occurred_at, c.id)
        rows = [dict(r) for r in self._conn.execute(stmt).mappings()]
        for row in rows:
            row["occurred_at"] = _aware(row["occurred_at"]).isoformat()
        return rows

    def for_order(self, order_ref: str) -> list[ScanRecord]:
        c = tt.scans.c
        stmt = sa.select(tt.scans).where(c.order_ref == order_ref).order_by(c.at, c.id)
        return [_scan_record(r) for r in self._conn.execute(stmt).mappings()]


def _aware(value: datetime | str) -> datetime:
    """SQLite's max() and raw reads may hand back text or naive UTC; make it aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _scan_record(r: Any) -> ScanRecord:
    scan = Scan(
        event_id=r["event_id"], order_ref=r["order_ref"], kind=ScanKind(r["kind"]), at=r["at"],
        actor=r["actor"], lat=r["lat"], lon=r["lon"],
        reason=FailureReason(r["reason"]) if r["reason"] else None, source=r["source"],
        device_id=r["device_id"], note=r["note"],
    )  # fmt: skip
    return ScanRecord(scan, r["result"], r["detail"], r["received_at"], r["carrier_status"])


class SqlTrackingUnitOfWork(SqlUnitOfWork):
    """The SQL unit of work plus the scan journal on the same transaction."""

    scans: ScanJournal

    def _begin(self) -> Gateways:
        gateways = super()._begin()
        self.scans = SqlScanJournal(self.connection)
        return gateways
