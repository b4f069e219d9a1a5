"""A clinician's decisions about how a patient is monitored: a threshold changed, the SpO2 scale chosen
(RCP NEWS2 chart 2: scale 2 only by a recorded decision, who, when and why), a held reading released or
struck out. Each is authorised, audited and re-judged at once. Adds and flushes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.errors import Conflict, Forbidden, NotFound
from joinedup.monitoring import alerts, judging, plans, stay_access
from joinedup.monitoring.models import Reading
from joinedup.monitoring.schemas import HeldReadingReview, Spo2ScaleDecisionCreate, ThresholdChangeCreate
from joinedup.record import service as record
from joinedup.record.service import Actor
from joinedup.wards import service as wards
from joinedup.wards.schemas import AdmissionRead


def _now() -> datetime:
    return datetime.now(UTC)


def change_threshold(
    session: Session, *, actor: Actor, nhs_number: str, change: ThresholdChangeCreate
) -> dict[str, dict[str, float]]:
    """Change one of a patient's thresholds (audited: who, when, why) and re-judge them at once."""
    stay = stay_access.stay_or_raise(session, nhs_number)
    value = "the rule set's value" if change.value is None else f"{change.value:g}"
    stay_access.authorise(
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
    stay = stay_access.stay_or_raise(session, nhs_number)
    stay_access.authorise(
        session, actor, stay, "update", f"SpO2 scale {decision.spo2_scale}: {decision.reason}"
    )
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
    stay_access.authorise(session, actor, stay, "update", f"held reading {observation_id}: {review.decision}")
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
    if reading.status == "released":
        judging.keep_latest(
            session,
            [
                judging.Scored(
                    reading.admission_id,
                    reading.parameter,
                    reading.effective_at,
                    reading.value,
                    reading.value_text,
                )
            ],
        )
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
