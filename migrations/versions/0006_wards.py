"""wards: virtual-ward admissions and transfers

Revision ID: 0006_wards
Revises: 0001_registry
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_wards"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wards_admissions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column("open_nhs_number", sa.String(length=10), nullable=True),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=80), nullable=False),
        sa.Column("pool_id", sa.String(length=80), nullable=False),
        sa.Column("pathway", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("direction", sa.String(length=20), nullable=False),
        sa.Column("admitted_at", sa.DateTime(), nullable=False),
        sa.Column("admitted_by", sa.String(length=80), nullable=False),
        sa.Column("discharged_at", sa.DateTime(), nullable=True),
        sa.Column("discharged_by", sa.String(length=80), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("episode_of_care_id", sa.String(length=64), nullable=False),
        sa.Column("care_team_id", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "direction IN ('step-up', 'step-down')", name=op.f("ck_wards_admissions_direction_known")
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('home', 'readmitted', 'died')",
            name=op.f("ck_wards_admissions_outcome_known"),
        ),
        sa.CheckConstraint(
            "source IN ('hospital', 'gp', 'community')", name=op.f("ck_wards_admissions_source_known")
        ),
        sa.CheckConstraint(
            "discharged_at IS NULL OR discharged_at >= admitted_at",
            name=op.f("ck_wards_admissions_discharge_after_admission"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wards_admissions")),
        sa.UniqueConstraint("open_nhs_number", name=op.f("uq_wards_admissions_open_nhs_number")),
    )
    op.create_index(
        op.f("ix_wards_admissions_admitted_at"), "wards_admissions", ["admitted_at"], unique=False
    )
    op.create_index(
        op.f("ix_wards_admissions_discharged_at"), "wards_admissions", ["discharged_at"], unique=False
    )
    op.create_index(op.f("ix_wards_admissions_nhs_number"), "wards_admissions", ["nhs_number"], unique=False)
    op.create_index(op.f("ix_wards_admissions_pool_id"), "wards_admissions", ["pool_id"], unique=False)
    op.create_index(op.f("ix_wards_admissions_team_id"), "wards_admissions", ["team_id"], unique=False)
    op.create_table(
        "wards_transfers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("admission_id", sa.String(length=36), nullable=False),
        sa.Column("from_team_id", sa.String(length=80), nullable=False),
        sa.Column("to_team_id", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["admission_id"],
            ["wards_admissions.id"],
            name=op.f("fk_wards_transfers_admission_id_wards_admissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wards_transfers")),
    )
    op.create_index(
        op.f("ix_wards_transfers_admission_id"), "wards_transfers", ["admission_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("wards_transfers")
    op.drop_table("wards_admissions")
