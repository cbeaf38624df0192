"""Tables of the HTTP API and webhooks: keys, idempotency, audit, tracking tokens, deliveries.

They share ``tables.metadata`` so one Alembic history covers the whole schema; the migration
``0002_api`` creates them.
"""

from __future__ import annotations

import sqlalchemy as sa

from lastmile.store.tables import metadata
from lastmile.store.types import JSONValue, UTCDateTime

REF = 128


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


api_keys = sa.Table(
    "api_keys",
    metadata,
    _id(),
    sa.Column("key_id", sa.String(32), nullable=False, unique=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("name", sa.String(REF), nullable=False, server_default=""),
    sa.Column("driver_ref", sa.String(REF), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    _id(),
    sa.Column("scope", sa.String(64), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("headers", JSONValue, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("scope", "key"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _id(),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(2 * REF), nullable=False),
    sa.Column("before", JSONValue, nullable=True),
    sa.Column("after", JSONValue, nullable=True),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
)

tracking_tokens = sa.Table(
    "tracking_tokens",
    metadata,
    _id(),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("order_ref", sa.String(REF), nullable=False, index=True),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    _id(),
    sa.Column("ref", sa.String(32), nullable=False, unique=True),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("secret", sa.String(128), nullable=False),
    sa.Column("event_types", JSONValue, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

#: One row per (event, subscription): what still has to be delivered and when to try next.
webhook_jobs = sa.Table(
    "webhook_jobs",
    metadata,
    _id(),
    sa.Column("event_id", sa.String(REF), nullable=False),
    sa.Column("subscription_ref", sa.String(32), nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("event_id", "subscription_ref"),
    sa.Index("ix_webhook_jobs_status_next", "status", "next_attempt_at"),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    _id(),
    sa.Column("event_id", sa.String(REF), nullable=False, index=True),
    sa.Column("subscription_ref", sa.String(32), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

plan_jobs = sa.Table(
    "plan_jobs",
    metadata,
    _id(),
    sa.Column("ref", sa.String(32), nullable=False, unique=True),
    sa.Column("hub_ref", sa.String(REF), nullable=False),
    sa.Column("service_date", sa.String(10), nullable=False),
    sa.Column("time_limit_s", sa.Float, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("plan_ref", sa.String(REF), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

#: A plan being dispatched: the day's first plan, and the plan in force now.
dispatch_days = sa.Table(
    "dispatch_days",
    metadata,
    _id(),
    sa.Column("plan_ref", sa.String(REF), nullable=False, unique=True),
    sa.Column("hub_ref", sa.String(REF), nullable=False),
    sa.Column("service_date", sa.String(10), nullable=False),
    sa.Column("current_plan_ref", sa.String(REF), nullable=False, index=True),
    sa.Column("steps", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # Which API process has the day out, until when (a lease: one that died holds it no
    # longer than that); the others wait for it instead of racing it to store.
    sa.Column("taken_by", sa.String(64), nullable=True),
    sa.Column("taken_until", UTCDateTime, nullable=True),
    sa.UniqueConstraint("hub_ref", "service_date"),
)

#: The hubs a dispatched day serves (a plan made for several hubs is one day): each hub is
#: dispatched from one plan a date, whichever plan that is.
dispatch_day_hubs = sa.Table(
    "dispatch_day_hubs",
    metadata,
    _id(),
    sa.Column("plan_ref", sa.String(REF), nullable=False, index=True),
    sa.Column("hub_ref", sa.String(REF), nullable=False),
    sa.Column("service_date", sa.String(10), nullable=False),
    sa.UniqueConstraint("hub_ref", "service_date"),
)

#: Every command a dispatched day accepted, in order, with the plans it led to and the day's
#: facts after it: enough to rebuild the day exactly without searching again.
dispatch_steps = sa.Table(
    "dispatch_steps",
    metadata,
    _id(),
    sa.Column("plan_ref", sa.String(REF), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("command", sa.String(64), nullable=False),
    sa.Column("payload", JSONValue, nullable=False),
    sa.Column("plan_refs", JSONValue, nullable=False),
    sa.Column("facts", JSONValue, nullable=False),
    sa.Column("replans", JSONValue, nullable=False),
    sa.Column("actor", sa.String(REF), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("plan_ref", "seq"),
)
