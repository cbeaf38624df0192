"""A dispatched day names the API process that has it out, and until when.

Revision ID: 0006_dispatch_leases
Revises: 0005_dispatch_hubs
Create Date: 2026-12-07

Types are spelled out here (not imported from ``lastmile.store``) so this file keeps describing
the schema of its day.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_dispatch_leases"
down_revision: str | None = "0005_dispatch_hubs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("dispatch_days", sa.Column("taken_by", sa.String(64), nullable=True))
    op.add_column(
        "dispatch_days", sa.Column("taken_until", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("dispatch_days") as batch:
        batch.drop_column("taken_until")
        batch.drop_column("taken_by")
