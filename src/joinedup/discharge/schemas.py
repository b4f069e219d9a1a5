"""Pydantic models of the discharge API: referrals in and out, steps on them, and the delayed list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from joinedup.discharge.workflow import KINDS, OUTCOMES
from joinedup.record import nhs_number as nhs

Status = Literal["raised", "accepted", "in-progress", "closed", "cancelled"]
Note = Field("", max_length=1000)


class ReferralCreate(BaseModel):
    """Raise a referral for a patient in hospital: what they need, which team, since when they are fit."""

    model_config = ConfigDict(extra="forbid")

    nhs_number: str = Field(description="10 digits (spaces between the 3-3-4 groups allowed)")
    pool_id: str = Field(min_length=1, max_length=80, description="registry bed pool the patient is in")
    site_id: str | None = Field(None, max_length=80, description="registry site (default: the pool's site)")
    kind: str = Field(description=f"one of {', '.join(KINDS)}")
    team_id: str = Field(min_length=1, max_length=80, description="the receiving registry team")
    medically_fit_on: date | None = Field(None, description="default: the day the referral is raised")
    note: str = Field("", max_length=1000, description="what the team needs to know")

    @field_validator("nhs_number")
    @classmethod
    def _valid_nhs_number(cls, value: str) -> str:
        return nhs.checked(value)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"unknown kind {value!r}; use one of {', '.join(KINDS)}")
        return value


class StepCreate(BaseModel):
    """Accept a referral, or add a progress note to it."""

    model_config = ConfigDict(extra="forbid")

    note: str = Note


class UpdateCreate(BaseModel):
    """A progress note (the referral is then in progress)."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=1000)


class CloseCreate(BaseModel):
    """Close a referral with where the patient went."""

    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(description=f"one of {', '.join(OUTCOMES)}")
    note: str = Note

    @field_validator("outcome")
    @classmethod
    def _known_outcome(cls, value: str) -> str:
        if value not in OUTCOMES:
            raise ValueError(f"unknown outcome {value!r}; use one of {', '.join(OUTCOMES)}")
        return value


class CancelCreate(BaseModel):
    """Cancel a referral, saying why."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)


class EventRead(BaseModel):
    """One step on a referral."""

    model_config = ConfigDict(from_attributes=True)

    action: str
    status: str
    at: datetime
    by: str
    note: str


class ReferralRead(BaseModel):
    """A referral with its wait so far (to today, or to the day it ended)."""

    id: str
    nhs_number: str
    patient_id: str
    site_id: str
    pool_id: str
    kind: str
    team_id: str
    medically_fit_on: date | None
    status: Status
    raised_at: datetime
    raised_by: str
    accepted_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    summary: str
    days_waited: int = Field(description="from medically fit (or raised) to closed, cancelled or today")
    events: list[EventRead] = Field(default_factory=list)


class DelayedPool(BaseModel):
    """Delayed patients of one bed pool on a day and the bed-days they have waited so far."""

    site_id: str
    pool_id: str
    delayed_patients: int
    delayed_bed_days: int
    days_waited: list[int] = Field(description="each delayed patient's wait so far, longest first")
    by_kind: dict[str, int] = Field(description="open referrals by kind")


class DelayedList(BaseModel):
    """Every pool's delayed patients on a day (no patient identifiers: a planner's starting point)."""

    on: date
    delayed_patients: int
    delayed_bed_days: int
    pools: list[DelayedPool]
