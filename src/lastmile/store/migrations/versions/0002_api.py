"""HTTP API and webhooks: api keys, idempotency keys, audit log, tracking tokens, webhook
subscriptions, delivery jobs and attempts, plan jobs.

Revision ID: 0002_api
Revises: 0001_core
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

revision: str = "0002_api"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REF = 128


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _table(name: str, *items: sa.schema.SchemaItem) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        *items,
    )


def upgrade() -> None:
    _access()
    _webhooks()
    _table(
        "plan_jobs",
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("hub_ref", sa.String(REF), nullable=False),
        sa.Column("service_date", sa.String(10), nullable=False),
        sa.Column("time_limit_s", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("plan_ref", sa.String(REF), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.UniqueConstraint("ref", name=op.f("uq_plan_jobs_ref")),
    )


def _access() -> None:
    _table(
        "api_keys",
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(REF), server_default="", nullable=False),
        sa.Column("driver_ref", sa.String(REF), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("revoked_at", _ts(), nullable=True),
        sa.UniqueConstraint("key_id", name=op.f("uq_api_keys_key_id")),
    )
    _table(
        "idempotency_keys",
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("headers", _json(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.UniqueConstraint("scope", "key", name=op.f("uq_idempotency_keys_scope_key")),
    )
    _table(
        "audit_log",
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(2 * REF), nullable=False),
        sa.Column("before", _json(), nullable=True),
        sa.Column("after", _json(), nullable=True),
        sa.Column("at", _ts(), nullable=False),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    _table(
        "tracking_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("order_ref", sa.String(REF), nullable=False),
        sa.Column("expires_at", _ts(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.UniqueConstraint("token_hash", name=op.f("uq_tracking_tokens_token_hash")),
    )
    op.create_index(op.f("ix_tracking_tokens_order_ref"), "tracking_tokens", ["order_ref"])


def _webhooks() -> None:
    _table(
        "webhook_subscriptions",
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("event_types", _json(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.UniqueConstraint("ref", name=op.f("uq_webhook_subscriptions_ref")),
    )
    _table(
        "webhook_jobs",
        sa.Column("event_id", sa.String(REF), nullable=False),
        sa.Column("subscription_ref", sa.String(32), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", _ts(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.UniqueConstraint(
            "event_id", "subscription_ref", name=op.f("uq_webhook_jobs_event_id_subscription_ref")
        ),
    )
    op.create_index("ix_webhook_jobs_status_next", "webhook_jobs", ["status", "next_attempt_at"])
    _table(
        "webhook_attempts",
        sa.Column("event_id", sa.String(REF), nullable=False),
        sa.Column("subscription_ref", sa.String(32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("at", _ts(), nullable=False),
    )
    op.create_index(op.f("ix_webhook_attempts_event_id"), "webhook_attempts", ["event_id"])


def downgrade() -> None:
    for table in (
        "plan_jobs", "webhook_attempts", "webhook_jobs", "webhook_subscriptions",
        "tracking_tokens", "audit_log", "idempotency_keys", "api_keys",
    ):  # fmt: skip
        op.drop_table(table)
