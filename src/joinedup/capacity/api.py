"""Live capacity JSON API: post a day's census, read the system's bed state."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query

from joinedup.capacity import service
from joinedup.capacity.schemas import BedState, CensusCreate, CensusResult
from joinedup.errors import Forbidden
from joinedup.web.auth import CurrentUser
from joinedup.web.deps import DbSession

router = APIRouter(tags=["capacity"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or invalid credentials"},
    403: {"description": "Role may not do this"},
    422: {"description": "Invalid census"},
}

# Who may report a census: people who run beds, not analysts or the public.
REPORTING_ROLES = frozenset({"administrator", "hospital clinician", "community nurse", "virtual-ward nurse"})


@router.post("/census", response_model=CensusResult, status_code=201, responses=ERRORS)
def post_census(census: CensusCreate, session: DbSession, user: CurrentUser) -> CensusResult:
    """Record a day's occupied (and delayed-discharge) beds for one or more registry bed pools."""
    if user.role not in REPORTING_ROLES:
        raise Forbidden(f"role {user.role!r} may not report a bed census")
    return service.record_census(session, census=census, reported_by=user.username)


@router.get("/state", response_model=BedState, responses=ERRORS)
def get_state(session: DbSession, user: CurrentUser, on: date | None = Query(None)) -> BedState:
    """Beds, occupancy and OPEL-style level of every pool, site and the system on a day (default today)."""
    return service.live_bed_state(session, on=on or date.today())
