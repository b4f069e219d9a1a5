"""capacity: daily bed census

Revision ID: 0003_capacity
Revises: 0001_registry
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_capacity"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "capacity_census",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pool_id", sa.String(length=80), nullable=False),
        sa.Column("census_date", sa.Date(), nullable=False),
        sa.Column("occupied", sa.Integer(), nullable=False),
        sa.Column("delayed", sa.Integer(), nullable=False),
        sa.Column("reported_by", sa.String(length=120), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("occupied >= 0", name=op.f("ck_capacity_census_occupied_not_negative")),
        sa.CheckConstraint("delayed >= 0", name=op.f("ck_capacity_census_delayed_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_census")),
        sa.UniqueConstraint("pool_id", "census_date", name="uq_capacity_census_pool_day"),
    )
    op.create_index(op.f("ix_capacity_census_pool_id"), "capacity_census", ["pool_id"])
    op.create_index(op.f("ix_capacity_census_census_date"), "capacity_census", ["census_date"])


def downgrade() -> None:
    op.drop_table("capacity_census")
