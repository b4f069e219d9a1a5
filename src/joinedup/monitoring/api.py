"""Remote-monitoring JSON API: readings in (FHIR Observation), alerts out (JSON and FHIR Flag), the alert
workflow, devices, per-patient thresholds, SpO2 scale decisions and held-reading review."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from joinedup.fhir.validation import parse_json
from joinedup.monitoring import alert_report, rule_replay, service
from joinedup.monitoring.flag import bundle_of
from joinedup.monitoring.schemas import (
    AlertAction,
    AlertRead,
    AlertsReport,
    DeviceCreate,
    EscalationCreate,
    HeldReadingReview,
    ReadingOutcome,
    ReplayReport,
    ReplayRequest,
    Spo2ScaleDecisionCreate,
    ThresholdChangeCreate,
)
from joinedup.wards.api import actor_of
from joinedup.web.auth import Access
from joinedup.web.deps import DbSession

router = APIRouter(tags=["remote monitoring"])
FHIR_JSON = "application/fhir+json"
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON"},
    401: {"description": "No or invalid credentials"},
    403: {"description": "Refused by the access policy"},
    404: {"description": "No such alert, patient or reading"},
    409: {"description": "Already resolved, or not held"},
    422: {"description": "Reading rejected (the detail says why) or invalid request"},
}
OBSERVATION_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/fhir+json": {"schema": {"type": "object"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


@router.post(
    "/readings",
    response_model=ReadingOutcome,
    status_code=201,
    responses=ERRORS,
    openapi_extra=OBSERVATION_BODY,
)
async def post_reading(request: Request, access: Access, session: DbSession) -> JSONResponse:
    """Send one reading as a FHIR Observation (LOINC code, UCUM unit, device identifier, effective time).
    201: stored (or held for review); 200: already stored (a retry); 422: rejected, with the reason."""
    body = parse_json(await request.body())
    outcome = service.record_reading(session, observation=body, actor=actor_of(access))
    status = 200 if outcome.status == "duplicate" else 201
    return JSONResponse(outcome.model_dump(mode="json"), status_code=status)


@router.get("/alerts", response_model=list[AlertRead], responses=ERRORS)
def get_alerts(
    session: DbSession,
    access: Access,
    ward_id: str | None = Query(None),
    nhs_number: str | None = Query(None),
    include_resolved: bool = Query(False),
) -> list[AlertRead]:
    """Open alerts on your teams' caseloads (or one ward's, or one patient's), newest first, each step with
    who and when."""
    return service.list_alerts(
        session,
        actor=actor_of(access),
        ward_id=ward_id,
        nhs_number=nhs_number,
        include_resolved=include_resolved,
    )


@router.get("/alerts/summary", response_model=AlertsReport, responses=ERRORS)
def get_alerts_summary(
    session: DbSession,
    access: Access,
    first: date | None = Query(None, alias="from", description="First UTC day (default: 6 days before `to`)"),
    last: date | None = Query(None, alias="to", description="Last UTC day (default: today)"),
    ward_id: str | None = Query(None),
) -> AlertsReport:
    """Time from an alert being raised to being acknowledged: median and 90th centile per team and day, and
    the alerts still waiting (counts only)."""
    return alert_report.alerts_report(
        session, actor=actor_of(access), first=first, last=last, ward_id=ward_id
    )


@router.get("/flags", responses={200: {"content": {FHIR_JSON: {}}}, **ERRORS})
def get_flags(
    session: DbSession,
    access: Access,
    ward_id: str | None = Query(None),
    nhs_number: str | None = Query(None),
    include_resolved: bool = Query(False),
) -> JSONResponse:
    """The same alerts as a FHIR searchset Bundle of Flags."""
    actor = actor_of(access)
    found = service.list_alerts(
        session, actor=actor, ward_id=ward_id, nhs_number=nhs_number, include_resolved=include_resolved
    )
    flags = [service.flag_of_alert(session, a) for a in found]
    return JSONResponse(bundle_of(flags), media_type=FHIR_JSON)


@router.get("/alerts/{alert_id}/flag", responses={200: {"content": {FHIR_JSON: {}}}, **ERRORS})
def get_alert_flag(alert_id: str, session: DbSession, access: Access) -> JSONResponse:
    """One alert as a FHIR Flag (priority, rule, rule-set version, status)."""
    return JSONResponse(
        service.alert_flag(session, actor=actor_of(access), alert_id=alert_id), media_type=FHIR_JSON
    )


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertRead, responses=ERRORS)
def post_acknowledge(alert_id: str, action: AlertAction, session: DbSession, access: Access) -> AlertRead:
    """Acknowledge an alert (you have seen it and are acting on it)."""
    return service.acknowledge_alert(session, actor=actor_of(access), alert_id=alert_id, note=action.note)


@router.post("/alerts/{alert_id}/escalate", response_model=AlertRead, responses=ERRORS)
def post_escalate(
    alert_id: str, escalation: EscalationCreate, session: DbSession, access: Access
) -> AlertRead:
    """Escalate an alert to the team's clinician, the patient's GP, or 999 advice."""
    return service.escalate_alert(session, actor=actor_of(access), alert_id=alert_id, escalation=escalation)


@router.post("/alerts/{alert_id}/resolve", response_model=AlertRead, responses=ERRORS)
def post_resolve(alert_id: str, action: AlertAction, session: DbSession, access: Access) -> AlertRead:
    """Resolve an alert."""
    return service.resolve_alert(session, actor=actor_of(access), alert_id=alert_id, note=action.note)


@router.post("/devices", status_code=201, responses=ERRORS)
def post_device(device: DeviceCreate, session: DbSession, access: Access) -> dict[str, str | None]:
    """Issue a monitoring device (by identifier) to a patient on a virtual ward."""
    row = service.issue_device(session, actor=actor_of(access), device=device)
    return {"system": row.system, "value": row.value, "kind": row.kind, "nhs_number": row.nhs_number}


@router.post("/patients/{nhs_number}/thresholds", responses=ERRORS)
def post_threshold(
    nhs_number: str, change: ThresholdChangeCreate, session: DbSession, access: Access
) -> dict[str, dict[str, float]]:
    """Change one of a patient's thresholds (audited with the reason); returns their overrides now."""
    return service.change_threshold(session, actor=actor_of(access), nhs_number=nhs_number, change=change)


@router.post("/patients/{nhs_number}/spo2-scale", responses=ERRORS)
def post_spo2_scale(
    nhs_number: str, decision: Spo2ScaleDecisionCreate, session: DbSession, access: Access
) -> dict[str, int]:
    """Record a clinician's decision to score SpO2 on scale 2 (or back on 1), with the reason."""
    scale = service.decide_spo2_scale(
        session, actor=actor_of(access), nhs_number=nhs_number, decision=decision
    )
    return {"spo2_scale": scale}


@router.post("/readings/{observation_id}/review", responses=ERRORS)
def post_review(
    observation_id: str, review: HeldReadingReview, session: DbSession, access: Access
) -> dict[str, str]:
    """Release a held reading to be scored, or strike it out as entered in error."""
    status = service.review_held_reading(
        session, actor=actor_of(access), observation_id=observation_id, review=review
    )
    return {"status": status}


@router.get("/rejections", responses=ERRORS)
def get_rejections(
    session: DbSession, access: Access, limit: int = Query(100, ge=1, le=1000)
) -> list[dict[str, Any]]:
    """The latest readings devices sent that were refused, with the reason (nothing is dropped silently)."""
    service.check_rejections_access(access.principal)
    return [
        {
            "received_at": r.received_at.isoformat(),
            "channel": r.channel,
            "device": r.device,
            "nhs_number": r.nhs_number,
            "reason": r.reason,
            "payload": json.loads(r.payload),
        }
        for r in service.list_rejections(session, limit=limit)
    ]


@router.post("/replay", response_model=ReplayReport, responses=ERRORS)
def post_replay(request: ReplayRequest, session: DbSession, access: Access) -> ReplayReport:
    """Replay a proposed rule set over the stored readings of some days, raising nothing: the alerts it would
    have raised per day, team and nurse beside the current rules and the live alerts (aggregates only)."""
    return rule_replay.replay_rules(
        session,
        actor=actor_of(access),
        proposed=rule_replay.requested_rule_set(request),
        first=request.first,
        last=request.last,
    )
