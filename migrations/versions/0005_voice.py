"""voice: public feedback, private details, themes, provider replies, moderation, consultations

Revision ID: 0005_voice
Revises: 0001_registry
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_voice"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS_CHECK = "status IN ('received', 'held', 'published', 'rejected')"


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _feedback_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["feedback_id"],
        ["voice_feedback.id"],
        name=op.f(f"fk_{table}_feedback_id_voice_feedback"),
        ondelete="CASCADE",
    )


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def _feedback() -> None:
    op.create_table(
        "voice_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _when("received_at"),
        sa.Column("place_kind", sa.String(16), nullable=False),
        sa.Column("place_id", sa.String(80), nullable=False),
        sa.Column("organisation_id", sa.String(80), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("redactions", sa.JSON(), nullable=False),
        sa.Column("sentiment", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("held_reason", sa.Text(), nullable=True),
        sa.Column("rejected_reason", sa.Text(), nullable=True),
        sa.Column("moderated_by", sa.String(120), nullable=True),
        _when("moderated_at", nullable=True),
        _when("published_at", nullable=True),
        _when("response_requested_at", nullable=True),
        sa.Column("response_requested_by", sa.String(120), nullable=True),
        sa.CheckConstraint(
            "rating IS NULL OR (rating >= 1 AND rating <= 5)", name=op.f("ck_voice_feedback_rating_range")
        ),
        sa.CheckConstraint(STATUS_CHECK, name=op.f("ck_voice_feedback_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_feedback")),
        sa.UniqueConstraint("reference", name=op.f("uq_voice_feedback_reference")),
    )
    _index("voice_feedback", "received_at", "place_id", "organisation_id", "status", "published_at")


def _feedback_children() -> None:
    op.create_table(
        "voice_private_details",
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("contact_name", sa.String(120), nullable=True),
        sa.Column("contact_email", sa.String(254), nullable=True),
        sa.Column("contact_phone", sa.String(40), nullable=True),
        sa.Column("wants_reply", sa.Boolean(), nullable=False),
        sa.Column("original_text", sa.Text(), nullable=True),
        _when("created_at"),
        _feedback_fk("voice_private_details"),
        sa.PrimaryKeyConstraint("feedback_id", name=op.f("pk_voice_private_details")),
    )
    op.create_table(
        "voice_feedback_theme",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("theme", sa.String(40), nullable=False),
        sa.Column("polarity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(120), nullable=True),
        sa.CheckConstraint(
            "status IN ('suggested', 'confirmed')", name=op.f("ck_voice_feedback_theme_status_known")
        ),
        sa.CheckConstraint(
            "polarity IN ('positive', 'negative', 'neutral')",
            name=op.f("ck_voice_feedback_theme_polarity_known"),
        ),
        _feedback_fk("voice_feedback_theme"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_feedback_theme")),
        sa.UniqueConstraint("feedback_id", "theme", "status", name="uq_voice_feedback_theme_once"),
    )
    _index("voice_feedback_theme", "feedback_id")
    op.create_table(
        "voice_provider_reply",
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("responder", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        _when("published_at"),
        _feedback_fk("voice_provider_reply"),
        sa.PrimaryKeyConstraint("feedback_id", name=op.f("pk_voice_provider_reply")),
    )
    op.create_table(
        "voice_moderation_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by", sa.String(120), nullable=False),
        _when("at"),
        _feedback_fk("voice_moderation_event"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_moderation_event")),
    )
    _index("voice_moderation_event", "feedback_id")


def _submissions_and_consultations() -> None:
    op.create_table(
        "voice_submission",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        _when("at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_submission")),
    )
    _index("voice_submission", "sender", "at")
    op.create_table(
        "voice_consultation",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("scenario", sa.String(200), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=True),
        sa.Column("published_by", sa.String(120), nullable=False),
        _when("published_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_consultation")),
    )
    op.create_table(
        "voice_consultation_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("consultation_id", sa.String(80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["voice_consultation.id"],
            name=op.f("fk_voice_consultation_change_consultation_id_voice_consultation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_consultation_change")),
        sa.UniqueConstraint("consultation_id", "position", name="uq_voice_consultation_change_position"),
    )
    _index("voice_consultation_change", "consultation_id")
    op.create_table(
        "voice_consultation_comment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("stance", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("redactions", sa.JSON(), nullable=False),
        sa.Column("held_original", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _when("received_at"),
        sa.Column("moderated_by", sa.String(120), nullable=True),
        sa.CheckConstraint(
            "stance IN ('support', 'oppose', 'unsure')",
            name=op.f("ck_voice_consultation_comment_stance_known"),
        ),
        sa.CheckConstraint(STATUS_CHECK, name=op.f("ck_voice_consultation_comment_status_known")),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["voice_consultation_change.id"],
            name=op.f("fk_voice_consultation_comment_change_id_voice_consultation_change"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_consultation_comment")),
        sa.UniqueConstraint("reference", name=op.f("uq_voice_consultation_comment_reference")),
    )
    _index("voice_consultation_comment", "change_id", "status")


def upgrade() -> None:
    _feedback()
    _feedback_children()
    _submissions_and_consultations()


def downgrade() -> None:
    for table in (
        "voice_consultation_comment",
        "voice_consultation_change",
        "voice_consultation",
        "voice_submission",
        "voice_moderation_event",
        "voice_provider_reply",
        "voice_feedback_theme",
        "voice_private_details",
        "voice_feedback",
    ):
        op.drop_table(table)
