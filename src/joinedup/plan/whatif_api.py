"""What-if JSON API: a forecast of every bed pool from the live census, with changes (aggregates only)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from joinedup.access.policy import Principal, Role
from joinedup.plan import whatif, whatif_service
from joinedup.web.auth import require_role
from joinedup.web.deps import DbSession

router = APIRouter(tags=["planner"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or invalid credentials"},
    403: {"description": "Role may not run forecasts"},
    422: {
        "description": "Invalid input (an unreadable change, an unknown pool, a date outside the forecast)"
    },
}
# Staff who plan or run services; patients and devices have no use for a system forecast.
PLANNING_ROLES = tuple(role for role in Role if role not in (Role.PATIENT, Role.DEVICE))
Planner = Annotated[Principal, Depends(require_role(*PLANNING_ROLES))]
MAX_CHANGES = whatif_service.MAX_CHANGES


class WhatIfCreate(BaseModel):
    """A what-if: the census day to start from (default today), changes, and how far and how often to run."""

    model_config = ConfigDict(extra="forbid")

    from_census: date | None = None
    changes: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=MAX_CHANGES
    )
    days: int = Field(default=whatif.DEFAULT_DAYS, ge=1, le=whatif.MAX_DAYS)
    replications: int = Field(
        default=whatif_service.DEFAULT_REPLICATIONS, ge=1, le=whatif_service.MAX_WEB_REPLICATIONS
    )
    seed: int = Field(default=1, ge=0, lt=2**31)


@router.post("/whatif", responses=ERRORS)
def post_whatif(body: WhatIfCreate, session: DbSession, user: Planner) -> dict[str, Any]:
    """Forecast occupancy, blocking and OPEL level per site and system from the census, with changes."""
    whatif_service.check_web_size(body.days, body.replications)
    return _run(session, body)


@router.get("/whatif", responses=ERRORS)
def get_whatif(
    session: DbSession,
    user: Planner,
    from_census: Annotated[
        date | None, Query(description="Census day to start from (default today).")
    ] = None,
    change: Annotated[list[str] | None, Query(description='e.g. "close 30 beds acute@LGH".')] = None,
    days: Annotated[int, Query(ge=1, le=whatif.MAX_DAYS)] = whatif.DEFAULT_DAYS,
    replications: Annotated[
        int, Query(ge=1, le=whatif_service.MAX_WEB_REPLICATIONS)
    ] = whatif_service.DEFAULT_REPLICATIONS,
    seed: Annotated[int, Query(ge=0, lt=2**31)] = 1,
) -> dict[str, Any]:
    """The same forecast as POST, from query parameters (`change` may repeat)."""
    whatif_service.check_web_size(days, replications)
    return whatif_service.run_whatif(
        session,
        on=from_census or date.today(),
        changes=change or [],
        days=days,
        replications=replications,
        seed=seed,
    )


def _run(session: DbSession, body: WhatIfCreate) -> dict[str, Any]:
    return whatif_service.run_whatif(
        session,
        on=body.from_census or date.today(),
        changes=body.changes,
        days=body.days,
        replications=body.replications,
        seed=body.seed,
    )
