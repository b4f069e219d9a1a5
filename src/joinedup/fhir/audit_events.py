"""AuditEvent read and search at /fhir/r4: the access area's audit log, for the privacy officer and for a
patient's own record (the access policy decides which; every look at the log is itself audited)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.policy import Action, PatientContext
from joinedup.access.schemas import AuditQuery
from joinedup.errors import BadRequest, NotFound
from joinedup.fhir.datetimes import parse_range
from joinedup.fhir.interactions import Answer
from joinedup.fhir.outcome import Outcome
from joinedup.fhir.search_params import parse_reference
from joinedup.record import service as record
from joinedup.record.service import Actor

SEARCH_PARAMS = {
    "patient": "The patient whose record was touched (Patient/id)",
    "agent": "Username of who acted (joinedup addition: the log names users, not Practitioner resources)",
    "date": "When it was recorded (day precision; eq, ge, le, gt, lt)",
    "outcome": "0 (allowed) or 4 (refused)",
}
MAX_COUNT = 500


def _authorise(session: Session, actor: Actor, action: Action, entry_id: str | None, nhs: str | None) -> None:
    access.authorise(
        session,
        principal=actor.principal,
        action=action,
        resource_type="AuditEvent",
        resource_id=entry_id,
        patient=PatientContext(nhs_number=nhs) if nhs else None,
        break_glass_reason=None,
        request_id=actor.request_id,
        source_address=actor.source_address,
    )


def read(session: Session, actor: Actor, entry_id: str) -> Answer:
    """GET [base]/AuditEvent/[id]"""
    entry = access.get_audit_entry(session, entry_id)
    _authorise(session, actor, Action.READ, entry_id, entry.patient_nhs_number if entry else None)
    if entry is None:
        raise NotFound(f"AuditEvent/{entry_id} does not exist")
    return Outcome(200), access.audit_event_resource(entry.model_dump())


def _dates(values: Sequence[str]) -> tuple[date | None, date | None]:
    low: date | None = None
    high: date | None = None
    for raw in values:
        prefix, text = (raw[:2], raw[2:]) if raw[:2] in ("eq", "ge", "le", "gt", "lt") else ("eq", raw)
        try:
            period = parse_range(text)
        except ValueError as exc:
            raise BadRequest(f"date: {exc}") from None
        first, last = period.low.date(), (period.high - timedelta(microseconds=1)).date()
        if prefix in ("eq", "ge", "gt"):
            low = first if prefix != "gt" else last + timedelta(days=1)
        if prefix in ("eq", "le", "lt"):
            high = last if prefix != "lt" else first - timedelta(days=1)
    return low, high


def search(session: Session, actor: Actor, pairs: Sequence[tuple[str, str]], base: str) -> Answer:
    """GET [base]/AuditEvent?params: newest first, with paging by _count and _offset."""
    unknown = sorted({k for k, _ in pairs} - {*SEARCH_PARAMS, "_count", "_offset"})
    if unknown:
        raise BadRequest(
            f"unknown search parameter {unknown[0]!r} for AuditEvent (supported: "
            f"{', '.join(SEARCH_PARAMS)}, _count, _offset)"
        )
    given: dict[str, list[str]] = {}
    for key, value in pairs:
        given.setdefault(key, []).append(value)
    nhs = _patient_nhs_number(session, given.get("patient", [None])[-1])
    _authorise(session, actor, Action.SEARCH, None, nhs)
    low, high = _dates(given.get("date", []))
    outcome = {"0": "allowed", "4": "refused", None: None}.get(given.get("outcome", [None])[-1], "unknown")
    if outcome == "unknown":
        raise BadRequest("outcome: must be 0 (allowed) or 4 (refused)")
    query = AuditQuery(
        username=given.get("agent", [None])[-1],
        nhs_number=nhs,
        date_from=low,
        date_to=high,
        outcome=outcome,
        limit=min(MAX_COUNT, _number(given, "_count", 50)),
        offset=_number(given, "_offset", 0),
    )
    page = access.search_audit(session, query)
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": f"{base}/AuditEvent/{e.entry_id}",
            "resource": access.audit_event_resource(e.model_dump()),
            "search": {"mode": "match"},
        }
        for e in page.items
    ]
    return Outcome(200), {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": page.total,
        "entry": entries,
    }


def _number(given: dict[str, list[str]], name: str, default: int) -> int:
    raw = given.get(name, [str(default)])[-1]
    if not (raw.isascii() and raw.isdigit()):
        raise BadRequest(f"{name}: {raw!r} is not a whole number")
    return max(1 if name == "_count" else 0, int(raw))


def _patient_nhs_number(session: Session, text: str | None) -> str | None:
    if text is None:
        return None
    ref = parse_reference(text) if "/" in text else None
    patient_id = ref.target_id if ref is not None and ref.target_type == "Patient" else text
    number = record.nhs_number_for(session, patient_id=patient_id)
    if number is None:
        raise NotFound(f"patient: Patient/{patient_id} does not exist")
    return number
