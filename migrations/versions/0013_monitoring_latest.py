"""monitoring: each stay's latest scored reading of each parameter, filled from the readings kept so far

Revision ID: 0013_monitoring_latest
Revises: 0010_rule_versions
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_monitoring_latest"
down_revision: str | Sequence[str] | None = "0010_rule_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_latest_readings",
        sa.Column("admission_id", sa.String(length=36), nullable=False),
        sa.Column("parameter", sa.String(length=40), nullable=False),
        sa.Column("effective_at", sa.DateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("value_text", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("admission_id", "parameter", name=op.f("pk_monitoring_latest_readings")),
    )
    # The newest scored reading of each stay and parameter (of two at the same time, the one stored last).
    op.execute(
        "INSERT INTO monitoring_latest_readings (admission_id, parameter, effective_at, value, value_text) "
        "SELECT r.admission_id, r.parameter, r.effective_at, r.value, r.value_text "
        "FROM monitoring_readings r WHERE r.id = ("
        " SELECT n.id FROM monitoring_readings n"
        " WHERE n.admission_id = r.admission_id AND n.parameter = r.parameter"
        " AND n.status IN ('scored', 'released')"
        " ORDER BY n.effective_at DESC, n.id DESC LIMIT 1)"
    )


def downgrade() -> None:
    op.drop_table("monitoring_latest_readings")
