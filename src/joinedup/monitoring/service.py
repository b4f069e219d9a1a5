"""Remote-monitoring use cases: readings in (API, FHIR and MQTT, one path), devices, the missed-readings
sweep and rejected readings. Adds and flushes; the caller (request, CLI, gateway) commits. The alert
workflow (`alert_workflow`), a clinician's decisions on thresholds, SpO2 scale and held readings
(`plan_decisions`) and what the board and patient page show (`patient_view`) have their own modules and
are offered here too, so other areas use this one door.

A reading is stored as an Observation in the shared record (record.service authorises and audits it),
indexed here, and judged by the rules in the same transaction (DESIGN.md, "Data flow").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.access.policy import Principal
from joinedup.errors import Forbidden, Invalid
from joinedup.monitoring import alert_writes, alerts, fhir_readings, ingest, plans, stay_access
from joinedup.monitoring.alert_workflow import (
    acknowledge_alert,
    alert_flag,
    escalate_alert,
    flag_of_alert,
    get_alert,
    list_alerts,
    resolve_alert,
)
from joinedup.monitoring.models import Device, Reading, RejectedReading
from joinedup.monitoring.observations import ReadingRefused
from joinedup.monitoring.patient_view import PatientView, board_version, caseload_rows, patient_view
from joinedup.monitoring.plan_decisions import change_threshold, decide_spo2_scale, review_held_reading
from joinedup.monitoring.rules import missed_readings
from joinedup.monitoring.schemas import DeviceCreate, ReadingOutcome
from joinedup.record import nhs_number as nhs
from joinedup.record import service as record
from joinedup.record.service import Actor
from joinedup.registry import service as registry
from joinedup.wards import service as wards
from joinedup.wards.pathways import PATHWAYS

__all__ = [
    "PatientView",
    "acknowledge_alert",
    "alert_flag",
    "board_version",
    "caseload_rows",
    "change_threshold",
    "check_missed_readings",
    "check_rejections_access",
    "decide_spo2_scale",
    "escalate_alert",
    "flag_of_alert",
    "get_alert",
    "issue_device",
    "keep_rejection",
    "list_alerts",
    "list_rejections",
    "patient_view",
    "record_fhir_observation",
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


def is_monitored_fhir_reading(session: Session, observation: Mapping[str, Any]) -> bool:
    """Does this Observation go through `record_fhir_observation` (a device's vital sign of a patient on a
    virtual ward)? Reads only."""
    return fhir_readings.is_monitored_reading(session, observation)


def record_fhir_observation(
    session: Session, *, actor: Actor, observation: Mapping[str, Any]
) -> record.Written | None:
    """An Observation POSTed to the FHIR API that is a device reading of a patient on a virtual ward, stored
    through `record_reading` (rules run, alerts raised, stored once per device and time); the record's
    version, as the FHIR create answers it. None for any other Observation (the record stores it)."""
    if not fhir_readings.is_monitored_reading(session, observation):
        return None
    outcome = record_reading(session, observation=observation, actor=actor)
    if outcome.observation_id is None:
        raise ReadingRefused(outcome.detail or "reading not stored")
    version = record.read(
        session, actor=actor, resource_type="Observation", resource_id=outcome.observation_id
    )
    return record.Written(version, outcome.status != "duplicate")


def issue_device(session: Session, *, actor: Actor, device: DeviceCreate) -> Device:
    """Register a monitoring device and issue it to a patient on a virtual ward (re-issuing moves it)."""
    if not nhs.is_valid(device.nhs_number):
        raise Invalid(f"{device.nhs_number!r} is not a valid NHS number")
    stay = stay_access.stay_or_raise(session, nhs.normalise(device.nhs_number))
    stay_access.authorise(session, actor, stay, "update", "Device issued")
    org = registry.get_organisation(session, stay_access.ward_of(session, stay).organisation_id)
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
    changes = alerts.AlertChanges()
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
                admission_id=stay.id,
                team_id=stay.ward_id,
                nhs_number=stay.nhs_number,
                findings=[f for f in findings if f.rule_id not in still],
                is_judged=is_judged,
                existing=existing,
                now=now,
                changes=changes,
            )
        )
    alert_writes.write_changes(session, changes, now=now)
    return raised


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
