"""Census input and bed-state output."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class CensusLine(BaseModel):
    """Occupied beds of one pool."""

    model_config = ConfigDict(extra="forbid")

    pool_id: str = Field(min_length=1, max_length=80)
    occupied: int = Field(ge=0, le=100_000)
    delayed: int = Field(default=0, ge=0, le=100_000)


class CensusCreate(BaseModel):
    """A day's census for one or more pools."""

    model_config = ConfigDict(extra="forbid")

    date: date
    pools: list[CensusLine] = Field(min_length=1, max_length=5_000)


class PoolState(BaseModel):
    id: str
    name: str
    site_id: str
    setting: str
    beds: int
    occupied: int | None
    delayed: int | None
    census_date: date | None
    occupancy: float | None
    level: int | None
    delayed_patients: int = Field(0, description="medically fit patients waiting on an open referral")
    delayed_bed_days: int = Field(0, description="days those patients have waited so far")


class SiteState(BaseModel):
    site_id: str
    site_name: str
    beds: int
    occupied: int
    level: int | None
    pools: list[PoolState]
    delayed_patients: int = 0
    delayed_bed_days: int = 0


class BedState(BaseModel):
    """Every pool's beds and occupancy on a day, by site, with OPEL-style levels."""

    on: date
    beds: int
    occupied: int
    level: int | None
    sites: list[SiteState]
    missing_census: list[str]
    delayed_patients: int = Field(0, description="from open discharge referrals (see docs/discharge.md)")
    delayed_bed_days: int = 0


class CensusResult(BaseModel):
    date: date
    stored: int
