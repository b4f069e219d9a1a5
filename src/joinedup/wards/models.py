"""Virtual-ward tables: admissions (with their stay, pathway and outcome) and transfers between teams.

Wards, teams and beds are the registry's (teams of a `virtual` bed pool, referred to by id); the patient's
episode of care and care team live in the shared record (referred to by FHIR id). Nothing here copies them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from joinedup.db import Base, UtcInstant


class Admission(Base):
    """One stay on a virtual ward, from admission to discharge; `open_nhs_number` is set while it is open."""

    __tablename__ = "wards_admissions"
    __table_args__ = (
        CheckConstraint("source IN ('hospital', 'gp', 'community')", name="source_known"),
        CheckConstraint("direction IN ('step-up', 'step-down')", name="direction_known"),
        CheckConstraint("outcome IS NULL OR outcome IN ('home', 'readmitted', 'died')", name="outcome_known"),
        CheckConstraint(
            "discharged_at IS NULL OR discharged_at >= admitted_at", name="discharge_after_admission"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    nhs_number: Mapped[str] = mapped_column(String(10), index=True)
    # Unique while the stay is open (NULL once discharged), so a patient is on one ward at a time.
    open_nhs_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    patient_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[str] = mapped_column(String(80), index=True)
    pool_id: Mapped[str] = mapped_column(String(80), index=True)
    pathway: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(20))
    admitted_at: Mapped[datetime] = mapped_column(UtcInstant(), index=True)
    admitted_by: Mapped[str] = mapped_column(String(80))
    discharged_at: Mapped[datetime | None] = mapped_column(UtcInstant(), index=True)
    discharged_by: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str | None] = mapped_column(String(20))
    episode_of_care_id: Mapped[str] = mapped_column(String(64))
    care_team_id: Mapped[str] = mapped_column(String(64))


class Transfer(Base):
    """A patient moved from one virtual-ward team to another during a stay."""

    __tablename__ = "wards_transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    admission_id: Mapped[str] = mapped_column(ForeignKey("wards_admissions.id"), index=True)
    from_team_id: Mapped[str] = mapped_column(String(80))
    to_team_id: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UtcInstant())
    by: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(500))
