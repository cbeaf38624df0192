"""A dispatched day may span several hubs: one row per hub, each hub dispatched once a date.

Revision ID: 0005_dispatch_hubs
Revises: 0004_dispatch
Create Date: 2026-12-07

Types are spelled out here (not imported from ``lastmile.store``) so this file keeps describing
the schema of its day.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_dispatch_hubs"
down_revision: str | None = "0004_dispatch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REF = 128


def upgrade() -> None:
    op.create_table(
        "dispatch_day_hubs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_ref", sa.String(REF), nullable=False),
        sa.Column("hub_ref", sa.String(REF), nullable=False),
        sa.Column("service_date", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_day_hubs")),
        sa.UniqueConstraint(
            "hub_ref", "service_date", name=op.f("uq_dispatch_day_hubs_hub_ref_service_date")
        ),
    )
    op.create_index(op.f("ix_dispatch_day_hubs_plan_ref"), "dispatch_day_hubs", ["plan_ref"])
    # Days dispatched before this revision were one hub's each.
    op.execute(
        "INSERT INTO dispatch_day_hubs (plan_ref, hub_ref, service_date) "
        "SELECT plan_ref, hub_ref, service_date FROM dispatch_days"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_dispatch_day_hubs_plan_ref"), table_name="dispatch_day_hubs")
    op.drop_table("dispatch_day_hubs")
