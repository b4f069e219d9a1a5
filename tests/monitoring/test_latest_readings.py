"""The rules read each stay's latest readings from a table kept in the same transaction, and only as much
weight history as the heart-failure rule can need; both must give what the whole history would give."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from wards_world import GP, NURSE, observation

from joinedup.db import create_engine, upgrade
from joinedup.monitoring import service
from joinedup.monitoring.judging import latest_by_parameter
from joinedup.monitoring.models import Alert, Reading
from joinedup.monitoring.schemas import DeviceCreate, HeldReadingReview, ThresholdChangeCreate
from joinedup.wards import service as wards
from joinedup.wards.schemas import AdmissionCreate

NOW = datetime.now(UTC).replace(microsecond=0)


def test_an_older_reading_arriving_late_does_not_replace_the_latest(ward) -> None:
    number = ward.nhs_numbers[3]
    stay = ward.stays[number].id
    newer, older = NOW - timedelta(minutes=5), NOW - timedelta(hours=2)
    service.record_readings(
        ward.session, observations=[observation(number, "pulse", 72, at=newer, device="kit-3")]
    )
    service.record_readings(
        ward.session,
        observations=[
            observation(number, "pulse", 110, at=older, device="kit-3"),
            observation(number, "spo2", 95, at=older, device="kit-3"),
        ],
    )
    latest = latest_by_parameter(ward.session, [stay])[stay]
    assert latest["pulse"] == (newer, 72.0) and latest["spo2"] == (older, 95.0)


def test_the_latest_of_a_batch_wins_whatever_its_order(ward) -> None:
    number = ward.nhs_numbers[3]
    stay = ward.stays[number].id
    times = [NOW - timedelta(minutes=m) for m in (30, 10, 20)]
    service.record_readings(
        ward.session,
        observations=[
            observation(number, "systolic_bp", 120 + i, at=at, device="kit-3") for i, at in enumerate(times)
        ],
    )
    assert latest_by_parameter(ward.session, [stay])[stay]["systolic_bp"] == (times[1], 121.0)


def test_a_held_reading_is_not_the_latest_until_a_clinician_releases_it(ward) -> None:
    number = ward.nhs_numbers[3]
    stay = ward.stays[number].id
    earlier, later = NOW - timedelta(hours=1), NOW - timedelta(minutes=5)
    service.record_readings(
        ward.session, observations=[observation(number, "pulse", 80, at=earlier, device="kit-3")]
    )
    held = service.record_readings(
        ward.session, observations=[observation(number, "pulse", 260, at=later, device="kit-3")]
    )[0]
    assert held.status == "held"
    assert latest_by_parameter(ward.session, [stay])[stay]["pulse"] == (earlier, 80.0)
    service.review_held_reading(
        ward.session,
        actor=NURSE,
        observation_id=held.observation_id,
        review=HeldReadingReview(decision="release"),
    )
    assert latest_by_parameter(ward.session, [stay])[stay]["pulse"] == (later, 260.0)


def test_the_latest_table_agrees_with_the_readings_index(ward) -> None:
    number = ward.nhs_numbers[0]
    stay = ward.stays[number].id
    for minutes, value in ((50, 96), (40, 93), (45, 91)):
        service.record_readings(
            ward.session,
            observations=[
                observation(number, "spo2", value, at=NOW - timedelta(minutes=minutes), device="kit-0")
            ],
        )
    rows = ward.session.execute(
        select(Reading.effective_at, Reading.value)
        .where(Reading.admission_id == stay, Reading.parameter == "spo2")
        .order_by(Reading.effective_at.desc())
    ).first()
    assert latest_by_parameter(ward.session, [stay])[stay]["spo2"] == (rows[0], rows[1])


def _long_heart_failure_stay(ward, days: int) -> str:
    """A heart-failure patient admitted `days` ago with kit `kit-4`, judged on a 14-day weight window."""
    number = ward.nhs_numbers[4]
    admission = AdmissionCreate(
        nhs_number=number, pathway="heart-failure", admitted_at=NOW - timedelta(days=days)
    )
    wards.admit_patient(ward.session, actor=GP, ward_id="vw-north", admission=admission)
    service.issue_device(ward.session, actor=NURSE, device=DeviceCreate(value="kit-4", nhs_number=number))
    change = ThresholdChangeCreate(
        section="heart_failure", name="window_days", value=14, reason="slow fluid gain"
    )
    service.change_threshold(ward.session, actor=NURSE, nhs_number=number, change=change)
    return number


def _weight_alerts(ward, number: str) -> list[str]:
    return [a.rule_id for a in ward.session.scalars(select(Alert).where(Alert.nhs_number == number)).all()]


def test_weight_gain_is_found_against_the_first_weight_of_the_oldest_day_the_window_takes(ward) -> None:
    number = _long_heart_failure_stay(ward, days=20)
    # The window runs from the calendar day 14 days before the latest weight, so a weight just after
    # midnight that day counts, though it is more than 14 days (of hours) before now.
    oldest_day = (NOW - timedelta(days=14)).date()
    first = datetime.combine(oldest_day, time(0, 0, 30), tzinfo=UTC)
    readings = [observation(number, "body_weight", 80.0, at=first, device="kit-4")]
    service.record_readings(ward.session, observations=readings)
    latest = [observation(number, "body_weight", 82.5, at=NOW - timedelta(minutes=1), device="kit-4")]
    service.record_readings(ward.session, observations=latest)
    assert _weight_alerts(ward, number) == ["heart_failure.weight_gain"]


def test_weight_gain_across_a_long_gap_is_found_with_the_weight_before_the_gap(ward) -> None:
    number = _long_heart_failure_stay(ward, days=40)
    long_ago = NOW - timedelta(days=30)
    service.record_readings(
        ward.session, observations=[observation(number, "body_weight", 80.0, at=long_ago, device="kit-4")]
    )
    latest = [observation(number, "body_weight", 83.0, at=NOW - timedelta(minutes=1), device="kit-4")]
    service.record_readings(ward.session, observations=latest)
    assert _weight_alerts(ward, number) == ["heart_failure.weight_gain_across_gap"]


def test_a_later_reading_does_not_clear_a_weight_gain_whose_first_weight_has_grown_old(ward) -> None:
    number = ward.nhs_numbers[1]  # heart failure, a 3-day window
    stay = ward.stays[number]
    weights = [(NOW - timedelta(days=2, hours=23), 80.0), (NOW - timedelta(minutes=1), 82.5)]
    service.record_readings(
        ward.session,
        observations=[observation(number, "body_weight", kg, at=at, device="kit-1") for at, kg in weights],
        now=NOW,
    )
    assert _weight_alerts(ward, number) == ["heart_failure.weight_gain"]
    # Judged again two weeks on (a pulse arrives): the latest weight still shows the same gain.
    later = NOW + timedelta(days=12)
    assert stay.admitted_at < NOW
    service.record_readings(
        ward.session,
        observations=[observation(number, "pulse", 75, at=later - timedelta(minutes=1), device="kit-1")],
        now=later,
    )
    alert = ward.session.scalars(select(Alert).where(Alert.nhs_number == number)).one()
    assert alert.cleared_at is None


@pytest.fixture
def before_latest_table(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A database of the test's backend migrated only as far as the revision before the latest table."""
    if engine.dialect.name == "sqlite":
        fresh = create_engine(f"sqlite:///{tmp_path / 'before.db'}")
        upgrade(fresh, "0010_rule_versions")
        yield fresh
        fresh.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    fresh = create_engine(engine.url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(fresh, "0010_rule_versions")
        yield fresh
    finally:
        fresh.dispose()
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def test_the_migration_fills_the_latest_table_from_the_readings_kept_so_far(before_latest_table) -> None:
    at = datetime(2026, 11, 20, 9, 0)
    rows = [  # (id, stay, parameter, minutes after `at`, value, text, status)
        (1, "s1", "pulse", 0, 70.0, None, "scored"),
        (2, "s1", "pulse", 30, 80.0, None, "released"),
        (3, "s1", "pulse", 60, 250.0, None, "held"),
        (4, "s1", "consciousness", 10, None, "A", "scored"),
        (5, "s2", "spo2", 5, 95.0, None, "scored"),
        (6, "s2", "spo2", 5, 94.0, None, "scored"),  # same time: the one stored last
        (7, "s2", "pulse", 5, 300.0, None, "entered-in-error"),
    ]
    insert = text(
        "INSERT INTO monitoring_readings (id, observation_id, admission_id, team_id, nhs_number, code, "
        "parameter, value, value_text, unit, effective_at, device, received_at, status) VALUES "
        "(:id, :obs, :stay, 't', '9000000009', 'c', :parameter, :value, :text, 'u', :at, 'd', :at, :status)"
    )
    with before_latest_table.begin() as conn:
        for id_, stay, parameter, minutes, value, value_text, status in rows:
            conn.execute(
                insert,
                {
                    "id": id_,
                    "obs": f"o{id_}",
                    "stay": stay,
                    "parameter": parameter,
                    "value": value,
                    "text": value_text,
                    "at": at + timedelta(minutes=minutes),
                    "status": status,
                },
            )
    upgrade(before_latest_table)
    with before_latest_table.connect() as conn:
        found = {
            (stay, parameter, str(taken)[:19], value, value_text)  # SQLite gives the time as text
            for stay, parameter, taken, value, value_text in conn.execute(
                text(
                    "SELECT admission_id, parameter, effective_at, value, value_text "
                    "FROM monitoring_latest_readings"
                )
            )
        }
    assert found == {
        ("s1", "pulse", "2026-11-20 09:30:00", 80.0, None),
        ("s1", "consciousness", "2026-11-20 09:10:00", None, "A"),
        ("s2", "spo2", "2026-11-20 09:05:00", 94.0, None),
    }
