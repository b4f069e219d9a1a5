"""What the registry's queries answer with: snapshots, differences, responsible bodies, pages' details."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from joinedup.registry.schemas import (
    AreaRead,
    BedPoolRead,
    CapacityStep,
    OperatorRead,
    OrganisationRead,
    ResponsibilityRead,
    ServiceRead,
    SiteRead,
    SuccessionRead,
    TeamRead,
    WorkforceRead,
)


class ResponsibleBody(BaseModel):
    """A body responsible for an area on a day; serialises to {name, kind, start, end, source}."""

    name: str
    kind: str
    start: date | None
    end: date | None
    source: str
    organisation_id: str = Field(exclude=True)
    role: str = Field(exclude=True)
    area_id: str = Field(exclude=True)
    area_name: str = Field(exclude=True)


class PlaceRead(BaseModel):
    """What a piece of text (ODS code, site id, service id) names in the registry."""

    kind: Literal["organisation", "site", "service"]
    id: str
    name: str
    ods_code: str | None = None


class SiteAsOf(SiteRead):
    """A site on one day with who ran it, its services and its beds."""

    operators: list[OperatorRead]
    services: list[ServiceRead]
    bed_pools: list[BedPoolRead]


class Snapshot(BaseModel):
    """The whole registry as of one day."""

    on: date
    organisations: list[OrganisationRead]
    sites: list[SiteAsOf]
    teams: list[TeamRead]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def beds_by_setting(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for site in self.sites:
            for pool in site.bed_pools:
                totals[pool.setting] += pool.beds
        return dict(sorted(totals.items()))


class DiffItem(BaseModel):
    """Something that opened or closed between two dates, and when."""

    kind: Literal["organisation", "site", "service", "team"]
    id: str
    name: str
    date: date | None


class SiteMove(BaseModel):
    """A site whose operators changed between two dates."""

    site_id: str
    site_name: str
    before: list[str]
    after: list[str]


class BedChange(BaseModel):
    """A bed pool whose size changed between two dates (0 = no beds that day)."""

    pool_id: str
    name: str
    site_id: str
    setting: str
    before: int
    after: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def change(self) -> int:
        return self.after - self.before


class RegistryDiff(BaseModel):
    """What opened, closed, moved (changed operator) and changed size between `start` and `end`."""

    start: date
    end: date
    opened: list[DiffItem]
    closed: list[DiffItem]
    moved: list[SiteMove]
    changed_size: list[BedChange]


class PoolHistory(BaseModel):
    """A bed pool and every step of its size."""

    id: str
    setting: str
    specialty: str
    name: str
    source: str
    steps: list[CapacityStep]


class SiteDetail(BaseModel):
    """Everything the registry knows about one site, over all time."""

    site: SiteRead
    area: AreaRead | None
    operators: list[OperatorRead]
    services: list[ServiceRead]
    pools: list[PoolHistory]
    teams: list[TeamRead]
    workforce: list[WorkforceRead]


class OrganisationDetail(BaseModel):
    """Everything the registry knows about one organisation, over all time."""

    organisation: OrganisationRead
    sites: list[OperatorRead]
    site_names: dict[str, str]
    services: list[ServiceRead]
    responsibilities: list[ResponsibilityRead]
    area_names: dict[str, str]
    predecessors: list[SuccessionRead]
    successors: list[SuccessionRead]
    organisation_names: dict[str, str]
    teams: list[TeamRead]
    workforce: list[WorkforceRead]


class AreaDetail(BaseModel):
    """An area, where it sits, what it contains and who was responsible for it over time."""

    area: AreaRead
    ancestors: list[AreaRead]
    children: list[AreaRead]
    sites: list[SiteRead]
    responsibilities: list[ResponsibilityRead]


class LoadSummary(BaseModel):
    """What loading one file did: entries read per table, and rows created or changed."""

    path: str
    format: Literal["ics", "ods-trusts", "ods-gp-practices"]
    title: str | None = None
    entries: dict[str, int]
    created: int
    changed: int

    def line(self) -> str:
        """One line for people: the file, what it held, and what changed."""
        held = ", ".join(
            f"{count} {table.replace('_', ' ')}" for table, count in self.entries.items() if count
        )
        return f"{self.path}: {held or 'nothing'} ({self.created} new, {self.changed} changed)"


class SystemOverview(BaseModel):
    """One integrated care system on a day: its areas, organisations, sites and beds."""

    on: date
    areas: list[AreaRead]
    organisations: list[OrganisationRead]
    sites: list[SiteAsOf]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def beds_by_setting(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for site in self.sites:
            for pool in site.bed_pools:
                totals[pool.setting] += pool.beds
        return dict(sorted(totals.items()))

    @property
    def organisations_by_kind(self) -> dict[str, list[OrganisationRead]]:
        grouped: dict[str, list[OrganisationRead]] = {}
        for org in self.organisations:
            grouped.setdefault(org.kind, []).append(org)
        return grouped
