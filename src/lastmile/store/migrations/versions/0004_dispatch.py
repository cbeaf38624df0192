"""Dispatch through the API: the trip of each visit, dispatched days and their steps.

Revision ID: 0004_dispatch
Revises: 0003_tracking
Create Date: 2026-12-07

Types are spelled out here (not imported from ``lastmile.store``) so this file keeps describing
the schema of its day.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_dispatch"
down_revision: str | None = "0003_tracking"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REF = 128


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _ts(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _table(name: str, *items: sa.schema.SchemaItem) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        *items,
    )


def upgrade() -> None:
    # Plans stored before this revision have no trips recorded: every visit reads as trip 0.
    with op.batch_alter_table("visits") as batch:
        batch.add_column(sa.Column("trip", sa.Integer(), nullable=False, server_default="0"))
    _table(
        "dispatch_days",
        sa.Column("plan_ref", sa.String(REF), nullable=False),
        sa.Column("hub_ref", sa.String(REF), nullable=False),
        sa.Column("service_date", sa.String(10), nullable=False),
        sa.Column("current_plan_ref", sa.String(REF), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.UniqueConstraint("plan_ref", name=op.f("uq_dispatch_days_plan_ref")),
        sa.UniqueConstraint(
            "hub_ref", "service_date", name=op.f("uq_dispatch_days_hub_ref_service_date")
        ),
    )
    op.create_index(
        op.f("ix_dispatch_days_current_plan_ref"), "dispatch_days", ["current_plan_ref"]
    )
    _table(
        "dispatch_steps",
        sa.Column("plan_ref", sa.String(REF), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        _ts("at"),
        sa.Column("command", sa.String(64), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("plan_refs", _json(), nullable=False),
        sa.Column("facts", _json(), nullable=False),
        sa.Column("replans", _json(), nullable=False),
        sa.Column("actor", sa.String(REF), nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint("plan_ref", "seq", name=op.f("uq_dispatch_steps_plan_ref_seq")),
    )


def downgrade() -> None:
    op.drop_table("dispatch_steps")
    op.drop_index(op.f("ix_dispatch_days_current_plan_ref"), table_name="dispatch_days")
    op.drop_table("dispatch_days")
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("trip")
