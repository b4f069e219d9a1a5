"""Discharge-support tables: referrals and every step taken on them.

The patient is the shared record's (by NHS number and FHIR id); the site, bed pool and receiving team are the
registry's (by id). Nothing here copies them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from joinedup.db import Base, UtcInstant


class Referral(Base):
    """A ward's request to a team for what a medically fit patient needs to leave hospital."""

    __tablename__ = "discharge_referrals"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('housing', 'adaptations', 'social-care', 'chc', 'community-bed', 'care-home')",
            name="kind_known",
        ),
        CheckConstraint(
            "status IN ('raised', 'accepted', 'in-progress', 'closed', 'cancelled')", name="status_known"
        ),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('home', 'care-home', 'community-bed', 'other')",
            name="outcome_known",
        ),
        CheckConstraint("ended_at IS NULL OR ended_at >= raised_at", name="ended_after_raised"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    nhs_number: Mapped[str] = mapped_column(String(10), index=True)
    patient_id: Mapped[str] = mapped_column(String(64))
    # "<nhs number>:<kind>" while open, NULL once ended: one open referral of a kind per patient.
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    site_id: Mapped[str] = mapped_column(String(80), index=True)
    pool_id: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[str] = mapped_column(String(80), index=True)
    medically_fit_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)
    raised_at: Mapped[datetime] = mapped_column(UtcInstant(), index=True)
    raised_by: Mapped[str] = mapped_column(String(80))
    raised_by_org: Mapped[str | None] = mapped_column(String(12))
    accepted_at: Mapped[datetime | None] = mapped_column(UtcInstant())
    ended_at: Mapped[datetime | None] = mapped_column(UtcInstant(), index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(String(1000))


class ReferralEvent(Base):
    """One step on a referral (raised, accepted, updated, closed, cancelled): who, when, and their note."""

    __tablename__ = "discharge_referral_events"
    __table_args__ = (
        CheckConstraint(
            "action IN ('raised', 'accepted', 'updated', 'closed', 'cancelled')", name="action_known"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("discharge_referrals.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UtcInstant())
    by: Mapped[str] = mapped_column(String(80))
    note: Mapped[str] = mapped_column(String(1000))
