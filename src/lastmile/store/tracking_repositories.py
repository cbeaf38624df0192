"""SQL side of tracking: bulk idempotent ping inserts, positions that only move forward,
the scan journal inside the unit of work, dwells, arrivals, proof of delivery and ETAs.

Idempotency is the database's: ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` on the ping
key (SQLAlchemy batches the rows into multi-row VALUES statements on both backends), so a
replayed upload inserts nothing and reports zero new pings. A device's position is an upsert
guarded by ``recorded_at``: a late ping can never move it backwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from lastmile.dispatch.tracking_ports import StoredBatch
from lastmile.domain.events import DomainEvent
from lastmile.domain.values import TimeWindow
from lastmile.store import tables as t
from lastmile.store import tracking_tables as tt
from lastmile.store.messages import order_event_record, outbox_message
from lastmile.store.repositories import insert_new as insert_events
from lastmile.tracking.dwell import Dwell
from lastmile.tracking.eta.prediction import EtaPrediction
from lastmile.tracking.ingest import PreparedBatch
from lastmile.tracking.model import Ping
from lastmile.tracking.pod import Attachment, ProofOfDelivery

_PING_FIELDS = (
    "device_id", "seq", "recorded_at", "lat", "lon", "accuracy_m", "speed_mps",
    "heading_deg", "battery", "vehicle_ref",
)  # fmt: skip


def _insert(connection: sa.Connection, table: sa.Table) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def ping_row(ping: Ping) -> dict[str, Any]:
    return {"ping_key": ping.key, **{f: getattr(ping, f) for f in _PING_FIELDS}}


def ping_from(row: Any) -> Ping:
    values = {f: row[f] for f in _PING_FIELDS}
    key = row["ping_key"]
    event_id = None if key == f"{row['device_id']}:{row['seq']}" else key
    return Ping(**values, event_id=event_id)


def insert_new(
    connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], key: str
) -> int:
    """Insert rows whose ``key`` is new; return how many were inserted.

    On PostgreSQL large batches go through ``COPY`` into a temporary table and one
    ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``: a multi-row VALUES statement with tens
    of thousands of parameters spends most of its time in the driver's query parsing.
    """
    if not rows:
        return 0
    if connection.dialect.name == "postgresql" and len(rows) >= COPY_FROM_ROWS:
        return _copy_new(connection, table, rows, key)
    stmt = _insert(connection, table).on_conflict_do_nothing(index_elements=[key])
    return len(connection.execute(stmt.returning(table.c[key]), rows).all())


#: Batches at least this large use COPY on PostgreSQL.
COPY_FROM_ROWS = 200
#: Keys per "already stored?" query (SQLite binds each one as a parameter).
KNOWN_CHUNK = 5_000


def _among(
    connection: sa.Connection, column: sa.ColumnElement[str], keys: list[str]
) -> sa.ColumnElement[bool]:
    if connection.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, keys, type_=postgresql.ARRAY(sa.String)))
    return column.in_(keys)


def _copy_new(
    connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], key: str
) -> int:
    columns = list(rows[0])
    names = ", ".join(columns)
    staging = f"staging_{table.name}"
    connection.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "
        f"SELECT {names} FROM {table.name} WITH NO DATA"
    )
    raw = connection.connection.driver_connection
    cursor = raw.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_pg_value(row[c]) for c in columns])
    inserted = connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {staging} "
        f"ON CONFLICT ({key}) DO NOTHING RETURNING 1"
    )
    count = len(inserted.all())
    connection.exec_driver_sql(f"TRUNCATE {staging}")
    return count


def _pg_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a stored datetime must carry a timezone offset")
        return value.astimezone(UTC)
    return value


def move_positions(connection: sa.Connection, pings: Iterable[Ping]) -> int:
    """Upsert each device's position, only where the ping is newer than the stored one."""
    rows = [ping_row(p) for p in pings]
    if not rows:
        return 0
    stmt = _insert(connection, tt.positions)
    cols = {c: stmt.excluded[c] for c in ("ping_key", *_PING_FIELDS) if c != "device_id"}
    stmt = stmt.on_conflict_do_update(
        index_elements=["device_id"],
        set_=cols,
        where=tt.positions.c.recorded_at < stmt.excluded.recorded_at,
    )
    return connection.execute(stmt, rows).rowcount or 0


class SqlPingStore:
    """``dispatch.tracking_ports.PingStore`` on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def store_batch(self, batch: PreparedBatch, received_at: datetime) -> StoredBatch:
        accepted = [{**ping_row(p), "received_at": received_at} for p in batch.accepted]
        rejected = [
            {**ping_row(r.ping), "reason": r.reason.value, "detail": r.detail,
             "received_at": received_at}
            for r in batch.rejected
        ]  # fmt: skip
        newest: dict[str, Ping] = {}
        for ping in batch.accepted:  # time-ordered: the last one per device wins
            newest[ping.device_id] = ping
        with self._engine.begin() as conn:
            stored = insert_new(conn, tt.pings, accepted, "ping_key")
            rejected_stored = insert_new(conn, tt.rejected_pings, rejected, "ping_key")
            moved = move_positions(conn, newest.values())
        return StoredBatch(stored, rejected_stored, moved)

    def known(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` are already stored, accepted or rejected (their verdict stands)."""
        found: set[str] = set()
        with self._engine.connect() as conn:
            for start in range(0, len(keys), KNOWN_CHUNK):
                chunk = list(keys[start : start + KNOWN_CHUNK])
                for table in (tt.pings, tt.rejected_pings):
                    stmt = sa.select(table.c.ping_key).where(_among(conn, table.c.ping_key, chunk))
                    found.update(conn.execute(stmt).scalars())
        return found

    def latest(self, device_ids: Iterable[str]) -> dict[str, Ping]:
        ids = sorted(set(device_ids))
        if not ids:
            return {}
        stmt = sa.select(tt.positions).where(tt.positions.c.device_id.in_(ids))
        with self._engine.connect() as conn:
            return {r["device_id"]: ping_from(r) for r in conn.execute(stmt).mappings()}

    def track(self, device_id: str, start: datetime, end: datetime) -> list[Ping]:
        c = tt.pings.c
        stmt = (
            sa.select(tt.pings)
            .where(c.device_id == device_id, c.recorded_at >= start, c.recorded_at < end)
            .order_by(c.recorded_at, c.seq)
        )
        with self._engine.connect() as conn:
            return [ping_from(r) for r in conn.execute(stmt).mappings()]

    def counts(self) -> tuple[int, int]:
        with self._engine.connect() as conn:
            pings = conn.execute(sa.select(sa.func.count()).select_from(tt.pings)).scalar_one()
            rejected = conn.execute(
                sa.select(sa.func.count()).select_from(tt.rejected_pings)
            ).scalar_one()
        return int(pings), int(rejected)

    def rejected(self, device_id: str) -> list[tuple[Ping, str, str]]:
        c = tt.rejected_pings.c
        stmt = sa.select(tt.rejected_pings).where(c.device_id == device_id).order_by(c.recorded_at)
        with self._engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [(ping_from(r), r["reason"], r["detail"]) for r in rows]


class SqlTrackingStore(SqlPingStore):
    """``dispatch.tracking_ports.EventWritingStore``: pings plus dwells, arrivals, PODs, ETAs,
    with the events they cause written to the outbox in the same transaction."""

    writes_events = True

    def add_dwells(
        self, vehicle_ref: str, dwells: Sequence[Dwell], events: Sequence[DomainEvent] = ()
    ) -> None:
        """Store dwells (once each), with ``events`` in the outbox in the same transaction."""
        rows = [
            {"vehicle_ref": vehicle_ref, "stop_ref": d.stop_ref, "arrived_at": d.arrived_at,
             "departed_at": d.departed_at, "dwell_s": d.dwell_s}
            for d in dwells
        ]  # fmt: skip
        if rows or events:
            with self._engine.begin() as conn:
                if rows:
                    stmt = _insert(conn, tt.dwells).on_conflict_do_nothing()
                    conn.execute(stmt, rows)
                write_events(conn, events, datetime.now(UTC))

    def dwells(self, stop_ref: str) -> list[Dwell]:
        c = tt.dwells.c
        stmt = sa.select(c.stop_ref, c.arrived_at, c.departed_at).where(c.stop_ref == stop_ref)
        with self._engine.connect() as conn:
            return [Dwell(*r) for r in conn.execute(stmt.order_by(c.arrived_at))]

    def add_arrival(
        self, route_ref: str, stop_ref: str, at: datetime, source: str,
        events: Sequence[DomainEvent] = (),
    ) -> bool:  # fmt: skip
        """Keep the first arrival per route and stop; later ones change nothing. ``events``
        (the detection) go to the outbox in the same transaction."""
        row = {"route_ref": route_ref, "stop_ref": stop_ref, "arrived_at": at, "source": source}
        with self._engine.begin() as conn:
            stmt = _insert(conn, tt.arrivals).on_conflict_do_nothing()
            new = len(conn.execute(stmt.returning(tt.arrivals.c.id), [row]).all()) == 1
            write_events(conn, events, datetime.now(UTC))
            return new

    def arrivals(self, route_ref: str | None = None) -> dict[tuple[str, str], datetime]:
        c = tt.arrivals.c
        stmt = sa.select(c.route_ref, c.stop_ref, c.arrived_at)
        if route_ref is not None:
            stmt = stmt.where(c.route_ref == route_ref)
        with self._engine.connect() as conn:
            return {(r[0], r[1]): r[2] for r in conn.execute(stmt)}

    def save_pod(
        self, pod: ProofOfDelivery, created_at: datetime, events: Sequence[DomainEvent] = ()
    ) -> bool:
        """Store a POD and its files once (keyed by its content hash); True when new.

        ``events`` (an exception for a far POD) go to the outbox in the same transaction, and
        only with a new POD.
        """
        row = {
            "order_ref": pod.order_ref, "content_hash": pod.content_hash,
            "captured_at": pod.captured_at, "lat": pod.lat, "lon": pod.lon,
            "recipient_name": pod.recipient_name, "distance_m": pod.distance_m,
            "flagged": pod.flagged, "created_at": created_at,
        }  # fmt: skip
        files = [
            {"pod_hash": pod.content_hash, "role": a.role, "content_type": a.content_type,
             "sha256": a.sha256, "content": a.content}
            for a in pod.attachments
        ]  # fmt: skip
        with self._engine.begin() as conn:
            if not insert_new(conn, tt.pods, [row], "content_hash"):
                return False
            if files:
                conn.execute(sa.insert(tt.pod_files), files)
            write_events(conn, events, created_at)
        return True

    def pods(self, order_ref: str) -> list[ProofOfDelivery]:
        p, f = tt.pods.c, tt.pod_files.c
        with self._engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(tt.pods).where(p.order_ref == order_ref).order_by(p.captured_at)
                )
                .mappings()
                .all()
            )
            hashes = [r["content_hash"] for r in rows]
            files = (
                conn.execute(sa.select(tt.pod_files).where(f.pod_hash.in_(hashes)).order_by(f.id))
                .mappings()
                .all()
                if hashes
                else []
            )
        by_pod: dict[str, list[Attachment]] = {h: [] for h in hashes}
        for r in files:
            by_pod[r["pod_hash"]].append(
                Attachment(r["role"], r["content_type"], bytes(r["content"]), r["sha256"])
            )
        return [_pod_from(r, by_pod[r["content_hash"]]) for r in rows]

    def etas(self, route_ref: str) -> dict[str, EtaPrediction]:
        stmt = sa.select(tt.etas).where(tt.etas.c.route_ref == route_ref)
        with self._engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return {r["stop_ref"]: _prediction_from(r) for r in rows}

    def save_etas(
        self,
        route_ref: str,
        predictions: Sequence[EtaPrediction],
        snapshot: bool,
        events: Sequence[DomainEvent] = (),
    ) -> None:
        """Replace the route's current ETAs; with ``snapshot`` also keep them for accuracy.

        ``events`` (``eta.changed``, a late stop's exception) go to the outbox in the same
        transaction, so an announced ETA is always the stored one.
        """
        rows = [_prediction_row(p) for p in predictions]
        with self._engine.begin() as conn:
            write_events(conn, events, datetime.now(UTC))
            conn.execute(sa.delete(tt.etas).where(tt.etas.c.route_ref == route_ref))
            if rows:
                conn.execute(sa.insert(tt.etas), rows)
                if snapshot:
                    conn.execute(
                        sa.insert(tt.eta_snapshots),
                        [{k: v for k, v in r.items() if k != "order_refs"} for r in rows],
                    )

    def eta_snapshots(self, route_ref: str | None = None) -> list[EtaPrediction]:
        c = tt.eta_snapshots.c
        stmt = sa.select(tt.eta_snapshots).order_by(c.computed_at, c.id)
        if route_ref is not None:
            stmt = stmt.where(c.route_ref == route_ref)
        with self._engine.connect() as conn:
            return [_prediction_from(r) for r in conn.execute(stmt).mappings()]


def write_events(conn: sa.Connection, events: Sequence[DomainEvent], now: datetime) -> None:
    """Events to the outbox (and order timelines) on ``conn``, as the unit of work does."""
    if not events:
        return
    timeline = [r for r in map(order_event_record, events) if r is not None]
    insert_events(conn, t.order_events, timeline, key="event_id")
    insert_events(conn, t.outbox, [vars(outbox_message(e, now)) for e in events], key="event_id")


def _pod_from(row: Any, files: list[Attachment]) -> ProofOfDelivery:
    return ProofOfDelivery(
        order_ref=row["order_ref"], captured_at=row["captured_at"], lat=row["lat"],
        lon=row["lon"], recipient_name=row["recipient_name"], attachments=tuple(files),
        distance_m=row["distance_m"], flagged=bool(row["flagged"]),
        content_hash=row["content_hash"],
    )  # fmt: skip


def _prediction_row(p: EtaPrediction) -> dict[str, Any]:
    return {
        "route_ref": p.route_ref, "stop_ref": p.stop_ref, "order_refs": list(p.order_refs),
        "computed_at": p.computed_at, "eta": p.eta, "p10": p.p10, "p50": p.p50, "p90": p.p90,
        "window_start": p.window.start if p.window else None,
        "window_end": p.window.end if p.window else None,
    }  # fmt: skip


def _prediction_from(row: Any) -> EtaPrediction:
    window = None
    if row["window_start"] is not None and row["window_end"] is not None:
        window = TimeWindow(row["window_start"], row["window_end"])
    return EtaPrediction(
        route_ref=row["route_ref"], stop_ref=row["stop_ref"],
        order_refs=tuple(row.get("order_refs") or ()), computed_at=row["computed_at"],
        eta=row["eta"], p10=row["p10"], p50=row["p50"], p90=row["p90"], window=window,
    )  # fmt: skip
