"""record: FHIR resources, their versions and the search index tables

Revision ID: 0004_record
Revises: 0001_registry
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_record"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BODY = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INDEX_TABLES = ("token", "reference", "date", "string", "quantity")


def _index_table(kind: str, *columns: sa.Column[object]) -> None:
    table = f"record_{kind}_index"
    op.create_table(
        table,
        sa.Column("id", KEY, autoincrement=True, nullable=False),
        sa.Column("resource_pk", KEY, nullable=False),
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("param", sa.String(length=64), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["resource_pk"],
            ["record_resources.pk"],
            name=op.f(f"fk_{table}_resource_pk_record_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )


def upgrade() -> None:
    op.create_table(
        "record_resources",
        sa.Column("pk", KEY, autoincrement=True, nullable=False),
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_updated", sa.DateTime(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=True),
        sa.Column("created_by_org", sa.String(length=12), nullable=True),
        sa.Column("idempotency_key", sa.String(length=400), nullable=True),
        sa.Column("body", BODY, nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_record_resources")),
        sa.UniqueConstraint("resource_type", "resource_id", name="uq_record_resources_type_id"),
        sa.UniqueConstraint("resource_type", "idempotency_key", name="uq_record_resources_idempotency"),
    )
    op.create_index(
        "ix_record_resources_patient", "record_resources", ["patient_id", "resource_type", "is_deleted", "pk"]
    )
    op.create_table(
        "record_resource_versions",
        sa.Column("resource_pk", KEY, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_updated", sa.DateTime(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("body", BODY, nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_pk"],
            ["record_resources.pk"],
            name=op.f("fk_record_resource_versions_resource_pk_record_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_pk", "version", name=op.f("pk_record_resource_versions")),
    )
    _index_table(
        "token",
        sa.Column("system", sa.String(length=256), nullable=True),
        sa.Column("code", sa.String(length=256), nullable=False),
    )
    op.create_index(
        "ix_record_token_index_lookup", "record_token_index", ["resource_type", "param", "code", "system"]
    )
    _index_table(
        "reference",
        sa.Column("target_type", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
    )
    op.create_index(
        "ix_record_reference_index_lookup",
        "record_reference_index",
        ["resource_type", "param", "target_id", "target_type"],
    )
    _index_table(
        "date",
        sa.Column("low", sa.DateTime(), nullable=False),
        sa.Column("high", sa.DateTime(), nullable=False),
    )
    op.create_index(
        "ix_record_date_index_lookup", "record_date_index", ["resource_type", "param", "low", "high"]
    )
    _index_table("string", sa.Column("value", sa.String(length=256), nullable=False))
    op.create_index(
        "ix_record_string_index_lookup", "record_string_index", ["resource_type", "param", "value"]
    )
    _index_table(
        "quantity",
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("system", sa.String(length=256), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=True),
    )
    op.create_index(
        "ix_record_quantity_index_lookup",
        "record_quantity_index",
        ["resource_type", "param", "code", "value"],
    )
    for kind in INDEX_TABLES:
        columns = ["resource_pk", "param", "high"] if kind == "date" else ["resource_pk"]
        op.create_index(f"ix_record_{kind}_index_resource", f"record_{kind}_index", columns)


def downgrade() -> None:
    for kind in INDEX_TABLES:
        op.drop_table(f"record_{kind}_index")
    op.drop_table("record_resource_versions")
    op.drop_table("record_resources")
