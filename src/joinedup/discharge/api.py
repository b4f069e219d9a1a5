"""Discharge JSON API: referrals (list, raise, read, accept, update, close, cancel) and the delayed list."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query

from joinedup.discharge import service
from joinedup.discharge.schemas import (
    CancelCreate,
    CloseCreate,
    DelayedList,
    ReferralCreate,
    ReferralRead,
    StepCreate,
    UpdateCreate,
)
from joinedup.record.service import Actor
from joinedup.web.auth import Access, AccessContext
from joinedup.web.deps import DbSession

router = APIRouter(tags=["discharge"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or invalid credentials"},
    403: {"description": "Refused by the access policy"},
    404: {"description": "No such referral"},
    409: {"description": "Step not allowed from the referral's status, or already referred"},
    422: {"description": "Invalid request, or the patient is not in hospital"},
}


def actor_of(access: AccessContext) -> Actor:
    """The Actor for this request (caller, break-glass reason, request id, address)."""
    return Actor(access.principal, access.break_glass_reason, access.request_id, access.source_address)


@router.get("/referrals", response_model=list[ReferralRead], responses=ERRORS)
def get_referrals(
    session: DbSession,
    access: Access,
    site: str | None = Query(None, max_length=80),
    team: str | None = Query(None, max_length=80),
    status: str | None = Query(None, max_length=20),
) -> list[ReferralRead]:
    """Referrals the caller may see, oldest first, filtered by site, receiving team and status."""
    return service.list_referrals(session, actor=actor_of(access), site_id=site, team_id=team, status=status)


@router.post("/referrals", response_model=ReferralRead, status_code=201, responses=ERRORS)
def post_referral(referral: ReferralCreate, session: DbSession, access: Access) -> ReferralRead:
    """Raise a referral for a patient in hospital (an open inpatient stay at the pool's site)."""
    return service.raise_referral(session, actor=actor_of(access), referral=referral)


@router.get("/referrals/{referral_id}", response_model=ReferralRead, responses=ERRORS)
def get_referral(referral_id: str, session: DbSession, access: Access) -> ReferralRead:
    """One referral with its history and the days waited so far."""
    return service.get_referral(session, actor=actor_of(access), referral_id=referral_id)


@router.post("/referrals/{referral_id}/accept", response_model=ReferralRead, responses=ERRORS)
def post_accept(referral_id: str, step: StepCreate, session: DbSession, access: Access) -> ReferralRead:
    """The receiving team accepts a raised referral."""
    return service.accept_referral(session, actor=actor_of(access), referral_id=referral_id, step=step)


@router.post("/referrals/{referral_id}/update", response_model=ReferralRead, responses=ERRORS)
def post_update(referral_id: str, update: UpdateCreate, session: DbSession, access: Access) -> ReferralRead:
    """Add a progress note to an accepted referral (it is then in progress)."""
    return service.update_referral(session, actor=actor_of(access), referral_id=referral_id, update=update)


@router.post("/referrals/{referral_id}/close", response_model=ReferralRead, responses=ERRORS)
def post_close(referral_id: str, close: CloseCreate, session: DbSession, access: Access) -> ReferralRead:
    """Close a referral with where the patient went (home, care-home, community-bed, other)."""
    return service.close_referral(session, actor=actor_of(access), referral_id=referral_id, close=close)


@router.post("/referrals/{referral_id}/cancel", response_model=ReferralRead, responses=ERRORS)
def post_cancel(referral_id: str, cancel: CancelCreate, session: DbSession, access: Access) -> ReferralRead:
    """Cancel an open referral, saying why."""
    return service.cancel_referral(session, actor=actor_of(access), referral_id=referral_id, cancel=cancel)


@router.get("/delayed", response_model=DelayedList, responses=ERRORS)
def get_delayed(session: DbSession, access: Access, on: date | None = Query(None)) -> DelayedList:
    """Delayed patients and bed-days per bed pool on a day (default today); counts only, no patients named."""
    return service.delayed_list(session, on=on)
