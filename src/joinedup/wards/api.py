"""Virtual-ward JSON API: wards and their occupancy, admissions, transfers, discharges, the caseload."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query

from joinedup.record.service import Actor
from joinedup.wards import service
from joinedup.wards.schemas import (
    AdmissionCreate,
    AdmissionRead,
    DischargeCreate,
    OccupancyMonth,
    TransferCreate,
    WardRead,
)
from joinedup.web.auth import Access, AccessContext
from joinedup.web.deps import DbSession

router = APIRouter(tags=["virtual wards"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or invalid credentials"},
    403: {"description": "Refused by the access policy"},
    404: {"description": "No such ward, patient or admission"},
    409: {"description": "Already on a ward, ward full, or stay already ended"},
    422: {"description": "Invalid request"},
}


def actor_of(access: AccessContext) -> Actor:
    """The record's Actor for this request (caller, break-glass reason, request id, address)."""
    return Actor(access.principal, access.break_glass_reason, access.request_id, access.source_address)


@router.get("", response_model=list[WardRead], responses=ERRORS)
def get_wards(session: DbSession, access: Access) -> list[WardRead]:
    """Every virtual ward with its beds (from the registry) and occupied beds now."""
    return service.list_wards(session)


@router.get("/occupancy", response_model=list[OccupancyMonth], responses=ERRORS)
def get_occupancy(
    session: DbSession, access: Access, month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$")
) -> list[OccupancyMonth]:
    """Each ward's occupancy in a calendar month (YYYY-MM, default this month), then the whole virtual
    hospital's, against NHS England's 80% target."""
    day = date.fromisoformat(f"{month}-01") if month else date.today().replace(day=1)
    return service.monthly_occupancy(session, month=day)


@router.post("/{ward_id}/admissions", response_model=AdmissionRead, status_code=201, responses=ERRORS)
def post_admission(
    ward_id: str, admission: AdmissionCreate, session: DbSession, access: Access
) -> AdmissionRead:
    """Admit a patient (by NHS number) to a virtual ward on a pathway; creates the EpisodeOfCare and CareTeam
    in the shared record."""
    return service.admit_patient(session, actor=actor_of(access), ward_id=ward_id, admission=admission)


@router.get("/{ward_id}/caseload", response_model=list[AdmissionRead], responses=ERRORS)
def get_caseload(ward_id: str, session: DbSession, access: Access) -> list[AdmissionRead]:
    """The open stays of a ward, for its own team (and clinicians of its organisation)."""
    service.check_caseload_access(session, actor=actor_of(access), ward_id=ward_id, what="caseload list")
    return service.open_admissions(session, ward_id=ward_id)


@router.post("/admissions/{admission_id}/transfer", response_model=AdmissionRead, responses=ERRORS)
def post_transfer(
    admission_id: str, transfer: TransferCreate, session: DbSession, access: Access
) -> AdmissionRead:
    """Move a patient to another virtual-ward team."""
    return service.transfer_patient(
        session, actor=actor_of(access), admission_id=admission_id, transfer=transfer
    )


@router.post("/admissions/{admission_id}/discharge", response_model=AdmissionRead, responses=ERRORS)
def post_discharge(
    admission_id: str, discharge: DischargeCreate, session: DbSession, access: Access
) -> AdmissionRead:
    """End a stay: home, readmitted to hospital, or died."""
    return service.discharge_patient(
        session, actor=actor_of(access), admission_id=admission_id, discharge=discharge
    )
