"""SQLAlchemy 2 Core tables: the storage shape of the domain.

Aggregates refer to each other by external reference (``hub_ref``, ``vehicle_ref``...) without
foreign keys, so an import may load orders before their hub and a tenant's data can be moved
table by table. Foreign keys exist only inside an aggregate (plan -> routes -> visits), where
the rows live and die together. Every table has a surrogate integer key and a unique ``ref``.
Column names equal the keys of the records in :mod:`lastmile.store.records`.
"""

from __future__ import annotations

import sqlalchemy as sa

from lastmile.store.types import JSONValue, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

REF = 128


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _ref() -> sa.Column[str]:
    return sa.Column("ref", sa.String(REF), nullable=False, unique=True)


hubs = sa.Table(
    "hubs",
    metadata,
    _id(),
    _ref(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("lat", sa.Double, nullable=False),
    sa.Column("lon", sa.Double, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("opening_hours", JSONValue, nullable=False),
    sa.Column("address", sa.Text, nullable=False),
)

zones = sa.Table(
    "zones",
    metadata,
    _id(),
    _ref(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("hub_ref", sa.String(REF), nullable=True, index=True),
    sa.Column("polygon", JSONValue, nullable=False),
    sa.Column("h3_cells", JSONValue, nullable=False),
    sa.Column("access", JSONValue, nullable=False),
    sa.Column("not_home_rate", sa.Double, nullable=False),
)

vehicles = sa.Table(
    "vehicles",
    metadata,
    _id(),
    _ref(),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("hub_ref", sa.String(REF), nullable=False, index=True),
    sa.Column("end_hub_ref", sa.String(REF), nullable=True),
    sa.Column("capacity_weight_g", sa.BigInteger, nullable=False),
    sa.Column("capacity_volume_cm3", sa.BigInteger, nullable=False),
    sa.Column("capacity_parcels", sa.Integer, nullable=False),
    sa.Column("range_m", sa.BigInteger, nullable=True),
    sa.Column("cost_per_km_cents", sa.BigInteger, nullable=False),
    sa.Column("cost_per_hour_cents", sa.BigInteger, nullable=False),
    sa.Column("fixed_cost_cents", sa.BigInteger, nullable=False),
    sa.Column("co2_g_per_km", sa.Double, nullable=False),
    sa.Column("equipment", JSONValue, nullable=False),
    sa.Column("access", JSONValue, nullable=True),
)

drivers = sa.Table(
    "drivers",
    metadata,
    _id(),
    _ref(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("employment", sa.String(32), nullable=False),
    sa.Column("skills", JSONValue, nullable=False),
    sa.Column("max_work_s", sa.Integer, nullable=False),
    sa.Column("max_driving_s", sa.Integer, nullable=False),
    sa.Column("break_after_work_s", sa.Integer, nullable=True),
    sa.Column("break_duration_s", sa.Integer, nullable=True),
    sa.Column("phone", sa.Text, nullable=False),
    sa.Column("hub_ref", sa.String(REF), nullable=True, index=True),
)

shifts = sa.Table(
    "shifts",
    metadata,
    _id(),
    _ref(),
    sa.Column("driver_ref", sa.String(REF), nullable=False, index=True),
    sa.Column("hub_ref", sa.String(REF), nullable=False),
    sa.Column("start", UTCDateTime, nullable=False),
    sa.Column("end", UTCDateTime, nullable=False),
    sa.Column("vehicle_ref", sa.String(REF), nullable=True),
    sa.Column("max_overtime_s", sa.Integer, nullable=False),
    sa.Column("overtime_cost_per_hour_cents", sa.BigInteger, nullable=False),
    sa.Index("ix_shifts_hub_ref_start", "hub_ref", "start"),
)

orders = sa.Table(
    "orders",
    metadata,
    _id(),
    _ref(),
    sa.Column("hub_ref", sa.String(REF), nullable=False),
    sa.Column("address_raw", sa.Text, nullable=False),
    sa.Column("lat", sa.Double, nullable=False),
    sa.Column("lon", sa.Double, nullable=False),
    sa.Column("street", sa.Text, nullable=False),
    sa.Column("house_number", sa.Text, nullable=False),
    sa.Column("postcode", sa.Text, nullable=False),
    sa.Column("city", sa.Text, nullable=False),
    sa.Column("country", sa.Text, nullable=False),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("address_type", sa.String(32), nullable=False),
    sa.Column("precision", sa.String(32), nullable=False),
    sa.Column("confidence", sa.Double, nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("service_level", sa.String(32), nullable=False),
    sa.Column("window_start", UTCDateTime, nullable=True),
    sa.Column("window_end", UTCDateTime, nullable=True),
    # The window's date in the hub's timezone, kept so "orders for Tuesday" is one index scan.
    sa.Column("service_date", sa.String(10), nullable=True),
    sa.Column("items", JSONValue, nullable=False),
    sa.Column("skills", JSONValue, nullable=False),
    sa.Column("preferences", JSONValue, nullable=False),
    sa.Column("recipient_name", sa.Text, nullable=False),
    sa.Column("recipient_phone", sa.Text, nullable=False),
    sa.Column("recipient_email", sa.Text, nullable=False),
    sa.Column("instructions", sa.Text, nullable=False),
    sa.Column("access_notes", sa.Text, nullable=False),
    sa.Column("service_s", sa.Integer, nullable=True),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("ready_at", UTCDateTime, nullable=True),
    sa.Column("zone_ref", sa.String(REF), nullable=True, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=True),
    sa.Column("failure_reason", sa.String(32), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Index("ix_orders_hub_ref_state", "hub_ref", "state"),
    sa.Index("ix_orders_service_date_hub_ref", "service_date", "hub_ref"),
    sa.Index("ix_orders_window_start", "window_start"),
)

order_events = sa.Table(
    "order_events",
    metadata,
    _id(),
    sa.Column("event_id", sa.String(REF), nullable=False, unique=True),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("order_ref", sa.String(REF), nullable=False),
    sa.Column("from_state", sa.String(32), nullable=True),
    sa.Column("to_state", sa.String(32), nullable=True),
    sa.Column("outcome", sa.String(32), nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("actor", sa.String(REF), nullable=False),
    sa.Column("lat", sa.Double, nullable=True),
    sa.Column("lon", sa.Double, nullable=True),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("payload", JSONValue, nullable=False),
    sa.Index("ix_order_events_order_ref_occurred_at", "order_ref", "occurred_at"),
)

plans = sa.Table(
    "plans",
    metadata,
    _id(),
    _ref(),
    sa.Column("hub_refs", JSONValue, nullable=False),
    sa.Column("service_date", sa.String(10), nullable=False, index=True),
    sa.Column("unassigned", JSONValue, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("cost_cents", sa.BigInteger, nullable=False),
)

routes = sa.Table(
    "routes",
    metadata,
    _id(),
    _ref(),
    sa.Column(
        "plan_ref",
        sa.String(REF),
        sa.ForeignKey("plans.ref", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("vehicle_ref", sa.String(REF), nullable=False, index=True),
    sa.Column("start", UTCDateTime, nullable=False),
    sa.Column("end", UTCDateTime, nullable=False),
    sa.Column("driver_ref", sa.String(REF), nullable=True, index=True),
    sa.Column("shift_ref", sa.String(REF), nullable=True),
    sa.Column("breaks", JSONValue, nullable=False),
    sa.Column("distance_m", sa.BigInteger, nullable=False),
    sa.Column("duration_s", sa.Integer, nullable=False),
    sa.Column("cost_cents", sa.BigInteger, nullable=False),
    sa.Column("co2_g", sa.BigInteger, nullable=False),
    # Optimistic concurrency: a write must name the version it read; each write adds one.
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
)

visits = sa.Table(
    "visits",
    metadata,
    _id(),
    sa.Column(
        "route_ref",
        sa.String(REF),
        sa.ForeignKey("routes.ref", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("stop_ref", sa.String(REF), nullable=False, index=True),
    sa.Column("order_refs", JSONValue, nullable=False),
    sa.Column("arrival", UTCDateTime, nullable=False),
    sa.Column("service_start", UTCDateTime, nullable=False),
    sa.Column("departure", UTCDateTime, nullable=False),
    sa.Column("wait_s", sa.Integer, nullable=False),
    sa.Column("load_weight_g", sa.BigInteger, nullable=False),
    sa.Column("load_volume_cm3", sa.BigInteger, nullable=False),
    sa.Column("load_parcels", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("trip", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("route_ref", "position"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    _id(),
    sa.Column("event_id", sa.String(REF), nullable=False, unique=True),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("aggregate_ref", sa.String(REF), nullable=False, index=True),
    sa.Column("payload", JSONValue, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("delivered_at", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    # Senders scan for undelivered rows in creation order.
    sa.Index("ix_outbox_delivered_at_id", "delivered_at", "id"),
)
