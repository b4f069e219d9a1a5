"""Remote-monitoring use cases: readings in (API and MQTT, one path), devices, alerts and their workflow,
per-patient thresholds and SpO2 scale decisions, held readings, the missed-readings sweep, and what the
caseload board and patient page show. Adds and flushes; the caller (request, CLI, gateway) commits.

A reading is stored as an Observation in the shared record (record.service authorises and audits it),
indexed here, and judged by the rules in the same transaction (DESIGN.md, "Data flow").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.policy import Principal
from joinedup.errors import Conflict, Forbidden, Invalid, NotFound
from joinedup.monitoring import alerts, caseload, ingest, judging, plans
from joinedup.monitoring.flag import flag_of
from joinedup.monitoring.models import Alert, AlertEvent, Device, Reading, RejectedReading
from joinedup.monitoring.observations import ReadingRefused
from joinedup.monitoring.rules import missed_readings
from joinedup.monitoring.schemas import (
    AlertRead,
    DeviceCreate,
    EscalationCreate,
    HeldReadingReview,
    ReadingOutcome,
    Spo2ScaleDecisionCreate,
    ThresholdChangeCreate,
)
from joinedup.record import nhs_number as nhs
from joinedup.record import service as record
from joinedup.record.service import Actor
from joinedup.registry import service as registry
from joinedup.wards import service as wards
from joinedup.wards.pathways import PATHWAYS
from joinedup.wards.schemas import AdmissionRead

__all__ = [
    "acknowledge_alert",
    "alert_flag",
    "board_version",
    "change_threshold",
    "check_missed_readings",
    "decide_spo2_scale",
    "escalate_alert",
    "get_alert",
    "issue_device",
    "list_alerts",
    "list_rejections",
    "record_reading",
    "record_readings",
    "resolve_alert",
    "review_held_reading",
]


def _now() -> datetime:
    return datetime.now(UTC)


def record_readings(
    session: Session,
    *,
    observations: Sequence[Mapping[str, Any]],
    actor: Actor | None = None,
    channel: str = "mqtt",
    now: datetime | None = None,
) -> list[ReadingOutcome]:
    """Store a batch of readings (each checked, stored once, judged); one outcome per reading, in order.

    Without `actor` each reading is written as its device (the gateway). Rejections are kept with their
    reason (`joinedup monitoring rejected`), so nothing a device sends is silently lost.
    """
    return ingest.ingest(session, observations, actor=actor, channel=channel, now=now or _now())


def record_reading(
    session: Session,
    *,
    observation: Mapping[str, Any],
    actor: Actor | None = None,
    now: datetime | None = None,
) -> ReadingOutcome:
    """Store one reading sent to the API; ReadingRefused (422) saying why when it cannot be stored."""
    outcome = record_readings(session, observations=[observation], actor=actor, channel="api", now=now)[0]
    if outcome.status == "rejected":
        raise ReadingRefused(outcome.detail or "reading rejected")
    return outcome


def issue_device(session: Session, *, actor: Actor, device: DeviceCreate) -> Device:
    """Register a monitoring device and issue it to a patient on a virtual ward (re-issuing moves it)."""
    if not nhs.is_valid(device.nhs_number):
        raise Invalid(f"{device.nhs_number!r} is not a valid NHS number")
    stay = _stay_or_raise(session, nhs.normalise(device.nhs_number))
    _authorise(session, actor, stay, "update", "Device issued")
    org = registry.get_organisation(session, _ward(session, stay).organisation_id)
    row = session.scalars(
        select(Device).where(Device.system == device.system, Device.value == device.value)
    ).first()
    if row is None:
        row = Device(
            system=device.system,
            value=device.value,
            kind=device.kind,
            registered_by=actor.principal.username,
            organisation_ods=(org.ods_code if org and org.ods_code else ""),
        )
        session.add(row)
    row.nhs_number, row.issued_at, row.kind = stay.nhs_number, _now(), device.kind
    session.flush()
    return row


def _stay_or_raise(session: Session, nhs_number: str) -> AdmissionRead:
    stay = wards.get_open_admission(session, nhs_number)
    if stay is None:
        raise NotFound(f"patient {nhs_number} is not on a virtual ward")
    return stay


def _ward(session: Session, stay: AdmissionRead) -> Any:
    return wards.get_ward_team_or_raise(session, stay.ward_id, on=_now().date())


def _authorise(session: Session, actor: Actor, stay: AdmissionRead, action: str, what: str) -> None:
    """The caller must be allowed to read the patient's virtual-ward episode (their caseload); audited."""
    record.read(session, actor=actor, resource_type="EpisodeOfCare", resource_id=stay.episode_of_care_id)
    access.audit(
        session,
        actor=actor.principal,
        event="virtual-ward",
        action=action,
        reason=what[:500],
        resource_type="EpisodeOfCare",
        resource_id=stay.episode_of_care_id,
        patient_nhs_number=stay.nhs_number,
        request_id=actor.request_id,
        source_address=actor.source_address,
    )


def get_alert(session: Session, alert_id: str) -> AlertRead:
    """One alert with its events (who did what, when)."""
    alert = alerts.get_or_raise(session, alert_id)
    return alerts.read(alert, alerts.events_of(session, [alert.id])[alert.id])


def alert_flag(session: Session, *, actor: Actor, alert_id: str) -> dict[str, Any]:
    """The alert as a FHIR Flag, for a caller who may see the patient."""
    alert = get_alert(session, alert_id)
    stay = wards.get_admission_or_raise(session, alert.admission_id)
    record.read(session, actor=actor, resource_type="EpisodeOfCare", resource_id=stay.episode_of_care_id)
    return flag_of(alert, stay.patient_id)


def flag_of_alert(session: Session, alert: AlertRead) -> dict[str, Any]:
    """An alert already shown to the caller, as a FHIR Flag naming the record's Patient."""
    stay = wards.get_admission_or_raise(session, alert.admission_id)
    return flag_of(alert, stay.patient_id)


def list_alerts(
    session: Session,
    *,
    actor: Actor,
    ward_id: str | None = None,
    nhs_number: str | None = None,
    include_resolved: bool = False,
    limit: int = 200,
) -> list[AlertRead]:
    """Alerts the caller may see: on their teams' caseloads, or of one patient they may see; newest first."""
    query = select(Alert).order_by(Alert.updated_at.desc()).limit(limit)
    if not include_resolved:
        query = query.where(Alert.open_key.is_not(None))
    if nhs_number is not None:
        stay = wards.get_open_admission(session, nhs_number) or next(
            iter(wards.stays_of(session, nhs_number)), None
        )
        if stay is None:
            raise NotFound(f"patient {nhs_number} has never been on a virtual ward")
        record.read(session, actor=actor, resource_type="EpisodeOfCare", resource_id=stay.episode_of_care_id)
        query = query.where(Alert.nhs_number == nhs_number)
    else:
        teams = wards.visible_wards(session, actor.principal)
        if ward_id is not None:
            if ward_id not in teams:
                raise Forbidden(f"ward {ward_id!r} is not one of your teams' caseloads")
            teams = {ward_id}
        query = query.where(Alert.team_id.in_(sorted(teams)))
        wards.audit_caseload_view(session, actor=actor, ward_ids=sorted(teams), what="alert list")
    rows = list(session.scalars(query))
    events = alerts.events_of(session, [a.id for a in rows])
    return [alerts.read(a, events[a.id]) for a in rows]


def _alert_for_action(session: Session, actor: Actor, alert_id: str, what: str) -> Alert:
    alert = alerts.get_or_raise(session, alert_id)
    stay = wards.get_admission_or_raise(session, alert.admission_id)
    _authorise(session, actor, stay, "update", f"{what} alert {alert.rule_id}")
    return alert


def acknowledge_alert(session: Session, *, actor: Actor, alert_id: str, note: str = "") -> AlertRead:
    """Record that the caller has seen the alert and is acting on it."""
    _alert_for_action(session, actor, alert_id, "acknowledged")
    alerts.acknowledge(session, alert_id=alert_id, by=actor.principal.username, note=note, now=_now())
    return get_alert(session, alert_id)


def escalate_alert(
    session: Session, *, actor: Actor, alert_id: str, escalation: EscalationCreate
) -> AlertRead:
    """Escalate to the team's clinician, the GP, or 999 advice."""
    _alert_for_action(session, actor, alert_id, f"escalated to {escalation.to}")
    alerts.escalate(
        session,
        alert_id=alert_id,
        by=actor.principal.username,
        to=escalation.to,
        note=escalation.note,
        now=_now(),
    )
    return get_alert(session, alert_id)


def resolve_alert(session: Session, *, actor: Actor, alert_id: str, note: str = "") -> AlertRead:
    """Close the alert."""
    _alert_for_action(session, actor, alert_id, "resolved")
    alerts.resolve(session, alert_id=alert_id, by=actor.principal.username, note=note, now=_now())
    return get_alert(session, alert_id)


def change_threshold(
    session: Session, *, actor: Actor, nhs_number: str, change: ThresholdChangeCreate
) -> dict[str, dict[str, float]]:
    """Change one of a patient's thresholds (audited: who, when, why) and re-judge them at once."""
    stay = _stay_or_raise(session, nhs_number)
    value = "the rule set's value" if change.value is None else f"{change.value:g}"
    _authorise(
        session,
        actor,
        stay,
        "update",
        f"threshold {change.section}.{change.name} set to {value}: {change.reason}",
    )
    plans.record_threshold_change(
        session,
        admission_id=stay.id,
        section=change.section,
        name=change.name,
        value=change.value,
        reason=change.reason,
        by=actor.principal.username,
        at=_now(),
    )
    judging.rejudge(session, [stay], now=_now())
    return plans.patient_rules(session, [stay.id])[stay.id].overrides


def decide_spo2_scale(
    session: Session, *, actor: Actor, nhs_number: str, decision: Spo2ScaleDecisionCreate
) -> int:
    """Record a clinician's SpO2 scale decision (who, when, why; RCP NEWS2 chart 2) and re-judge at once."""
    if not actor.principal.is_clinical:
        raise Forbidden("only a clinician may decide a patient's SpO2 scale")
    stay = _stay_or_raise(session, nhs_number)
    _authorise(session, actor, stay, "update", f"SpO2 scale {decision.spo2_scale}: {decision.reason}")
    plans.record_scale_decision(
        session,
        admission_id=stay.id,
        spo2_scale=decision.spo2_scale,
        reason=decision.reason,
        by=actor.principal.username,
        at=_now(),
    )
    judging.rejudge(session, [stay], now=_now())
    return decision.spo2_scale


def review_held_reading(
    session: Session, *, actor: Actor, observation_id: str, review: HeldReadingReview
) -> str:
    """Release a held reading to be scored, or strike it out as entered in error (the record follows)."""
    reading = session.scalars(select(Reading).where(Reading.observation_id == observation_id)).first()
    if reading is None:
        raise NotFound(f"no monitored reading with Observation id {observation_id!r}")
    if reading.status != "held":
        raise Conflict(f"the reading is {reading.status}, not held for review")
    stay = wards.get_admission_or_raise(session, reading.admission_id)
    _authorise(session, actor, stay, "update", f"held reading {observation_id}: {review.decision}")
    current = record.read(session, actor=actor, resource_type="Observation", resource_id=observation_id)
    body = {k: v for k, v in (current.body or {}).items() if k != "meta"}
    body["status"] = "final" if review.decision == "release" else "entered-in-error"
    record.update(
        session,
        actor=actor,
        resource_type="Observation",
        resource_id=observation_id,
        body=body,
        if_match=current.version,
    )
    now = _now()
    reading.status = "released" if review.decision == "release" else "entered-in-error"
    reading.reviewed_by, reading.reviewed_at = actor.principal.username, now
    session.flush()
    _close_held_alert_when_none_left(session, stay, actor, now)
    if review.decision == "release":
        judging.rejudge(session, [stay], now=now)
    return reading.status


def _close_held_alert_when_none_left(
    session: Session, stay: AdmissionRead, actor: Actor, now: datetime
) -> None:
    left = session.scalar(
        select(func.count()).where(Reading.admission_id == stay.id, Reading.status == "held")
    )
    alert = alerts.open_alerts(session, [stay.id]).get((stay.id, judging.HELD_RULE))
    if not left and alert is not None:
        alerts.resolve(
            session,
            alert_id=alert.id,
            by=actor.principal.username,
            note="every held reading reviewed",
            now=now,
        )


def check_missed_readings(session: Session, *, now: datetime | None = None) -> int:
    """Raise (or keep) a missed-readings alert for each expected measure that has not arrived; the count."""
    now = now or _now()
    stays = wards.open_admissions(session)
    stay_plans = plans.plans_for(session, stays)
    rules = plans.patient_rules(session, [s.id for s in stays])
    last = dict(
        ((a, p), at)
        for a, p, at in session.execute(
            select(Reading.admission_id, Reading.parameter, func.max(Reading.effective_at))
            .where(Reading.admission_id.in_([s.id for s in stays]))
            .group_by(Reading.admission_id, Reading.parameter)
        )
    )
    existing = alerts.open_alerts(session, [s.id for s in stays])
    raised = 0
    for stay in stays:
        plan, patient = stay_plans[stay.id], rules[stay.id]
        findings = []
        for measure in PATHWAYS[stay.pathway].measures:
            seen = last.get((stay.id, measure))
            findings += missed_readings.evaluate(
                measure,
                min(seen, now) if seen else None,
                plan.monitored_since,
                now,
                patient.rules,
                plan.expected_every_hours,
            )
        # A missed reading already alerted on stays one alert: the sweep does not touch it again.
        still = {
            f.rule_id for f in findings if (a := existing.get((stay.id, f.rule_id))) and a.cleared_at is None
        }

        def is_judged(rule_id: str, still: set[str] = still) -> bool:
            return rule_id.startswith("missed_readings.") and rule_id not in still

        raised += len(
            alerts.apply_findings(
                session,
                admission_id=stay.id,
                team_id=stay.ward_id,
                nhs_number=stay.nhs_number,
                findings=[f for f in findings if f.rule_id not in still],
                is_judged=is_judged,
                existing=existing,
                now=now,
            )
        )
    session.flush()
    return raised


def caseload_rows(
    session: Session, stays: Sequence[AdmissionRead], *, now: datetime
) -> list[caseload.CaseloadRow]:
    """The board's rows for these stays, most urgent first (the caller has checked caseload access)."""
    return caseload.caseload(session, stays, now=now)


@dataclass(frozen=True)
class PatientView:
    """Everything a patient's monitoring page shows."""

    stay: AdmissionRead
    patient_name: str
    row: caseload.CaseloadRow
    series: list[caseload.Series]
    news2_history: list[tuple[datetime, int, bool]]
    held: list[Reading]
    alerts: list[AlertRead]
    scale_reason: str | None


def patient_view(session: Session, *, actor: Actor, nhs_number: str) -> PatientView:
    """A patient's current (or latest) stay with readings, NEWS2, alerts and held readings; the look is
    authorised and audited by the record."""
    if not nhs.is_valid(nhs_number):
        raise Invalid(f"{nhs_number!r} is not a valid NHS number")
    number = nhs.normalise(nhs_number)
    stay = wards.get_open_admission(session, number) or next(iter(wards.stays_of(session, number)), None)
    if stay is None:
        raise NotFound(f"patient {number} has never been on a virtual ward")
    patient = record.read(session, actor=actor, resource_type="Patient", resource_id=stay.patient_id)
    now = _now()
    recent = list(
        session.scalars(
            select(Alert).where(Alert.admission_id == stay.id).order_by(Alert.updated_at.desc()).limit(50)
        )
    )
    events = alerts.events_of(session, [a.id for a in recent])
    decision = plans.latest_scale_decision(session, stay.id)
    return PatientView(
        stay=stay,
        patient_name=_name(patient.body or {}),
        row=caseload.caseload(session, [stay], now=now)[0],
        series=caseload.series(session, stay),
        news2_history=caseload.news2_series(session, [stay], since=stay.admitted_at).get(stay.id, []),
        held=caseload.held_readings(session, stay),
        alerts=[alerts.read(a, events[a.id]) for a in recent],
        scale_reason=None if decision is None else _decision_text(decision),
    )


def _decision_text(decision: Any) -> str:
    when = f"{decision.decided_at:%Y-%m-%d %H:%M}"
    return f"scale {decision.spo2_scale} set by {decision.decided_by} on {when}: {decision.reason}"


def _name(patient: Mapping[str, Any]) -> str:
    for name in patient.get("name") or []:
        given = " ".join(name.get("given") or [])
        return f"{given} {name.get('family', '')}".strip() or "(no name)"
    return "(no name)"


def board_version(session: Session, ward_id: str) -> tuple[int, int]:
    """A ward's change counter (last reading, last alert event): the live board redraws when it moves."""
    readings = session.scalar(select(func.max(Reading.id)).where(Reading.team_id == ward_id)) or 0
    events = session.scalar(select(func.max(AlertEvent.id)).where(AlertEvent.team_id == ward_id)) or 0
    return int(readings), int(events)


def check_rejections_access(principal: Principal) -> None:
    """Rejected readings carry NHS numbers and values: clinicians only."""
    if not principal.is_clinical:
        raise Forbidden("rejected readings hold patient data: clinicians only")


def keep_rejection(session: Session, *, channel: str, payload: Mapping[str, Any], reason: str) -> None:
    """Keep a message that could not even be read as a reading, with the reason (nothing is lost silently)."""
    session.add(
        RejectedReading(
            received_at=_now(),
            channel=channel,
            device=None,
            nhs_number=None,
            reason=reason[:1000],
            payload=json.dumps(payload, default=str)[:20000],
        )
    )
    session.flush()


def list_rejections(session: Session, *, limit: int = 100) -> list[RejectedReading]:
    """The latest readings refused at the door, with their reasons."""
    return list(session.scalars(select(RejectedReading).order_by(RejectedReading.id.desc()).limit(limit)))
