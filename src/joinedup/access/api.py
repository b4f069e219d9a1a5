"""Access JSON API under /api/access: who am I, the audit log for the privacy officer (also as FHIR
AuditEvent), its verification, the break-glass queue, and a patient's own access log."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from joinedup.access import service as access
from joinedup.access.policy import PatientContext, Principal, Role
from joinedup.access.schemas import (
    AuditEntryRead,
    AuditPage,
    AuditQuery,
    BreakGlassGrantRead,
    BreakGlassReview,
    PatientAccessRead,
    PrincipalRead,
)
from joinedup.errors import NotFound
from joinedup.web.auth import Access, AccessContext, CurrentUser, require_role, require_scope
from joinedup.web.deps import DbSession


class ErrorRead(BaseModel):
    detail: str


class ChainReportRead(BaseModel):
    """The result of walking the audit log's hash chain."""

    intact: bool
    entries: int
    last_hash: str
    broken_seq: int | None
    problem: str | None


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorRead, "description": "No token, or an expired or forged one"},
    403: {"model": ErrorRead, "description": "The caller may not see this"},
}
router = APIRouter(tags=["access"], responses=ERRORS)
AuditReader = Annotated[Principal, Depends(require_scope("AuditEvent", "search"))]
PrivacyOfficer = Annotated[Principal, Depends(require_role(Role.PRIVACY_OFFICER))]
Patient = Annotated[Principal, Depends(require_role(Role.PATIENT))]


@router.get("/me", response_model=PrincipalRead)
def who_am_i(principal: CurrentUser) -> PrincipalRead:
    """The signed-in caller: username, role, organisation and the token's scopes."""
    scopes = [str(s) for s in principal.scopes] if principal.scopes is not None else None
    return PrincipalRead(
        username=principal.username, display_name=principal.display_name, role=principal.role.value,
        organisation_ods=principal.organisation_ods, scopes=scopes,
    )  # fmt: skip


@router.get("/audit", response_model=AuditPage, responses={422: {"model": ErrorRead}})
def search_audit(
    session: DbSession,
    caller: Access,
    _reader: AuditReader,
    username: str | None = None,
    nhs_number: Annotated[str | None, Query(pattern=r"^\d{10}$")] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    outcome: Literal["allowed", "refused"] | None = None,
    break_glass: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditPage:
    """Search the audit log (privacy officer; a patient may search their own NHS number)."""
    patient = PatientContext(nhs_number=nhs_number) if nhs_number else None
    caller.authorise(session, "search", "AuditEvent", patient=patient)
    query = AuditQuery(
        username=username, nhs_number=nhs_number, date_from=date_from, date_to=date_to, outcome=outcome,
        break_glass=break_glass, limit=limit, offset=offset,
    )  # fmt: skip
    return access.search_audit(session, query)


@router.get("/audit/verify", response_model=ChainReportRead)
def verify_audit(session: DbSession, caller: Access, _officer: PrivacyOfficer) -> ChainReportRead:
    """Walk the audit log's hash chain and report the first edited, deleted or reordered entry."""
    caller.authorise(session, "search", "AuditEvent")
    report = access.verify_audit_log(session)
    return ChainReportRead(
        intact=report.is_intact, entries=report.entries, last_hash=report.last_hash,
        broken_seq=report.broken_seq, problem=report.problem,
    )  # fmt: skip


@router.get("/audit/{entry_id}", response_model=AuditEntryRead, responses={404: {"model": ErrorRead}})
def audit_entry(entry_id: str, session: DbSession, caller: Access, _reader: AuditReader) -> AuditEntryRead:
    """One audit entry by its id."""
    return _entry_for(session, caller, entry_id)


@router.get("/audit/{entry_id}/fhir", responses={404: {"model": ErrorRead}})
def audit_entry_as_fhir(
    entry_id: str, session: DbSession, caller: Access, _reader: AuditReader
) -> dict[str, Any]:
    """One audit entry as a FHIR R4 AuditEvent (IHE Basic Audit Log Patterns)."""
    return access.audit_event_resource(_entry_for(session, caller, entry_id).model_dump())


def _entry_for(session: DbSession, caller: AccessContext, entry_id: str) -> AuditEntryRead:
    entry = access.get_audit_entry(session, entry_id)
    nhs_number = entry.patient_nhs_number if entry else None
    caller.authorise(
        session, "read", "AuditEvent", resource_id=entry_id,
        patient=PatientContext(nhs_number=nhs_number) if nhs_number else None,
    )  # fmt: skip
    if entry is None:
        raise NotFound(f"no audit entry '{entry_id}'")
    return entry


@router.get("/break-glass", response_model=list[BreakGlassGrantRead])
def break_glass_queue(
    session: DbSession,
    caller: Access,
    _officer: PrivacyOfficer,
    status: Literal["pending", "justified", "referred"] = "pending",
) -> list[BreakGlassGrantRead]:
    """Break-glass grants by review status (pending first): the privacy officer's queue."""
    caller.authorise(session, "search", "AuditEvent")
    return access.list_break_glass(session, status=status)


@router.post(
    "/break-glass/{grant_id}/review",
    response_model=BreakGlassGrantRead,
    responses={404: {"model": ErrorRead}, 409: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
def review_break_glass(
    grant_id: int, review: BreakGlassReview, session: DbSession, caller: Access, officer: PrivacyOfficer
) -> BreakGlassGrantRead:
    """Record the privacy officer's finding on one grant: `justified` or `referred`."""
    return access.review_break_glass(
        session, grant_id=grant_id, reviewer=officer, review=review, request_id=caller.request_id
    )


@router.get("/my-record/access", response_model=list[PatientAccessRead])
def my_record_access(session: DbSession, caller: Access, patient: Patient) -> list[PatientAccessRead]:
    """Who looked at the calling patient's record, when and why (patients only)."""
    nhs_number = patient.nhs_number or ""
    caller.authorise(session, "search", "AuditEvent", patient=PatientContext(nhs_number=nhs_number))
    return access.patient_access_log(session, nhs_number)
