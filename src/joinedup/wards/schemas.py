"""Pydantic models of the virtual-ward API: wards, admissions, transfers, discharges, occupancy."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from joinedup.record import nhs_number as nhs
from joinedup.wards.pathways import PATHWAYS

Source = Literal["hospital", "gp", "community"]
Direction = Literal["step-up", "step-down"]
Outcome = Literal["home", "readmitted", "died"]


class WardRead(BaseModel):
    """A virtual ward (a registry team caring for a `virtual` bed pool) and how full it is."""

    id: str
    name: str
    beds: int
    occupied: int
    pool_id: str
    organisation_id: str
    occupancy: float = Field(description="occupied / beds (0 when the ward has no beds)")
    by_pathway: dict[str, int] = Field(default_factory=dict)


class AdmissionBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nhs_number: str = Field(description="10 digits (spaces between the 3-3-4 groups allowed)")
    pathway: str = Field(description=f"one of {', '.join(PATHWAYS)}")

    @field_validator("nhs_number")
    @classmethod
    def _valid_nhs_number(cls, value: str) -> str:
        return nhs.checked(value)

    @field_validator("pathway")
    @classmethod
    def _known_pathway(cls, value: str) -> str:
        if value not in PATHWAYS:
            raise ValueError(f"unknown pathway {value!r}; use one of {', '.join(PATHWAYS)}")
        return value


class AdmissionCreate(AdmissionBase):
    """Admit a patient from the shared record to a virtual ward on a pathway."""

    source: Source = "gp"
    direction: Direction | None = Field(None, description="default: step-down from hospital, else step-up")
    admitted_at: datetime | None = Field(None, description="default: now; never in the future")


class AdmissionRead(BaseModel):
    """A stay on a virtual ward, open or closed, with the record resources it created."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    nhs_number: str
    patient_id: str
    ward_id: str
    pool_id: str
    pathway: str
    source: str
    direction: str
    admitted_at: datetime
    admitted_by: str
    discharged_at: datetime | None
    discharged_by: str | None
    outcome: str | None
    episode_of_care_id: str
    care_team_id: str
    length_of_stay_days: float

    @property
    def is_open(self) -> bool:
        return self.discharged_at is None


class TransferCreate(BaseModel):
    """Move a patient to another virtual-ward team."""

    model_config = ConfigDict(extra="forbid")

    to_ward_id: str
    reason: str = Field(min_length=1, max_length=500)


class DischargeCreate(BaseModel):
    """End a stay with its outcome."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    discharged_at: datetime | None = Field(None, description="default: now; never in the future")


class OccupancyMonth(BaseModel):
    """One ward's (or the whole virtual hospital's) occupancy in a month, as NHS England reports it."""

    ward_id: str | None
    month: date
    beds: int
    bed_days: float
    available_bed_days: float
    occupancy: float
    meets_target: bool
    admissions: int
    discharges: int
    mean_length_of_stay_days: float | None


class CaseloadMembership(BaseModel):
    """Who cares for a patient on a virtual ward: its teams and their organisations (for access)."""

    nhs_number: str
    team_ids: frozenset[str]
    organisation_ids: frozenset[str]
