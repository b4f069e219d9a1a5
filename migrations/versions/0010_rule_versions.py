"""monitoring: the rule set each alert was raised under, and the rule sets themselves

Revision ID: 0010_rule_versions
Revises: 0007_monitoring
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_rule_versions"
down_revision: str | Sequence[str] | None = "0007_monitoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_rule_sets",
        sa.Column("version_id", sa.String(length=160), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("first_used_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_monitoring_rule_sets")),
    )
    op.add_column("monitoring_alerts", sa.Column("raised_under", sa.String(length=160), nullable=True))
    # Alerts raised before this revision were raised under the rule set their latest finding names.
    op.execute("UPDATE monitoring_alerts SET raised_under = rule_set_version")
    op.create_index(
        op.f("ix_monitoring_alerts_raised_under"), "monitoring_alerts", ["raised_under"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_monitoring_alerts_raised_under"), table_name="monitoring_alerts")
    with op.batch_alter_table("monitoring_alerts") as batch:
        batch.drop_column("raised_under")
    op.drop_table("monitoring_rule_sets")
