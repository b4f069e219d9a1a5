"""The path of a batch of readings: read each Observation, check patient, ward and device, validate the
value, store it in the shared record (once, however often it is retried), index it, hold the doubtful ones
for review and run the rules, all in the caller's one transaction. Used only by monitoring.service.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from joinedup.access.policy import Principal, Role
from joinedup.db import read_rows
from joinedup.errors import JoinedupError
from joinedup.fhir.validation import NHS_NUMBER_SYSTEM
from joinedup.monitoring import judging
from joinedup.monitoring.batch_sql import any_of
from joinedup.monitoring.models import Device, Reading, RejectedReading
from joinedup.monitoring.observations import IncomingReading, ReadingRefused, read_observation
from joinedup.monitoring.schemas import ReadingOutcome
from joinedup.monitoring.vitals import ReadingRejected, ValidatedReading, validate_reading
from joinedup.record import bulk
from joinedup.record import service as record
from joinedup.record.service import Actor
from joinedup.wards import service as wards
from joinedup.wards.schemas import AdmissionRead

VITAL_SIGNS_CATEGORY = {
    "coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}
    ]
}


@dataclass(frozen=True)
class Accepted:
    """A reading that passed every check and is about to be stored."""

    index: int
    reading: IncomingReading
    admission: AdmissionRead
    validated: ValidatedReading | None
    body: dict[str, Any]
    actor: Actor

    @property
    def is_held(self) -> bool:
        return self.validated is not None and self.validated.needs_review

    @property
    def parameter(self) -> str:
        return "consciousness" if self.validated is None else self.validated.parameter


def device_actor(device: IssuedDevice) -> Actor:
    """Devices write as their issuing organisation's gateway (a DEVICE principal of that organisation), so a
    batch from many kits is one authorised, audited write; each Observation names its own device."""
    principal = Principal(
        username=f"gateway:{device.organisation_ods}"[:80],
        role=Role.DEVICE,
        organisation_ods=device.organisation_ods,
        display_name="joinedup device gateway",
    )
    return Actor(principal=principal, request_id=None)


def ingest(
    session: Session,
    observations: Sequence[Mapping[str, Any]],
    *,
    actor: Actor | None,
    channel: str,
    now: datetime,
) -> list[ReadingOutcome]:
    """One outcome per observation, in order; rejected readings are kept (with their reason) off the API."""
    outcomes: dict[int, ReadingOutcome] = {}
    twins: list[tuple[int, int]] = []
    accepted = _check_all(session, observations, actor, now, outcomes, twins)
    stored = _store(session, accepted, outcomes, strict=channel == "api")
    _index(session, stored, now)
    alert_ids = judging.judge(session, stored, now=now)
    for twin, first in twins:
        outcomes[twin] = outcomes[first].model_copy(
            update={
                "status": "duplicate" if outcomes[first].status != "rejected" else "rejected",
                "alert_ids": [],
            }
        )
    for item, _ in stored:
        outcomes[item.index].alert_ids = alert_ids.get(item.admission.id, [])
    if channel != "api":
        _keep_rejections(session, observations, outcomes, channel, now)
    return [outcomes[i] for i in range(len(observations))]


def _check_all(
    session: Session,
    observations: Sequence[Mapping[str, Any]],
    actor: Actor | None,
    now: datetime,
    outcomes: dict[int, ReadingOutcome],
    twins: list[tuple[int, int]],
) -> list[Accepted]:
    readings: list[tuple[int, IncomingReading]] = []
    for index, body in enumerate(observations):
        try:
            readings.append((index, read_observation(body, now=now)))
        except ReadingRefused as exc:
            outcomes[index] = ReadingOutcome(status="rejected", detail=exc.detail)
    by_nhs = wards.open_admissions_by_nhs_number(session, [r.nhs_number for _, r in readings if r.nhs_number])
    by_patient = wards.open_admissions_by_patient_id(
        session, [r.patient_id for _, r in readings if r.patient_id]
    )
    devices = _devices(session, {(r.device_system, r.device_value) for _, r in readings})
    accepted: list[Accepted] = []
    seen: dict[tuple[str, datetime, str], int] = {}
    gateways: dict[str, Actor] = {}  # one device principal per organisation, not per reading
    for index, reading in readings:
        try:
            admission = _admission_of(reading, by_nhs, by_patient)
            device = _device_of(reading, devices, admission)
            validated = None if reading.is_consciousness else _validated(reading)
        except ReadingRefused as exc:
            outcomes[index] = ReadingOutcome(
                status="rejected", nhs_number=reading.nhs_number, detail=exc.detail
            )
            continue
        key = (reading.device, reading.effective_at, reading.code)
        if key in seen:
            twins.append((index, seen[key]))
            continue
        seen[key] = index
        held = validated is not None and validated.needs_review
        body = _record_body(observations[index], admission, held)
        writer = actor or gateways.get(device.organisation_ods)
        if writer is None:
            writer = gateways[device.organisation_ods] = device_actor(device)
        accepted.append(Accepted(index, reading, admission, validated, body, writer))
    return accepted


def _admission_of(
    reading: IncomingReading, by_nhs: dict[str, AdmissionRead], by_patient: dict[str, AdmissionRead]
) -> AdmissionRead:
    admission = by_nhs.get(reading.nhs_number or "") or by_patient.get(reading.patient_id or "")
    if admission is None:
        who = reading.nhs_number or f"Patient/{reading.patient_id}"
        raise ReadingRefused(f"patient {who} is not on a virtual ward: readings are taken only during a stay")
    if reading.effective_at < admission.admitted_at:
        raise ReadingRefused(
            f"the reading was taken at {reading.effective_at:%Y-%m-%d %H:%M}Z, before the admission "
            f"({admission.admitted_at:%Y-%m-%d %H:%M}Z)"
        )
    return admission


class IssuedDevice(NamedTuple):
    """What the checks need of a registered device."""

    system: str
    value: str
    nhs_number: str | None
    organisation_ods: str


def _devices(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], IssuedDevice]:
    if not keys:
        return {}
    # By value alone (one bound value per device, not two), the system matched here.
    D = Device
    rows = read_rows(
        session,
        select(D.system, D.value, D.nhs_number, D.organisation_ods).where(
            any_of(session, D.value, {value for _, value in keys})
        ),
    )
    found = (IssuedDevice(*row) for row in rows)
    return {(d.system, d.value): d for d in found if (d.system, d.value) in keys}


def _device_of(
    reading: IncomingReading, devices: dict[tuple[str, str], IssuedDevice], admission: AdmissionRead
) -> IssuedDevice:
    device = devices.get((reading.device_system, reading.device_value))
    if device is None:
        raise ReadingRefused(
            f"unknown device {reading.device_value!r} ({reading.device_system or 'no system'}): "
            "register it and issue it to the patient first"
        )
    if device.nhs_number != admission.nhs_number:
        raise ReadingRefused(
            f"device {reading.device_value!r} is not issued to patient {admission.nhs_number}"
        )
    return device


def _validated(reading: IncomingReading) -> ValidatedReading:
    try:
        return validate_reading(
            reading.code, reading.value if reading.value is not None else float("nan"), reading.unit
        )
    except ReadingRejected as exc:
        raise ReadingRefused(str(exc)) from None


def _record_body(body: Mapping[str, Any], admission: AdmissionRead, held: bool) -> dict[str, Any]:
    """The Observation as the record keeps it: subject by reference and NHS number; held ones preliminary."""
    copy = {k: v for k, v in body.items() if k not in ("id", "meta")}
    copy["subject"] = {
        "reference": f"Patient/{admission.patient_id}",
        "identifier": {"system": NHS_NUMBER_SYSTEM, "value": admission.nhs_number},
    }
    copy.setdefault("category", [VITAL_SIGNS_CATEGORY])
    copy["status"] = "preliminary" if held else copy.get("status", "final")
    return copy


def _store(
    session: Session, accepted: list[Accepted], outcomes: dict[int, ReadingOutcome], strict: bool
) -> list[tuple[Accepted, str]]:
    """Write to the record, one batch per sender; returns the readings stored now (not retries) with ids."""
    groups: dict[str, list[Accepted]] = defaultdict(list)
    for item in accepted:
        groups[item.actor.principal.username].append(item)
    stored: list[tuple[Accepted, str]] = []
    for items in groups.values():
        for item, written in _write(session, items, outcomes, strict):
            status = "held" if item.is_held else "stored"
            if not written.created:
                status = "duplicate"
            detail = item.validated.review_reason if status == "held" and item.validated else None
            outcomes[item.index] = ReadingOutcome(
                status=status,
                observation_id=written.version.resource_id,
                nhs_number=item.admission.nhs_number,
                detail=detail,
            )
            if written.created:
                stored.append((item, written.version.resource_id))
    return stored


def _write(
    session: Session, items: list[Accepted], outcomes: dict[int, ReadingOutcome], strict: bool
) -> list[tuple[Accepted, record.Written]]:
    """The group in one record batch; if the record refuses it, each reading alone, so one bad apple is
    rejected with its own reason and the rest are stored (`strict`: the API, whose caller gets the error)."""
    try:
        with session.begin_nested():
            written = record.create_many(session, actor=items[0].actor, bodies=[i.body for i in items])
        return list(zip(items, written, strict=True))
    except JoinedupError:
        if strict:
            raise
    result = []
    for item in items:
        try:
            with session.begin_nested():
                result.append((item, record.create_many(session, actor=item.actor, bodies=[item.body])[0]))
        except JoinedupError as exc:
            outcomes[item.index] = ReadingOutcome(
                status="rejected", nhs_number=item.admission.nhs_number, detail=exc.detail
            )
    return result


_READING_COLUMNS = (
    "observation_id",
    "admission_id",
    "team_id",
    "nhs_number",
    "code",
    "parameter",
    "value",
    "value_text",
    "unit",
    "effective_at",
    "device",
    "received_at",
    "status",
    "review_reason",
)


def _index(session: Session, stored: list[tuple[Accepted, str]], now: datetime) -> None:
    if not stored:
        return
    rows = [
        (
            observation_id,
            item.admission.id,
            item.admission.ward_id,
            item.admission.nhs_number,
            item.reading.code,
            item.parameter,
            item.reading.value,
            item.reading.value_text,
            item.reading.unit,
            item.reading.effective_at,
            item.reading.device[:330],
            now,
            "held" if item.is_held else "scored",
            item.validated.review_reason if item.is_held and item.validated else None,
        )
        for item, observation_id in stored
    ]
    bulk.insert_tuples(session, Reading, _READING_COLUMNS, rows)  # COPY on PostgreSQL, in the transaction
    judging.keep_latest(
        session,
        (
            judging.Scored(
                item.admission.id,
                item.parameter,
                item.reading.effective_at,
                item.reading.value,
                item.reading.value_text,
            )
            for item, _ in stored
            if not item.is_held
        ),
    )


def _keep_rejections(
    session: Session,
    observations: Sequence[Mapping[str, Any]],
    outcomes: dict[int, ReadingOutcome],
    channel: str,
    now: datetime,
) -> None:
    rows = []
    for index, outcome in outcomes.items():
        if outcome.status != "rejected":
            continue
        body = observations[index]
        device = (
            (body.get("device") or {}).get("identifier") if isinstance(body.get("device"), Mapping) else None
        )
        rows.append(
            {
                "received_at": now,
                "channel": channel,
                "nhs_number": outcome.nhs_number,
                "device": str(device.get("value"))[:330] if isinstance(device, Mapping) else None,
                "reason": (outcome.detail or "rejected")[:1000],
                "payload": json.dumps(body, default=str)[:20000],
            }
        )
    if rows:
        session.execute(insert(RejectedReading), rows)
