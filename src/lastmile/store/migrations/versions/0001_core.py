"""Core tables: network, fleet, orders with their journey events, plans, outbox.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-23

Later migrations chain after this one (``down_revision = "0001_core"``) and stay linear. Column
types are spelled out here rather than imported from ``lastmile.store`` so this file keeps
describing the schema of its day when the code moves on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_core"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REF = 128
TABLES = (
    "outbox", "visits", "routes", "plans", "order_events", "orders",
    "shifts", "drivers", "vehicles", "zones", "hubs",
)  # fmt: skip


CONTACT_TEXT = (
    "recipient_name", "recipient_phone", "recipient_email", "instructions", "access_notes",
)  # fmt: skip


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _keys(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(REF), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("ref", name=op.f(f"uq_{table}_ref")),
    ]


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns))


def upgrade() -> None:
    _network()
    _fleet()
    _orders()
    _plans()
    _outbox()


def _network() -> None:
    op.create_table(
        "hubs",
        *_keys("hubs"),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("opening_hours", _json(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
    )
    op.create_table(
        "zones",
        *_keys("zones"),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("hub_ref", sa.String(REF), nullable=True),
        sa.Column("polygon", _json(), nullable=False),
        sa.Column("h3_cells", _json(), nullable=False),
        sa.Column("access", _json(), nullable=False),
        sa.Column("not_home_rate", sa.Double(), nullable=False),
    )
    _index("zones", "hub_ref")


def _fleet() -> None:
    op.create_table(
        "vehicles",
        *_keys("vehicles"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("hub_ref", sa.String(REF), nullable=False),
        sa.Column("end_hub_ref", sa.String(REF), nullable=True),
        sa.Column("capacity_weight_g", sa.BigInteger(), nullable=False),
        sa.Column("capacity_volume_cm3", sa.BigInteger(), nullable=False),
        sa.Column("capacity_parcels", sa.Integer(), nullable=False),
        sa.Column("range_m", sa.BigInteger(), nullable=True),
        sa.Column("cost_per_km_cents", sa.BigInteger(), nullable=False),
        sa.Column("cost_per_hour_cents", sa.BigInteger(), nullable=False),
        sa.Column("fixed_cost_cents", sa.BigInteger(), nullable=False),
        sa.Column("co2_g_per_km", sa.Double(), nullable=False),
        sa.Column("equipment", _json(), nullable=False),
        sa.Column("access", _json(), nullable=True),
    )
    _index("vehicles", "hub_ref")
    op.create_table(
        "drivers",
        *_keys("drivers"),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("employment", sa.String(32), nullable=False),
        sa.Column("skills", _json(), nullable=False),
        sa.Column("max_work_s", sa.Integer(), nullable=False),
        sa.Column("max_driving_s", sa.Integer(), nullable=False),
        sa.Column("break_after_work_s", sa.Integer(), nullable=True),
        sa.Column("break_duration_s", sa.Integer(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=False),
        sa.Column("hub_ref", sa.String(REF), nullable=True),
    )
    _index("drivers", "hub_ref")
    op.create_table(
        "shifts",
        *_keys("shifts"),
        sa.Column("driver_ref", sa.String(REF), nullable=False),
        sa.Column("hub_ref", sa.String(REF), nullable=False),
        sa.Column("start", _ts(), nullable=False),
        sa.Column("end", _ts(), nullable=False),
        sa.Column("vehicle_ref", sa.String(REF), nullable=True),
        sa.Column("max_overtime_s", sa.Integer(), nullable=False),
        sa.Column("overtime_cost_per_hour_cents", sa.BigInteger(), nullable=False),
    )
    _index("shifts", "driver_ref")
    op.create_index("ix_shifts_hub_ref_start", "shifts", ["hub_ref", "start"])


def _orders() -> None:
    op.create_table(
        "orders",
        *_keys("orders"),
        sa.Column("hub_ref", sa.String(REF), nullable=False),
        sa.Column("address_raw", sa.Text(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        *(
            sa.Column(name, sa.Text(), nullable=False)
            for name in ("street", "house_number", "postcode", "city", "country", "unit")
        ),
        sa.Column("address_type", sa.String(32), nullable=False),
        sa.Column("precision", sa.String(32), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("service_level", sa.String(32), nullable=False),
        sa.Column("window_start", _ts(), nullable=True),
        sa.Column("window_end", _ts(), nullable=True),
        sa.Column("service_date", sa.String(10), nullable=True),
        sa.Column("items", _json(), nullable=False),
        sa.Column("skills", _json(), nullable=False),
        sa.Column("preferences", _json(), nullable=False),
        *(sa.Column(name, sa.Text(), nullable=False) for name in CONTACT_TEXT),
        sa.Column("service_s", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("ready_at", _ts(), nullable=True),
        sa.Column("zone_ref", sa.String(REF), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("failure_reason", sa.String(32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
    )
    _index("orders", "zone_ref")
    _index("orders", "hub_ref", "state")
    _index("orders", "service_date", "hub_ref")
    _index("orders", "window_start")
    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(REF), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("order_ref", sa.String(REF), nullable=False),
        sa.Column("from_state", sa.String(32), nullable=True),
        sa.Column("to_state", sa.String(32), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(REF), nullable=False),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("occurred_at", _ts(), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_order_events_event_id")),
    )
    _index("order_events", "order_ref", "occurred_at")


def _plans() -> None:
    op.create_table(
        "plans",
        *_keys("plans"),
        sa.Column("hub_refs", _json(), nullable=False),
        sa.Column("service_date", sa.String(10), nullable=False),
        sa.Column("unassigned", _json(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("cost_cents", sa.BigInteger(), nullable=False),
    )
    _index("plans", "service_date")
    op.create_table(
        "routes",
        *_keys("routes"),
        sa.Column("plan_ref", sa.String(REF), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("vehicle_ref", sa.String(REF), nullable=False),
        sa.Column("start", _ts(), nullable=False),
        sa.Column("end", _ts(), nullable=False),
        sa.Column("driver_ref", sa.String(REF), nullable=True),
        sa.Column("shift_ref", sa.String(REF), nullable=True),
        sa.Column("breaks", _json(), nullable=False),
        sa.Column("distance_m", sa.BigInteger(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("cost_cents", sa.BigInteger(), nullable=False),
        sa.Column("co2_g", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_ref"], ["plans.ref"], name=op.f("fk_routes_plan_ref_plans"), ondelete="CASCADE"
        ),
    )
    _index("routes", "plan_ref")
    _index("routes", "vehicle_ref")
    _index("routes", "driver_ref")
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("route_ref", sa.String(REF), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stop_ref", sa.String(REF), nullable=False),
        sa.Column("order_refs", _json(), nullable=False),
        sa.Column("arrival", _ts(), nullable=False),
        sa.Column("service_start", _ts(), nullable=False),
        sa.Column("departure", _ts(), nullable=False),
        sa.Column("wait_s", sa.Integer(), nullable=False),
        sa.Column("load_weight_g", sa.BigInteger(), nullable=False),
        sa.Column("load_volume_cm3", sa.BigInteger(), nullable=False),
        sa.Column("load_parcels", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
        sa.UniqueConstraint("route_ref", "position", name=op.f("uq_visits_route_ref_position")),
        sa.ForeignKeyConstraint(
            ["route_ref"],
            ["routes.ref"],
            name=op.f("fk_visits_route_ref_routes"),
            ondelete="CASCADE",
        ),
    )
    _index("visits", "stop_ref")


def _outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(REF), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("aggregate_ref", sa.String(REF), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("delivered_at", _ts(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    _index("outbox", "aggregate_ref")
    _index("outbox", "delivered_at", "id")


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
