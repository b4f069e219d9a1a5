"""Access use cases other areas call: `authorise` for every patient-data read and write, `audit` for other
events, the patient's own access log, the privacy officer's searches and break-glass review.

Other areas use access only through this module and the pure `policy` and `scopes`. Adds and flushes only;
the edge commits. A refusal is the exception: it is written again apart if the request rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.access import audit as audit_log
from joinedup.access.accounts import create_user as _create_user
from joinedup.access.accounts import (
    get_user,
    issue_token,
    link_patient,
    list_users,
    log_in,
    log_out,
    principal_from_session,
    principal_from_token,
    principal_of,
    validated_user,
)
from joinedup.access.audit import AuditRecord, ChainReport
from joinedup.access.fhir_audit_event import audit_event_resource
from joinedup.access.models import AuditEntry, BreakGlassGrant, User
from joinedup.access.policy import (
    BREAK_GLASS_PERIOD,
    REFERENCE_TYPES,
    Action,
    Decision,
    PatientContext,
    Principal,
    Role,
    decide,
)
from joinedup.access.schemas import (
    AuditEntryRead,
    AuditPage,
    AuditQuery,
    BreakGlassGrantRead,
    BreakGlassReview,
    PatientAccessRead,
    UserCreate,
    UserRead,
)
from joinedup.errors import Conflict, Forbidden, Invalid, NotFound
from joinedup.registry import service as registry

__all__ = [
    "Action",
    "AuditEntryRead",
    "ChainReport",
    "Decision",
    "PatientContext",
    "Principal",
    "Role",
    "audit",
    "audit_event_resource",
    "authorise",
    "authorise_many",
    "break_glass",
    "create_demo_users",
    "create_user",
    "get_audit_entry",
    "get_user",
    "issue_token",
    "link_patient",
    "list_break_glass",
    "list_users",
    "log_in",
    "log_out",
    "patient_access_log",
    "principal_from_session",
    "principal_from_token",
    "principal_of",
    "review_break_glass",
    "search_audit",
    "validated_user",
    "verify_audit_log",
]


def create_user(
    session: Session,
    data: UserCreate | dict[str, Any],
    *,
    actor: Principal | None,
    request_id: str | None = None,
) -> UserRead:
    """Add a user (from a UserCreate or plain values); the organisation must exist in the registry."""
    checked = data if isinstance(data, UserCreate) else validated_user(data)
    return _create_user(session, checked, actor=actor, request_id=request_id)


def create_demo_users(session: Session) -> str:
    """The demo's users, one per role, and some access history (see access.demo)."""
    from joinedup.access import demo  # the demo uses this module, so it is loaded on demand

    return demo.create_demo_users(session)


def authorise(
    session: Session,
    *,
    principal: Principal,
    action: Action | str,
    resource_type: str,
    resource_id: str | None = None,
    patient: PatientContext | None = None,
    break_glass_reason: str | None = None,
    request_id: str | None = None,
    source_address: str | None = None,
    now: datetime | None = None,
) -> Decision:
    """Decide, record the decision in the audit log, and raise Forbidden with the reason if refused."""
    now = now or datetime.now(UTC)
    act = _action(action)
    reason = (break_glass_reason or "").strip()[:500] or None
    decision = decide(principal, act, resource_type, patient, break_glass_reason=reason, now=now)
    if not decision.allowed and patient is not None and principal.is_clinical and reason is None:
        until = _grant_valid_until(session, principal.username, patient.nhs_number, now)
        if until is not None:
            decision = decide(principal, act, resource_type, patient, now=now, grant_expires_at=until)
    if decision.allowed and decision.break_glass and reason is not None and patient is not None:
        _open_grant(session, principal, patient.nhs_number, reason, request_id, now)
    record = _record(
        principal, act, resource_type, resource_id, patient, decision, request_id, source_address
    )
    if decision.allowed:
        audit_log.append_at_commit(session, [record], now=now)
        return decision
    audit_log.append_refusal(session, record, now=now)
    raise Forbidden(decision.reason)


def authorise_many(
    session: Session,
    *,
    principal: Principal,
    action: Action | str,
    items: Sequence[tuple[str, str | None, PatientContext | None]],
    break_glass_reason: str | None = None,
    request_id: str | None = None,
    source_address: str | None = None,
    now: datetime | None = None,
) -> list[Decision]:
    """`authorise` for several (resource type, resource id, patient) of one request, in order: the same
    decisions and audit entries, the entries written together when all are plainly allowed (no
    break-glass); otherwise one by one, so the first refusal raises Forbidden as `authorise` does."""
    now = now or datetime.now(UTC)
    act = _action(action)
    if not (break_glass_reason or "").strip():
        decisions = [decide(principal, act, rtype, patient, now=now) for rtype, _rid, patient in items]
        if all(d.allowed and not d.break_glass for d in decisions):
            records = [
                _record(principal, act, rtype, rid, patient, decision, request_id, source_address)
                for (rtype, rid, patient), decision in zip(items, decisions, strict=True)
            ]
            audit_log.append_at_commit(session, records, now=now)
            return decisions
    return [
        authorise(
            session,
            principal=principal,
            action=act,
            resource_type=rtype,
            resource_id=rid,
            patient=patient,
            break_glass_reason=break_glass_reason,
            request_id=request_id,
            source_address=source_address,
            now=now,
        )
        for rtype, rid, patient in items
    ]


def _record(
    principal: Principal,
    act: Action,
    resource_type: str,
    resource_id: str | None,
    patient: PatientContext | None,
    decision: Decision,
    request_id: str | None,
    source_address: str | None,
) -> AuditRecord:
    return AuditRecord(
        event=_event_of(resource_type, patient), username=principal.username, role=principal.role.value,
        organisation_ods=principal.organisation_ods, action=act.value, outcome=_outcome(decision),
        reason=decision.reason, resource_type=resource_type, resource_id=resource_id,
        patient_nhs_number=patient.nhs_number if patient else None, break_glass=decision.break_glass,
        request_id=request_id, source_address=source_address,
    )  # fmt: skip


def _action(action: Action | str) -> Action:
    try:
        return Action(action)
    except ValueError as exc:
        known = ", ".join(a.value for a in Action)
        raise Invalid(f"action: must be one of {known} (got {action!r})") from exc


def _outcome(decision: Decision) -> str:
    return "allowed" if decision.allowed else "refused"


def _event_of(resource_type: str, patient: PatientContext | None) -> str:
    if resource_type == "AuditEvent":
        return "audit-log"
    if patient is None and resource_type in REFERENCE_TYPES:
        return "reference-data"
    return "patient-record"


def _grant_valid_until(session: Session, username: str, nhs_number: str, now: datetime) -> datetime | None:
    return session.scalar(
        select(func.max(BreakGlassGrant.expires_at)).where(
            BreakGlassGrant.username == username,
            BreakGlassGrant.patient_nhs_number == nhs_number,
            BreakGlassGrant.expires_at > now,
        )
    )


def _open_grant(
    session: Session,
    principal: Principal,
    nhs_number: str,
    reason: str,
    request_id: str | None,
    now: datetime,
) -> None:
    """A new grant (and a new item in the review queue) unless one is still running for this patient."""
    if _grant_valid_until(session, principal.username, nhs_number, now) is not None:
        return
    session.add(
        BreakGlassGrant(
            username=principal.username, role=principal.role.value,
            organisation_ods=principal.organisation_ods, patient_nhs_number=nhs_number, reason=reason,
            request_id=request_id, granted_at=now,
            expires_at=now + BREAK_GLASS_PERIOD, review_status="pending",
        )
    )  # fmt: skip
    session.flush()


def break_glass(
    session: Session,
    *,
    principal: Principal,
    nhs_number: str,
    reason: str,
    request_id: str | None = None,
    source_address: str | None = None,
) -> BreakGlassGrantRead:
    """A clinician states why they must see a patient they have no relationship with (from a page).

    Opens a time-boxed grant (or returns the one still running), audited and queued for review.
    """
    if not principal.is_clinical:
        raise Forbidden("break-glass is for clinical roles only")
    if not reason.strip():
        raise Invalid("reason: say why you need to see this record now")
    digits = nhs_number.replace(" ", "")
    if not (digits.isascii() and digits.isdigit() and len(digits) == 10):
        raise Invalid("nhs_number: an NHS number has 10 digits")
    authorise(
        session, principal=principal, action="read", resource_type="Patient",
        patient=PatientContext(nhs_number=digits), break_glass_reason=reason, request_id=request_id,
        source_address=source_address,
    )  # fmt: skip
    grant = session.scalars(
        select(BreakGlassGrant)
        .where(BreakGlassGrant.username == principal.username, BreakGlassGrant.patient_nhs_number == digits)
        .order_by(BreakGlassGrant.expires_at.desc())
    ).first()
    if grant is None:
        raise Conflict("this record is already open to you without break-glass")
    return BreakGlassGrantRead.model_validate(grant)


def audit(
    session: Session,
    *,
    actor: Principal | None,
    event: str,
    action: str,
    reason: str,
    outcome: str = "allowed",
    resource_type: str | None = None,
    resource_id: str | None = None,
    patient_nhs_number: str | None = None,
    request_id: str | None = None,
    source_address: str | None = None,
) -> AuditEntryRead:
    """Record an event that is not a patient-data access (a threshold changed, a user added, ...)."""
    if outcome not in ("allowed", "refused"):
        raise Invalid(f"outcome: must be 'allowed' or 'refused' (got {outcome!r})")
    record = AuditRecord(
        event=event, username=actor.username if actor else "system", role=actor.role.value if actor else None,
        organisation_ods=actor.organisation_ods if actor else None, action=action, outcome=outcome,
        reason=reason, resource_type=resource_type, resource_id=resource_id,
        patient_nhs_number=patient_nhs_number, request_id=request_id, source_address=source_address,
    )  # fmt: skip
    writer = audit_log.append if outcome == "allowed" else audit_log.append_refusal
    return AuditEntryRead.model_validate(writer(session, record))


def verify_audit_log(session: Session) -> ChainReport:
    """Walk the hash chain; the report names the first edited, deleted or reordered entry."""
    return audit_log.verify(session)


def get_audit_entry(session: Session, entry_id: str) -> AuditEntryRead | None:
    """One audit entry by its id (the FHIR AuditEvent id), or None."""
    row = session.scalars(select(AuditEntry).where(AuditEntry.entry_id == entry_id)).first()
    return AuditEntryRead.model_validate(row) if row else None


def search_audit(session: Session, query: AuditQuery) -> AuditPage:
    """Audit entries matching a privacy officer's search, newest first."""
    conditions = []
    if query.username:
        conditions.append(AuditEntry.username == query.username.strip().lower())
    if query.nhs_number:
        conditions.append(AuditEntry.patient_nhs_number == query.nhs_number.replace(" ", ""))
    if query.date_from:
        conditions.append(AuditEntry.recorded_at >= datetime.combine(query.date_from, time(), UTC))
    if query.date_to:
        day_after = query.date_to + timedelta(days=1)
        conditions.append(AuditEntry.recorded_at < datetime.combine(day_after, time(), UTC))
    if query.outcome:
        conditions.append(AuditEntry.outcome == query.outcome)
    if query.break_glass is not None:
        conditions.append(AuditEntry.break_glass.is_(query.break_glass))
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
    rows = session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.seq.desc())
        .limit(query.limit)
        .offset(query.offset)
    )
    items = [AuditEntryRead.model_validate(r) for r in rows]
    return AuditPage(items=items, total=total, limit=query.limit, offset=query.offset)


def patient_access_log(session: Session, nhs_number: str, *, limit: int = 500) -> list[PatientAccessRead]:
    """Who looked at (or tried to look at) this patient's record, when and why, newest first."""
    rows = session.execute(
        select(AuditEntry, User.display_name)
        .outerjoin(User, User.username == AuditEntry.username)
        .where(AuditEntry.patient_nhs_number == nhs_number.replace(" ", ""))
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    ).all()
    names: dict[str, str | None] = {}
    result = []
    for entry, display_name in rows:
        ods = entry.organisation_ods
        if ods and ods not in names:
            org = registry.get_organisation_by_ods(session, ods)
            names[ods] = org.name if org else None
        result.append(
            PatientAccessRead(
                recorded_at=entry.recorded_at, username=entry.username,
                display_name=display_name or entry.username,
                role=entry.role, organisation_ods=ods, organisation_name=names.get(ods) if ods else None,
                action=entry.action, resource_type=entry.resource_type, outcome=entry.outcome,
                reason=entry.reason, break_glass=entry.break_glass,
            )
        )  # fmt: skip
    return result


def list_break_glass(
    session: Session, *, status: str | None = "pending", limit: int = 200
) -> list[BreakGlassGrantRead]:
    """Break-glass grants (pending review by default), oldest pending first so none waits forever."""
    query = select(BreakGlassGrant)
    if status is not None:
        query = query.where(BreakGlassGrant.review_status == status)
    order = BreakGlassGrant.granted_at.asc() if status == "pending" else BreakGlassGrant.granted_at.desc()
    grants = session.scalars(query.order_by(order).limit(limit))
    return [BreakGlassGrantRead.model_validate(g) for g in grants]


def review_break_glass(
    session: Session,
    *,
    grant_id: int,
    reviewer: Principal,
    review: BreakGlassReview,
    request_id: str | None = None,
    now: datetime | None = None,
) -> BreakGlassGrantRead:
    """The privacy officer's finding on a break-glass grant: justified, or referred for investigation."""
    if reviewer.role is not Role.PRIVACY_OFFICER:
        raise Forbidden("only a privacy officer may review break-glass access")
    grant = session.get(BreakGlassGrant, grant_id)
    if grant is None:
        raise NotFound(f"no break-glass grant {grant_id}")
    if grant.review_status != "pending":
        raise Conflict(f"break-glass grant {grant_id} was already reviewed ({grant.review_status})")
    grant.review_status = review.outcome
    grant.reviewed_by = reviewer.username
    grant.reviewed_at = now or datetime.now(UTC)
    grant.review_note = review.note or None
    session.flush()
    finding = "accepted as justified" if review.outcome == "justified" else "referred for investigation"
    note = f": {review.note}" if review.note else ""
    audit(
        session, actor=reviewer, event="break-glass-review", action=f"review-{review.outcome}",
        reason=f"break-glass by {grant.username} {finding}{note}", resource_type="BreakGlassGrant",
        resource_id=str(grant.id), patient_nhs_number=grant.patient_nhs_number, request_id=request_id,
    )  # fmt: skip
    return BreakGlassGrantRead.model_validate(grant)
