"""The registry's JSON API under /api/registry: read-only reference data, open to everyone."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from joinedup.registry import service
from joinedup.registry.answers import (
    AreaDetail,
    OrganisationDetail,
    RegistryDiff,
    ResponsibleBody,
    SiteDetail,
    Snapshot,
)
from joinedup.registry.schemas import AreaRead, BedPoolRead, CapacityStep, OrganisationRead, SiteRead
from joinedup.registry.vocabulary import BedSetting, OrganisationKind
from joinedup.web.deps import DbSession


class Problem(BaseModel):
    """What every error answers with."""

    detail: str


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "No such thing."}}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": Problem, "description": "A date or value is malformed."}
}

# Every route may answer 422 as {"detail"}: the app's one handler gives validation errors that shape.
router = APIRouter(tags=["registry"], responses=INVALID)

OnDay = Annotated[date | None, Query(description="The day, YYYY-MM-DD (default: today).")]


def _today(on: date | None) -> date:
    return on or date.today()


@router.get("/organisations", response_model=list[OrganisationRead])
def list_organisations(
    session: DbSession,
    on: Annotated[date | None, Query(description="Only those in effect on this day, YYYY-MM-DD.")] = None,
    kind: OrganisationKind | None = None,
) -> list[OrganisationRead]:
    """List organisations, widest tier first (only those in effect on `on`, when given)."""
    return service.list_organisations(session, on=on, kind=kind)


@router.get("/organisations/{id}", response_model=OrganisationDetail, responses=NOT_FOUND)
def get_organisation(session: DbSession, id: str) -> OrganisationDetail:
    """One organisation with its sites, services, responsibilities, predecessors and successors."""
    return service.organisation_detail(session, id)


@router.get("/sites", response_model=list[SiteRead])
def list_sites(
    session: DbSession,
    on: Annotated[date | None, Query(description="Only those in effect on this day, YYYY-MM-DD.")] = None,
) -> list[SiteRead]:
    """List sites by name (only those in effect on `on`, when given)."""
    return service.list_sites(session, on=on)


@router.get("/sites/{id}", response_model=SiteDetail, responses=NOT_FOUND)
def get_site(session: DbSession, id: str) -> SiteDetail:
    """One site with its operators over time, services, bed pools and their history, and teams."""
    return service.site_detail(session, id)


@router.get("/areas", response_model=list[AreaRead])
def list_areas(session: DbSession) -> list[AreaRead]:
    """List every area (county, city, unitary authority...) by name."""
    return service.list_areas(session)


@router.get("/areas/{id}", response_model=AreaDetail, responses=NOT_FOUND)
def get_area(session: DbSession, id: str) -> AreaDetail:
    """One area: where it sits, what it contains, and who was responsible for it over time."""
    return service.area_detail(session, id)


@router.get("/responsible", response_model=list[ResponsibleBody], responses=NOT_FOUND)
def responsible(
    session: DbSession,
    area: Annotated[str, Query(min_length=1, description="An area's name, alias or id, e.g. Leicester.")],
    on: OnDay = None,
) -> list[ResponsibleBody]:
    """Bodies responsible for an area on a day, each kind inherited from the nearest wider area."""
    return service.responsible(session, area=area, on=_today(on))


@router.get("/snapshot", response_model=Snapshot)
def snapshot(session: DbSession, on: OnDay = None) -> Snapshot:
    """The whole registry as of a day: organisations, sites with operators, services and beds, and teams."""
    return service.snapshot(session, on=_today(on))


@router.get("/diff", response_model=RegistryDiff)
def diff(
    session: DbSession,
    start: Annotated[date, Query(alias="from", description="The first day, YYYY-MM-DD.")],
    end: Annotated[date, Query(alias="to", description="The second day, YYYY-MM-DD.")],
) -> RegistryDiff:
    """What opened, closed, moved (changed operator) and changed size between two days."""
    return service.diff(session, start=start, end=end)


@router.get("/bed-pools", response_model=list[BedPoolRead])
def list_bed_pools(
    session: DbSession, on: OnDay = None, setting: BedSetting | None = None
) -> list[BedPoolRead]:
    """Bed pools with their beds on a day; pools with no beds that day are left out."""
    return service.list_bed_pools(session, on=_today(on), setting=setting)


@router.get("/bed-pools/{id}/history", response_model=list[CapacityStep], responses=NOT_FOUND)
def bed_history(session: DbSession, id: str) -> list[CapacityStep]:
    """Every step of a bed pool's size, oldest first."""
    return service.bed_history(session, pool_id=id)
