"""Readings in, on both backends: stored once in the record, indexed, judged in the same transaction;
bad input rejected with a clear reason or held for review, never silently dropped and never scored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from wards_world import GP, NURSE, acvpu, observation

from joinedup.monitoring import service
from joinedup.monitoring.models import Alert, Reading, RejectedReading
from joinedup.monitoring.observations import ReadingRefused
from joinedup.record import service as record

NOW = datetime.now(UTC)
AT = NOW - timedelta(minutes=10)


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_reading_is_stored_as_an_observation_in_the_record_and_indexed(ward) -> None:
    number = ward.nhs_numbers[0]
    outcome = service.record_reading(
        ward.session, observation=observation(number, "pulse", 72, at=AT, device="kit-0")
    )
    assert outcome.status == "stored"
    stored = record.read(
        ward.session, actor=NURSE, resource_type="Observation", resource_id=outcome.observation_id
    )
    assert stored.body["subject"]["reference"] == f"Patient/{ward.stays[number].patient_id}"
    assert stored.body["valueQuantity"]["value"] == 72
    row = ward.session.scalars(select(Reading).where(Reading.observation_id == outcome.observation_id)).one()
    assert (row.parameter, row.value, row.status, row.team_id) == ("pulse", 72, "scored", "vw-north")


def test_a_retried_reading_is_stored_once_and_raises_no_second_alert(ward) -> None:
    number = ward.nhs_numbers[0]
    reading = observation(number, "spo2", 91, at=AT, device="kit-0")
    first = service.record_readings(ward.session, observations=[reading])[0]
    again = service.record_readings(ward.session, observations=[reading, reading])
    assert first.status == "stored" and [o.status for o in again] == ["duplicate", "duplicate"]
    assert {o.observation_id for o in again} == {first.observation_id}
    assert count(ward.session, Reading, Reading.nhs_number == number) == 1
    alerts = ward.session.scalars(select(Alert).where(Alert.nhs_number == number)).all()
    assert sorted(a.rule_id for a in alerts) == ["covid_oximetry.spo2_low", "news2.single_parameter"]
    assert all(a.occurrences == 1 for a in alerts)


def test_the_same_reading_twice_in_one_batch_is_stored_once(ward) -> None:
    reading = observation(ward.nhs_numbers[0], "pulse", 80, at=AT, device="kit-0")
    outcomes = service.record_readings(ward.session, observations=[reading, reading])
    assert [o.status for o in outcomes] == ["stored", "duplicate"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"value": 400}, "outside the possible range"),
        ({"unit": "[degF]", "parameter": "temperature", "value": 98.6}, "UCUM unit 'Cel'"),
        ({"patient": 4}, "not on a virtual ward"),
        ({"device": "stolen-kit"}, "unknown device"),
        ({"device": "kit-1"}, "not issued to patient"),
        ({"at": NOW + timedelta(hours=2)}, "in the future"),
        ({"at": NOW - timedelta(days=30)}, "before the admission"),
    ],
)
def test_bad_readings_are_rejected_with_a_clear_reason_kept_and_never_scored(
    ward, change: dict, reason: str
) -> None:
    number = ward.nhs_numbers[change.get("patient", 0)]
    reading = observation(
        number,
        change.get("parameter", "pulse"),
        change.get("value", 70),
        at=change.get("at", AT),
        device=change.get("device", "kit-0"),
        unit=change.get("unit"),
    )
    outcome = service.record_readings(ward.session, observations=[reading])[0]
    assert outcome.status == "rejected" and reason in (outcome.detail or "")
    assert count(ward.session, Reading) == 0 and count(ward.session, Alert) == 0
    kept = ward.session.scalars(select(RejectedReading)).one()
    assert reason in kept.reason and kept.channel == "mqtt"
    with pytest.raises(ReadingRefused, match=reason.split()[0]):
        service.record_reading(ward.session, observation=reading)


def test_a_message_that_is_not_an_observation_is_rejected_naming_what_is_missing(ward) -> None:
    reading = observation(ward.nhs_numbers[0], "pulse", 70, at=AT, device="kit-0")
    del reading["device"]
    outcome = service.record_readings(ward.session, observations=[reading, {"resourceType": "Patient"}])
    assert [o.status for o in outcome] == ["rejected", "rejected"]
    assert "must name the device" in (outcome[0].detail or "") and "Observation" in (outcome[1].detail or "")


def test_one_bad_reading_does_not_stop_the_rest_of_the_batch(ward) -> None:
    good = observation(ward.nhs_numbers[0], "pulse", 70, at=AT, device="kit-0")
    bad = observation(ward.nhs_numbers[0], "pulse", -5, at=AT, device="kit-0")
    outcomes = service.record_readings(ward.session, observations=[bad, good])
    assert [o.status for o in outcomes] == ["rejected", "stored"]


def test_an_unusual_reading_is_held_for_review_raises_a_review_alert_and_is_not_scored(ward) -> None:
    number = ward.nhs_numbers[0]
    held = service.record_readings(
        ward.session, observations=[observation(number, "pulse", 260, at=AT, device="kit-0")]
    )[0]
    assert held.status == "held" and "usual range" in (held.detail or "")
    alerts = ward.session.scalars(select(Alert).where(Alert.nhs_number == number)).all()
    assert [a.rule_id for a in alerts] == ["review.held_reading"]  # no NEWS2 alert from a pulse of 260
    body = record.read(
        ward.session, actor=NURSE, resource_type="Observation", resource_id=held.observation_id
    ).body
    assert body["status"] == "preliminary"
    from joinedup.monitoring.schemas import HeldReadingReview

    status = service.review_held_reading(
        ward.session,
        actor=NURSE,
        observation_id=held.observation_id,
        review=HeldReadingReview(decision="release"),
    )
    assert status == "released"
    rules = {
        a.rule_id: a.status for a in ward.session.scalars(select(Alert).where(Alert.nhs_number == number))
    }
    assert rules["review.held_reading"] == "resolved" and rules["news2.single_parameter"] == "active"


def test_rules_run_on_the_latest_set_in_the_same_transaction_and_alerts_carry_the_rule_set_version(
    ward,
) -> None:
    number = ward.nhs_numbers[2]  # frailty
    readings = [
        observation(number, p, v, at=AT, device="kit-2")
        for p, v in (
            ("pulse", 135),
            ("respiration_rate", 26),
            ("spo2", 90),
            ("systolic_bp", 95),
            ("temperature", 39.5),
        )
    ]
    readings.append(acvpu(number, "A", at=AT, device="kit-2"))
    outcomes = service.record_readings(ward.session, observations=readings)
    assert {o.status for o in outcomes} == {"stored"} and outcomes[0].alert_ids
    alert = ward.session.scalars(select(Alert).where(Alert.nhs_number == number)).one()
    assert alert.rule_id == "frailty.news2_emergency" and alert.severity == "emergency"
    assert alert.rule_set_version == "joinedup-default@1" and "NEWS2 13" in alert.message  # 3+3+3+0+2+0+2


def test_a_worse_finding_reopens_an_acknowledged_alert_and_an_equal_one_does_not(ward) -> None:
    number = ward.nhs_numbers[0]  # covid-19
    first = service.record_readings(
        ward.session, observations=[observation(number, "spo2", 94, at=AT, device="kit-0")]
    )
    alert_id = next(a for a in first[0].alert_ids)
    service.acknowledge_alert(ward.session, actor=NURSE, alert_id=alert_id)
    later = AT + timedelta(minutes=5)
    service.record_readings(
        ward.session, observations=[observation(number, "spo2", 94, at=later, device="kit-0")]
    )
    assert service.get_alert(ward.session, alert_id).status == "acknowledged"


def test_readings_by_patient_reference_are_accepted_like_nhs_numbers(ward) -> None:
    number = ward.nhs_numbers[1]
    reading = observation(number, "body_weight", 80.5, at=AT, device="kit-1")
    reading["subject"] = {"reference": f"Patient/{ward.stays[number].patient_id}"}
    assert service.record_readings(ward.session, observations=[reading])[0].status == "stored"


def test_heart_failure_weight_gain_raises_a_review_alert(ward) -> None:
    number = ward.nhs_numbers[1]
    weights = [(AT - timedelta(days=2), 80.0), (AT - timedelta(days=1), 81.0), (AT, 82.5)]
    service.record_readings(
        ward.session,
        observations=[observation(number, "body_weight", kg, at=at, device="kit-1") for at, kg in weights],
    )
    alert = ward.session.scalars(select(Alert).where(Alert.nhs_number == number)).one()
    assert alert.rule_id == "heart_failure.weight_gain" and "2.5 kg" in alert.message


def test_the_api_path_is_refused_for_a_caller_who_does_not_care_for_the_patient(ward) -> None:
    from wards_world import OTHER_NURSE

    from joinedup.errors import Forbidden

    reading = observation(ward.nhs_numbers[0], "pulse", 70, at=AT, device="kit-0")
    with pytest.raises(Forbidden):
        service.record_reading(ward.session, observation=reading, actor=OTHER_NURSE)
    assert service.record_reading(ward.session, observation=reading, actor=GP).status == "stored"
