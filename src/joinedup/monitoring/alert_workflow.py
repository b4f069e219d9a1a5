"""The alert workflow as a clinician sees it: list the alerts of the caseloads they may see, read one (also
as a FHIR Flag), acknowledge, escalate and resolve, each step authorised and audited. Adds and flushes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.errors import Forbidden, NotFound
from joinedup.monitoring import alerts, stay_access
from joinedup.monitoring.flag import flag_of
from joinedup.monitoring.models import Alert
from joinedup.monitoring.schemas import AlertRead, EscalationCreate
from joinedup.record import service as record
from joinedup.record.service import Actor
from joinedup.wards import service as wards


def _now() -> datetime:
    return datetime.now(UTC)


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
    stay_access.authorise(session, actor, stay, "update", f"{what} alert {alert.rule_id}")
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
