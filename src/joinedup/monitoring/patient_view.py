"""What the caseload board and a patient's monitoring page show (the rows, the patient's view, the board's
change counter), built from monitoring.caseload. Reads only; the caller has checked access."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.errors import Invalid, NotFound
from joinedup.monitoring import alerts, caseload, plans
from joinedup.monitoring.models import Alert, AlertEvent, Reading
from joinedup.monitoring.schemas import AlertRead
from joinedup.record import nhs_number as nhs
from joinedup.record import service as record
from joinedup.record.service import Actor
from joinedup.wards import service as wards
from joinedup.wards.schemas import AdmissionRead


def _now() -> datetime:
    return datetime.now(UTC)


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
