"""voice: "you said, we did": actions on themes and concerns, their updates, measures and readings

Revision ID: 0011_voice_actions
Revises: 0005_voice
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_voice_actions"
down_revision: str | Sequence[str] | None = "0005_voice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def _actions() -> None:
    op.create_table(
        "voice_action",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("theme", sa.String(40), nullable=True),
        sa.Column("feedback_id", sa.Integer(), nullable=True),
        sa.Column("owner_organisation_id", sa.String(80), nullable=False),
        sa.Column("owner_role", sa.String(120), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('planned', 'in progress', 'done', 'dropped')",
            name=op.f("ck_voice_action_status_known"),
        ),
        sa.CheckConstraint(
            "theme IS NOT NULL OR feedback_id IS NOT NULL", name=op.f("ck_voice_action_about_something")
        ),
        _fk("voice_action", "feedback_id", "voice_feedback", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_action")),
    )
    _index("voice_action", "theme", "feedback_id", "owner_organisation_id", "status")
    op.create_table(
        "voice_action_update",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(120), nullable=False),
        sa.Column("status_from", sa.String(16), nullable=True),
        sa.Column("status_to", sa.String(16), nullable=True),
        sa.Column("due_from", sa.Date(), nullable=True),
        sa.Column("due_to", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        _fk("voice_action_update", "action_id", "voice_action"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_action_update")),
    )
    _index("voice_action_update", "action_id")


def _measures() -> None:
    op.create_table(
        "voice_measure",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("desired", sa.String(8), nullable=False),
        sa.Column("pool_id", sa.String(80), nullable=True),
        sa.Column("service_id", sa.String(80), nullable=True),
        sa.Column("scenario", sa.String(80), nullable=True),
        sa.Column("figure", sa.String(40), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('registry', 'planner', 'waiting')", name=op.f("ck_voice_measure_kind_known")
        ),
        sa.CheckConstraint("desired IN ('up', 'down')", name=op.f("ck_voice_measure_desired_known")),
        _fk("voice_measure", "action_id", "voice_action"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_measure")),
        sa.UniqueConstraint("action_id", name=op.f("uq_voice_measure_action_id")),
    )
    op.create_table(
        "voice_measure_reading",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_voice_measure_reading_value_not_negative")),
        _fk("voice_measure_reading", "measure_id", "voice_measure"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_measure_reading")),
    )
    _index("voice_measure_reading", "measure_id")


def upgrade() -> None:
    _actions()
    _measures()


def downgrade() -> None:
    op.drop_table("voice_measure_reading")
    op.drop_table("voice_measure")
    op.drop_table("voice_action_update")
    op.drop_table("voice_action")
