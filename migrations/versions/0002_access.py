"""access: users, page sessions, failed log-ins, break-glass grants, the hash-chained audit log

Revision ID: 0002_access
Revises: 0001_registry
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_access"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "access_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("organisation_ods", sa.String(length=12), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("team_ids", sa.JSON(), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_users")),
        sa.UniqueConstraint("username", name=op.f("uq_access_users_username")),
    )
    op.create_index(op.f("ix_access_users_nhs_number"), "access_users", ["nhs_number"])
    op.create_table(
        "access_login_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["access_users.id"], name=op.f("fk_access_login_sessions_user_id_access_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_login_sessions")),
    )
    op.create_index(op.f("ix_access_login_sessions_user_id"), "access_login_sessions", ["user_id"])
    op.create_table(
        "access_login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("source_address", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_login_failures")),
    )
    for column in ("username", "source_address", "failed_at"):
        op.create_index(op.f(f"ix_access_login_failures_{column}"), "access_login_failures", [column])
    _create_break_glass_grants()
    _create_audit_log()


def _create_break_glass_grants() -> None:
    op.create_table(
        "access_break_glass_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("organisation_ods", sa.String(length=12), nullable=True),
        sa.Column("patient_nhs_number", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_status", sa.String(length=20), nullable=False),
        sa.Column("reviewed_by", sa.String(length=80), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_break_glass_grants")),
    )
    for column in ("username", "patient_nhs_number", "review_status"):
        op.create_index(op.f(f"ix_access_break_glass_grants_{column}"), "access_break_glass_grants", [column])


def _create_audit_log() -> None:
    op.create_table(
        "access_audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entry_id", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=True),
        sa.Column("organisation_ods", sa.String(length=12), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("resource_type", sa.String(length=64), nullable=True),
        sa.Column("resource_id", sa.String(length=128), nullable=True),
        sa.Column("patient_nhs_number", sa.String(length=10), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("break_glass", sa.Boolean(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("source_address", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_access_audit_log")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_access_audit_log_entry_id")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_access_audit_log_prev_hash")),
        sa.UniqueConstraint("hash", name=op.f("uq_access_audit_log_hash")),
    )
    for column in ("recorded_at", "username", "patient_nhs_number"):
        op.create_index(op.f(f"ix_access_audit_log_{column}"), "access_audit_log", [column])
    head = op.create_table(
        "access_audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_audit_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])


def downgrade() -> None:
    for table in (
        "access_audit_head",
        "access_audit_log",
        "access_break_glass_grants",
        "access_login_failures",
        "access_login_sessions",
        "access_users",
    ):
        op.drop_table(table)
