"""Record tables: FHIR resources as validated JSON, their superseded versions, and the search index tables.

`record_resources` holds the current version of every resource; `record_resource_versions` keeps every
superseded (or deleted) version, so vread and history never lose anything. The five index tables (token,
reference, date, string, quantity) are rewritten in the same transaction as the resource they index.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from joinedup.db import Base, BigKey, UtcInstant

ResourceBody = JSON().with_variant(JSONB(), "postgresql")


class StoredResource(Base):
    """The current version of one FHIR resource (deleted resources keep their row, marked deleted)."""

    __tablename__ = "record_resources"
    __table_args__ = (
        UniqueConstraint("resource_type", "resource_id", name="uq_record_resources_type_id"),
        # Device readings: the same device and effective time is one reading, however often it is sent.
        UniqueConstraint("resource_type", "idempotency_key", name="uq_record_resources_idempotency"),
        # Covers "this patient's resources of this type" with the row key, so a sorted page is chosen from
        # the index alone and only the page's rows are read.
        Index("ix_record_resources_patient", "patient_id", "resource_type", "is_deleted", "pk"),
    )

    pk: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    last_updated: Mapped[datetime] = mapped_column(UtcInstant())
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    patient_id: Mapped[str | None] = mapped_column(String(64))
    created_by_org: Mapped[str | None] = mapped_column(String(12))
    idempotency_key: Mapped[str | None] = mapped_column(String(400))
    body: Mapped[dict[str, Any] | None] = mapped_column(ResourceBody)


class ResourceVersion(Base):
    """A superseded version of a resource, kept for vread and history."""

    __tablename__ = "record_resource_versions"

    resource_pk: Mapped[int] = mapped_column(
        BigKey, ForeignKey("record_resources.pk", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_updated: Mapped[datetime] = mapped_column(UtcInstant())
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[dict[str, Any] | None] = mapped_column(ResourceBody)


class TokenIndex(Base):
    """A coded value (system|code) of a search parameter: identifier, code, category, gender, status."""

    __tablename__ = "record_token_index"
    __table_args__ = (
        Index("ix_record_token_index_lookup", "resource_type", "param", "code", "system"),
        Index("ix_record_token_index_resource", "resource_pk"),
    )

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    resource_pk: Mapped[int] = mapped_column(BigKey, ForeignKey("record_resources.pk", ondelete="CASCADE"))
    resource_type: Mapped[str] = mapped_column(String(40))
    param: Mapped[str] = mapped_column(String(64))
    system: Mapped[str | None] = mapped_column(String(256))
    code: Mapped[str] = mapped_column(String(256))


class ReferenceIndex(Base):
    """A reference from a resource to another (Type/id), e.g. Observation.subject → Patient/123."""

    __tablename__ = "record_reference_index"
    __table_args__ = (
        Index("ix_record_reference_index_lookup", "resource_type", "param", "target_id", "target_type"),
        Index("ix_record_reference_index_resource", "resource_pk"),
    )

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    resource_pk: Mapped[int] = mapped_column(BigKey, ForeignKey("record_resources.pk", ondelete="CASCADE"))
    resource_type: Mapped[str] = mapped_column(String(40))
    param: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(64))


class DateIndex(Base):
    """A date, dateTime or Period of a search parameter as a half-open UTC range [low, high)."""

    __tablename__ = "record_date_index"
    __table_args__ = (
        Index("ix_record_date_index_lookup", "resource_type", "param", "low", "high"),
        Index("ix_record_date_index_resource", "resource_pk", "param", "high"),
    )

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    resource_pk: Mapped[int] = mapped_column(BigKey, ForeignKey("record_resources.pk", ondelete="CASCADE"))
    resource_type: Mapped[str] = mapped_column(String(40))
    param: Mapped[str] = mapped_column(String(64))
    low: Mapped[datetime] = mapped_column(UtcInstant())
    high: Mapped[datetime] = mapped_column(UtcInstant())
    # The resource's patient (its row's patient_id), copied so that a patient's dates sort in one index.
    patient_id: Mapped[str | None] = mapped_column(String(64))


# "A patient's latest N" (`patient=X&_sort=-date`): read in the index's order, newest first and ties by
# key as the search orders them, so the walk stops at the end of the page.
Index(
    "ix_record_date_index_patient_newest",
    DateIndex.patient_id,
    DateIndex.resource_type,
    DateIndex.param,
    DateIndex.high.desc(),
    DateIndex.resource_pk,
)


class StringIndex(Base):
    """A string of a search parameter, folded to lower case without accents for FHIR's default match."""

    __tablename__ = "record_string_index"
    __table_args__ = (
        Index("ix_record_string_index_lookup", "resource_type", "param", "value"),
        Index("ix_record_string_index_resource", "resource_pk"),
    )

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    resource_pk: Mapped[int] = mapped_column(BigKey, ForeignKey("record_resources.pk", ondelete="CASCADE"))
    resource_type: Mapped[str] = mapped_column(String(40))
    param: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(256))


class QuantityIndex(Base):
    """A quantity of a search parameter with its UCUM system and code, e.g. Observation value 72 /min."""

    __tablename__ = "record_quantity_index"
    __table_args__ = (
        Index("ix_record_quantity_index_lookup", "resource_type", "param", "code", "value"),
        Index("ix_record_quantity_index_resource", "resource_pk"),
    )

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    resource_pk: Mapped[int] = mapped_column(BigKey, ForeignKey("record_resources.pk", ondelete="CASCADE"))
    resource_type: Mapped[str] = mapped_column(String(40))
    param: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    system: Mapped[str | None] = mapped_column(String(256))
    code: Mapped[str | None] = mapped_column(String(64))
