"""Tables of tracking: pings (accepted and rejected), device positions, scans, dwells,
proof of delivery and ETAs. Created by the migration ``0003_tracking``.

Pings are the high-volume table: no foreign keys, one unique key (the client's event id or
``device:sequence``) so a replayed upload inserts nothing, and one index for "a device's
track between two times".
"""

from __future__ import annotations

import sqlalchemy as sa

from lastmile.store.tables import metadata
from lastmile.store.types import JSONValue, UTCDateTime

REF = 128
KEY = 200


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)


def _fix() -> list[sa.Column[float]]:
    return [
        sa.Column("lat", sa.Double, nullable=False),
        sa.Column("lon", sa.Double, nullable=False),
        sa.Column("accuracy_m", sa.Double, nullable=True),
        sa.Column("speed_mps", sa.Double, nullable=True),
        sa.Column("heading_deg", sa.Double, nullable=True),
        sa.Column("battery", sa.Double, nullable=True),
    ]


pings = sa.Table(
    "tracking_pings",
    metadata,
    _id(),
    sa.Column("ping_key", sa.String(KEY), nullable=False, unique=True),
    sa.Column("device_id", sa.String(REF), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    *_fix(),
    sa.Column("vehicle_ref", sa.String(REF), nullable=True),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Index("ix_tracking_pings_device_id_recorded_at", "device_id", "recorded_at"),
)

rejected_pings = sa.Table(
    "tracking_rejected_pings",
    metadata,
    _id(),
    sa.Column("ping_key", sa.String(KEY), nullable=False, unique=True),
    sa.Column("device_id", sa.String(REF), nullable=False, index=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    *_fix(),
    sa.Column("vehicle_ref", sa.String(REF), nullable=True),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
)

positions = sa.Table(
    "tracking_positions",
    metadata,
    _id(),
    sa.Column("device_id", sa.String(REF), nullable=False, unique=True),
    sa.Column("ping_key", sa.String(KEY), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    *_fix(),
    sa.Column("vehicle_ref", sa.String(REF), nullable=True, index=True),
)

scans = sa.Table(
    "tracking_scans",
    metadata,
    _id(),
    sa.Column("event_id", sa.String(KEY), nullable=False, unique=True),
    sa.Column("order_ref", sa.String(REF), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(REF), nullable=False),
    sa.Column("lat", sa.Double, nullable=True),
    sa.Column("lon", sa.Double, nullable=True),
    sa.Column("reason", sa.String(32), nullable=True),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("carrier_status", sa.String(REF), nullable=True),
    sa.Column("device_id", sa.String(REF), nullable=True),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("result", sa.String(24), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("received_at", UTCDateTime, nullable=False),
)

dwells = sa.Table(
    "tracking_dwells",
    metadata,
    _id(),
    sa.Column("vehicle_ref", sa.String(REF), nullable=False),
    sa.Column("stop_ref", sa.String(REF), nullable=False, index=True),
    sa.Column("arrived_at", UTCDateTime, nullable=False),
    sa.Column("departed_at", UTCDateTime, nullable=False),
    sa.Column("dwell_s", sa.Integer, nullable=False),
    sa.UniqueConstraint("vehicle_ref", "stop_ref", "arrived_at"),
)

pods = sa.Table(
    "tracking_pods",
    metadata,
    _id(),
    sa.Column("order_ref", sa.String(REF), nullable=False, index=True),
    sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("captured_at", UTCDateTime, nullable=False),
    sa.Column("lat", sa.Double, nullable=False),
    sa.Column("lon", sa.Double, nullable=False),
    sa.Column("recipient_name", sa.Text, nullable=False),
    sa.Column("distance_m", sa.Double, nullable=False),
    sa.Column("flagged", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

pod_files = sa.Table(
    "tracking_pod_files",
    metadata,
    _id(),
    sa.Column(
        "pod_hash",
        sa.String(64),
        sa.ForeignKey("tracking_pods.content_hash"),
        nullable=False,
        index=True,
    ),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("content_type", sa.String(64), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
)

etas = sa.Table(
    "tracking_etas",
    metadata,
    _id(),
    sa.Column("route_ref", sa.String(REF), nullable=False),
    sa.Column("stop_ref", sa.String(REF), nullable=False),
    sa.Column("order_refs", JSONValue, nullable=False),
    sa.Column("computed_at", UTCDateTime, nullable=False),
    sa.Column("eta", UTCDateTime, nullable=False),
    sa.Column("p10", UTCDateTime, nullable=True),
    sa.Column("p50", UTCDateTime, nullable=True),
    sa.Column("p90", UTCDateTime, nullable=True),
    sa.Column("window_start", UTCDateTime, nullable=True),
    sa.Column("window_end", UTCDateTime, nullable=True),
    sa.UniqueConstraint("route_ref", "stop_ref"),
)

#: Predictions kept for accuracy figures: at most one per stop per snapshot interval.
eta_snapshots = sa.Table(
    "tracking_eta_snapshots",
    metadata,
    _id(),
    sa.Column("route_ref", sa.String(REF), nullable=False, index=True),
    sa.Column("stop_ref", sa.String(REF), nullable=False, index=True),
    sa.Column("computed_at", UTCDateTime, nullable=False),
    sa.Column("eta", UTCDateTime, nullable=False),
    sa.Column("p10", UTCDateTime, nullable=True),
    sa.Column("p50", UTCDateTime, nullable=True),
    sa.Column("p90", UTCDateTime, nullable=True),
    sa.Column("window_start", UTCDateTime, nullable=True),
    sa.Column("window_end", UTCDateTime, nullable=True),
)

#: Actual arrivals per stop (geofence or scan), the truth ETA accuracy is measured against.
arrivals = sa.Table(
    "tracking_arrivals",
    metadata,
    _id(),
    sa.Column("route_ref", sa.String(REF), nullable=False),
    sa.Column("stop_ref", sa.String(REF), nullable=False),
    sa.Column("arrived_at", UTCDateTime, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.UniqueConstraint("route_ref", "stop_ref"),
)
