"""discharge: referrals that get medically fit patients home, and their steps

Revision ID: 0009_discharge
Revises: 0001_registry
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_discharge"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "discharge_referrals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("open_key", sa.String(length=40), nullable=True),
        sa.Column("site_id", sa.String(length=80), nullable=False),
        sa.Column("pool_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("team_id", sa.String(length=80), nullable=False),
        sa.Column("medically_fit_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("raised_by", sa.String(length=80), nullable=False),
        sa.Column("raised_by_org", sa.String(length=12), nullable=True),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.CheckConstraint(
            "kind IN ('housing', 'adaptations', 'social-care', 'chc', 'community-bed', 'care-home')",
            name=op.f("ck_discharge_referrals_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('raised', 'accepted', 'in-progress', 'closed', 'cancelled')",
            name=op.f("ck_discharge_referrals_status_known"),
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('home', 'care-home', 'community-bed', 'other')",
            name=op.f("ck_discharge_referrals_outcome_known"),
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= raised_at",
            name=op.f("ck_discharge_referrals_ended_after_raised"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharge_referrals")),
        sa.UniqueConstraint("open_key", name=op.f("uq_discharge_referrals_open_key")),
    )
    for column in ("nhs_number", "site_id", "pool_id", "team_id", "status", "raised_at", "ended_at"):
        op.create_index(
            op.f(f"ix_discharge_referrals_{column}"), "discharge_referrals", [column], unique=False
        )
    op.create_table(
        "discharge_referral_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.CheckConstraint(
            "action IN ('raised', 'accepted', 'updated', 'closed', 'cancelled')",
            name=op.f("ck_discharge_referral_events_action_known"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["discharge_referrals.id"],
            name=op.f("fk_discharge_referral_events_referral_id_discharge_referrals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharge_referral_events")),
    )
    op.create_index(
        op.f("ix_discharge_referral_events_referral_id"),
        "discharge_referral_events",
        ["referral_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("discharge_referral_events")
    op.drop_table("discharge_referrals")
