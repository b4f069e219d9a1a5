"""record: a patient's dates indexed newest first, ties by key (the order of `patient=X&_sort=-date`)

Revision ID: 0014_newest_first_index
Revises: 0012_speed_indexes
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_newest_first_index"
down_revision: str | Sequence[str] | None = "0012_speed_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Read backwards, the ascending index gave ties newest key first: the page then needed a sort of all
    # the patient's dates instead of stopping at the page.
    op.create_index(
        "ix_record_date_index_patient_newest",
        "record_date_index",
        ["patient_id", "resource_type", "param", sa.text("high DESC"), "resource_pk"],
    )
    op.drop_index("ix_record_date_index_patient", table_name="record_date_index")


def downgrade() -> None:
    op.create_index(
        "ix_record_date_index_patient",
        "record_date_index",
        ["patient_id", "resource_type", "param", "high", "resource_pk"],
    )
    op.drop_index("ix_record_date_index_patient_newest", table_name="record_date_index")
