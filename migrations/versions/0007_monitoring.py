"""monitoring: devices, readings index, alerts, plans, thresholds, SpO2 scale decisions, rejections

Revision ID: 0007_monitoring
Revises: 0001_registry
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_monitoring"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_alerts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("admission_id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=80), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column("rule_id", sa.String(length=80), nullable=False),
        sa.Column("open_key", sa.String(length=80), nullable=True),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("rule_set_version", sa.String(length=160), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("reading_at", sa.DateTime(), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=80), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("escalated_to", sa.String(length=40), nullable=True),
        sa.Column("escalated_by", sa.String(length=80), nullable=True),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=80), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_alerts")),
        sa.UniqueConstraint("admission_id", "open_key", name="uq_monitoring_alerts_open_rule"),
    )
    op.create_index(
        op.f("ix_monitoring_alerts_admission_id"), "monitoring_alerts", ["admission_id"], unique=False
    )
    op.create_index(
        op.f("ix_monitoring_alerts_nhs_number"), "monitoring_alerts", ["nhs_number"], unique=False
    )
    op.create_index(op.f("ix_monitoring_alerts_status"), "monitoring_alerts", ["status"], unique=False)
    op.create_index(op.f("ix_monitoring_alerts_team_id"), "monitoring_alerts", ["team_id"], unique=False)
    op.create_table(
        "monitoring_devices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("system", sa.String(length=200), nullable=False),
        sa.Column("value", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("organisation_ods", sa.String(length=12), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=True),
        sa.Column("registered_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_devices")),
        sa.UniqueConstraint("system", "value", name="uq_monitoring_devices_identifier"),
    )
    op.create_index(
        op.f("ix_monitoring_devices_nhs_number"), "monitoring_devices", ["nhs_number"], unique=False
    )
    op.create_table(
        "monitoring_plans",
        sa.Column("admission_id", sa.String(length=36), nullable=False),
        sa.Column("pathway", sa.String(length=40), nullable=False),
        sa.Column("expected_every_hours", sa.Float(), nullable=False),
        sa.Column("on_oxygen", sa.Boolean(), nullable=True),
        sa.Column("baseline_spo2", sa.Float(), nullable=True),
        sa.Column("baseline_news2", sa.Integer(), nullable=True),
        sa.Column("monitored_since", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("admission_id", name=op.f("pk_monitoring_plans")),
    )
    op.create_table(
        "monitoring_readings",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("observation_id", sa.String(length=64), nullable=False),
        sa.Column("admission_id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=80), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("parameter", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("value_text", sa.String(length=8), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("effective_at", sa.DateTime(), nullable=False),
        sa.Column("device", sa.String(length=330), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("review_reason", sa.String(length=500), nullable=True),
        sa.Column("reviewed_by", sa.String(length=80), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_readings")),
        sa.UniqueConstraint("observation_id", name=op.f("uq_monitoring_readings_observation_id")),
    )
    op.create_index(
        "ix_monitoring_readings_admission_parameter_time",
        "monitoring_readings",
        ["admission_id", "parameter", "effective_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_monitoring_readings_nhs_number"), "monitoring_readings", ["nhs_number"], unique=False
    )
    op.create_index(op.f("ix_monitoring_readings_team_id"), "monitoring_readings", ["team_id"], unique=False)
    op.create_table(
        "monitoring_rejected_readings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("device", sa.String(length=330), nullable=True),
        sa.Column("nhs_number", sa.String(length=10), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_rejected_readings")),
    )
    op.create_index(
        op.f("ix_monitoring_rejected_readings_received_at"),
        "monitoring_rejected_readings",
        ["received_at"],
        unique=False,
    )
    op.create_table(
        "monitoring_spo2_scale_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("admission_id", sa.String(length=36), nullable=False),
        sa.Column("spo2_scale", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_spo2_scale_decisions")),
    )
    op.create_index(
        op.f("ix_monitoring_spo2_scale_decisions_admission_id"),
        "monitoring_spo2_scale_decisions",
        ["admission_id"],
        unique=False,
    )
    op.create_table(
        "monitoring_threshold_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("admission_id", sa.String(length=36), nullable=False),
        sa.Column("section", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("changed_by", sa.String(length=80), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_threshold_changes")),
    )
    op.create_index(
        op.f("ix_monitoring_threshold_changes_admission_id"),
        "monitoring_threshold_changes",
        ["admission_id"],
        unique=False,
    )
    op.create_table(
        "monitoring_alert_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("alert_id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.Column("rule_set_version", sa.String(length=160), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["monitoring_alerts.id"],
            name=op.f("fk_monitoring_alert_events_alert_id_monitoring_alerts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_alert_events")),
    )
    op.create_index(
        op.f("ix_monitoring_alert_events_alert_id"), "monitoring_alert_events", ["alert_id"], unique=False
    )
    op.create_index(
        op.f("ix_monitoring_alert_events_team_id"), "monitoring_alert_events", ["team_id"], unique=False
    )

    op.create_table(
        "monitoring_news2_scores",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("admission_id", sa.String(length=36), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("is_complete", sa.Boolean(), nullable=False),
        sa.Column("missing", sa.String(length=200), nullable=False),
        sa.Column("risk", sa.String(length=20), nullable=False),
        sa.Column("spo2_scale", sa.Integer(), nullable=False),
        sa.Column("rule_set_version", sa.String(length=160), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_news2_scores")),
    )
    op.create_index(
        "ix_monitoring_news2_scores_admission_time", "monitoring_news2_scores", ["admission_id", "taken_at"]
    )


def downgrade() -> None:
    op.drop_table("monitoring_news2_scores")
    op.drop_table("monitoring_alert_events")
    op.drop_table("monitoring_threshold_changes")
    op.drop_table("monitoring_spo2_scale_decisions")
    op.drop_table("monitoring_rejected_readings")
    op.drop_table("monitoring_readings")
    op.drop_table("monitoring_plans")
    op.drop_table("monitoring_devices")
    op.drop_table("monitoring_alerts")
