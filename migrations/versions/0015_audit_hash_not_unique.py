"""access: the audit log's `hash` loses its unique index (each hash is the next entry's unique `prev_hash`)

One index fewer to write on every append. Uniqueness of `prev_hash` still forbids a fork, and `verify`
checks every hash against its entry's content and the next entry's link (and the newest against the head).

Revision ID: 0015_audit_hash_not_unique
Revises: 0002_access
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015_audit_hash_not_unique"
down_revision: str | Sequence[str] | None = "0002_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite cannot drop a table's unique constraint: batch mode rebuilds the table without it.
    with op.batch_alter_table("access_audit_log") as batch:
        batch.drop_constraint("uq_access_audit_log_hash", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("access_audit_log") as batch:
        batch.create_unique_constraint("uq_access_audit_log_hash", ["hash"])
