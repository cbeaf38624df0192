"""Tracking: pings (accepted and rejected), device positions, scans, dwells, proof of
delivery with its files, current ETAs, ETA snapshots and actual arrivals.

Revision ID: 0003_tracking
Revises: 0002_api
Create Date: 2026-11-23

Types are spelled out here (not imported from ``lastmile.store``) so this file keeps describing
the schema of its day.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_tracking"
down_revision: str | None = "0002_api"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REF = 128
KEY = 200
TABLES = (
    "tracking_pod_files", "tracking_pods", "tracking_arrivals", "tracking_eta_snapshots",
    "tracking_etas", "tracking_dwells", "tracking_scans", "tracking_positions",
    "tracking_rejected_pings", "tracking_pings",
)  # fmt: skip


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _ts(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _ref(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(REF), nullable=nullable)


def _fix() -> list[sa.Column[Any]]:
    return [
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        *(sa.Column(n, sa.Double(), nullable=True) for n in ("accuracy_m", "speed_mps")),
        *(sa.Column(n, sa.Double(), nullable=True) for n in ("heading_deg", "battery")),
    ]


def _table(name: str, *items: sa.schema.SchemaItem) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        *items,
    )


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns))


def upgrade() -> None:
    _pings()
    _journey()
    _pod()
    _etas()


def _ping() -> list[sa.Column[Any]]:
    return [
        sa.Column("ping_key", sa.String(KEY), nullable=False),
        _ref("device_id"),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        _ts("recorded_at"),
        *_fix(),
        _ref("vehicle_ref", nullable=True),
    ]


def _pings() -> None:
    _table("tracking_pings", *_ping(), _ts("received_at"), _unique("tracking_pings", "ping_key"))
    _index("tracking_pings", "device_id", "recorded_at")
    _table(
        "tracking_rejected_pings",
        *_ping(),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        _ts("received_at"),
        _unique("tracking_rejected_pings", "ping_key"),
    )
    _index("tracking_rejected_pings", "device_id")
    _table(
        "tracking_positions",
        _ref("device_id"),
        sa.Column("ping_key", sa.String(KEY), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        _ts("recorded_at"),
        *_fix(),
        _ref("vehicle_ref", nullable=True),
        _unique("tracking_positions", "device_id"),
    )
    _index("tracking_positions", "vehicle_ref")


def _journey() -> None:
    _table(
        "tracking_scans",
        sa.Column("event_id", sa.String(KEY), nullable=False),
        _ref("order_ref"),
        sa.Column("kind", sa.String(16), nullable=False),
        _ts("at"),
        _ref("actor"),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("source", sa.String(64), nullable=False),
        _ref("carrier_status", nullable=True),
        _ref("device_id", nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("result", sa.String(24), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        _ts("received_at"),
        _unique("tracking_scans", "event_id"),
    )
    _index("tracking_scans", "order_ref")
    _table(
        "tracking_dwells",
        _ref("vehicle_ref"),
        _ref("stop_ref"),
        _ts("arrived_at"),
        _ts("departed_at"),
        sa.Column("dwell_s", sa.Integer(), nullable=False),
        _unique("tracking_dwells", "vehicle_ref", "stop_ref", "arrived_at"),
    )
    _index("tracking_dwells", "stop_ref")
    _table(
        "tracking_arrivals",
        _ref("route_ref"),
        _ref("stop_ref"),
        _ts("arrived_at"),
        sa.Column("source", sa.String(16), nullable=False),
        _unique("tracking_arrivals", "route_ref", "stop_ref"),
    )


def _pod() -> None:
    _table(
        "tracking_pods",
        _ref("order_ref"),
        sa.Column("content_hash", sa.String(64), nullable=False),
        _ts("captured_at"),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("recipient_name", sa.Text(), nullable=False),
        sa.Column("distance_m", sa.Double(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _unique("tracking_pods", "content_hash"),
    )
    _index("tracking_pods", "order_ref")
    _table(
        "tracking_pod_files",
        sa.Column("pod_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pod_hash"],
            ["tracking_pods.content_hash"],
            name=op.f("fk_tracking_pod_files_pod_hash_tracking_pods"),
        ),
    )
    _index("tracking_pod_files", "pod_hash")


def _prediction() -> list[sa.Column[Any]]:
    return [
        _ts("computed_at"),
        _ts("eta"),
        *(_ts(name, nullable=True) for name in ("p10", "p50", "p90")),
        _ts("window_start", nullable=True),
        _ts("window_end", nullable=True),
    ]


def _etas() -> None:
    _table(
        "tracking_etas",
        _ref("route_ref"),
        _ref("stop_ref"),
        sa.Column("order_refs", _json(), nullable=False),
        *_prediction(),
        _unique("tracking_etas", "route_ref", "stop_ref"),
    )
    _table("tracking_eta_snapshots", _ref("route_ref"), _ref("stop_ref"), *_prediction())
    _index("tracking_eta_snapshots", "route_ref")
    _index("tracking_eta_snapshots", "stop_ref")


def downgrade() -> None:
    for name in TABLES:
        op.drop_table(name)
