"""record: the patient on each date index row, and an index for a patient's latest resources by date

Revision ID: 0012_speed_indexes
Revises: 0004_record
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_speed_indexes"
down_revision: str | Sequence[str] | None = "0004_record"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("record_date_index", sa.Column("patient_id", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE record_date_index SET patient_id = "
        "(SELECT r.patient_id FROM record_resources r WHERE r.pk = record_date_index.resource_pk)"
    )
    op.create_index(
        "ix_record_date_index_patient",
        "record_date_index",
        ["patient_id", "resource_type", "param", "high", "resource_pk"],
    )


def downgrade() -> None:
    op.drop_index("ix_record_date_index_patient", table_name="record_date_index")
    with op.batch_alter_table("record_date_index") as batch:
        batch.drop_column("patient_id")
