"""Planner JSON API: scenarios, runs started over HTTP, bed sizing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from joinedup.errors import Invalid
from joinedup.plan import jobs, queueing, service
from joinedup.web.auth import CurrentUser
from joinedup.web.deps import DbSession

router = APIRouter(tags=["planner"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or invalid credentials"},
    404: {"description": "No such scenario or run"},
    422: {"description": "Invalid input"},
}


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str = Field(min_length=1, max_length=200)
    replications: int = Field(default=20, ge=1, le=service.MAX_WEB_REPLICATIONS)
    seed: int = Field(default=2016, ge=0, lt=2**31)


class RunRead(BaseModel):
    id: str
    scenario: str
    replications: int
    seed: int
    status: str
    done_replications: int
    error: str | None
    summary: dict[str, Any] | None


class BedsRead(BaseModel):
    beds: int
    blocking: float


@router.get("/scenarios", responses=ERRORS)
def get_scenarios(session: DbSession, user: CurrentUser) -> list[dict[str, Any]]:
    """The bundled scenarios with their size."""
    return [vars(info) for info in service.list_scenarios(session)]


@router.post("/runs", response_model=RunRead, status_code=202, responses=ERRORS)
def post_run(body: RunCreate, request: Request, session: DbSession, user: CurrentUser) -> RunRead:
    """Queue a run of a bundled scenario; poll GET /api/plan/runs/{id} for progress and figures."""
    run = service.start_run(
        session,
        scenario=body.scenario,
        replications=body.replications,
        seed=body.seed,
        created_by=user.username,
    )
    session.commit()
    jobs.submit(request.app.state.sessions, run.id, dask_address=request.app.state.settings.dask_scheduler)
    return RunRead.model_validate(run, from_attributes=True)


@router.get("/runs/{run_id}", response_model=RunRead, responses=ERRORS)
def get_run(run_id: str, session: DbSession, user: CurrentUser) -> RunRead:
    """A run's status, progress and (once done) its figures with 95% intervals."""
    return RunRead.model_validate(service.get_run_or_raise(session, run_id), from_attributes=True)


@router.get("/beds", response_model=BedsRead, responses=ERRORS)
def get_beds(
    user: CurrentUser,
    arrivals_per_day: float = Query(..., gt=0),
    mean_stay_days: float = Query(..., gt=0),
    target_blocking: float = Query(..., gt=0, lt=1),
) -> BedsRead:
    """Smallest number of beds whose Erlang B blocking is at most the target."""
    try:
        sizing = queueing.beds_for_blocking(arrivals_per_day, mean_stay_days, target_blocking)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    return BedsRead(beds=sizing.beds, blocking=sizing.blocking)
