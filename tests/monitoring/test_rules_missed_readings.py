"""Missed readings against the patient's schedule, and readings too old to show as current."""

from datetime import UTC, datetime, timedelta

import pytest

from joinedup.monitoring.rules import missed_readings
from joinedup.monitoring.rules.missed_readings import is_stale
from joinedup.monitoring.rules.thresholds import default_rule_set, with_overrides

RULES = default_rule_set()  # a reading every 24 h, 2 h grace
ADMITTED = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def test_a_reading_within_the_interval_and_grace_is_not_missed() -> None:
    now = ADMITTED + hours(100)
    assert missed_readings.evaluate("body_weight", now - hours(20), ADMITTED, now, RULES) == []


def test_exactly_at_the_end_of_the_grace_is_not_yet_missed_and_a_second_later_is() -> None:
    last = ADMITTED + hours(1)
    assert missed_readings.evaluate("spo2", last, ADMITTED, last + hours(26), RULES) == []
    found = missed_readings.evaluate("spo2", last, ADMITTED, last + hours(26) + timedelta(seconds=1), RULES)
    assert [f.rule_id for f in found] == ["missed_readings.spo2"]


def test_a_missed_reading_is_a_review_finding_that_counts_the_missed_readings() -> None:
    now = ADMITTED + hours(80)
    last = now - hours(50)
    (finding,) = missed_readings.evaluate("body_weight", last, ADMITTED, now, RULES)
    assert finding.severity == "review"
    assert finding.at == now
    assert "2 missed" in finding.message and "50.0 h" in finding.message
    assert finding.rule_set_version == RULES.version_id
    assert finding.evidence == ((last, 50.0),)


def test_no_reading_since_admission_is_missed_once_the_interval_has_passed() -> None:
    assert missed_readings.evaluate("spo2", None, ADMITTED, ADMITTED + hours(10), RULES) == []
    (finding,) = missed_readings.evaluate("spo2", None, ADMITTED, ADMITTED + hours(30), RULES)
    assert "no reading yet" in finding.message


def test_a_reading_from_before_this_admission_does_not_start_the_clock_early() -> None:
    old = ADMITTED - hours(200)
    assert missed_readings.evaluate("spo2", old, ADMITTED, ADMITTED + hours(5), RULES) == []


def test_the_patients_own_schedule_overrides_the_default() -> None:
    now = ADMITTED + hours(40)
    last = now - hours(11)
    assert missed_readings.evaluate("spo2", last, ADMITTED, now, RULES) == []
    (finding,) = missed_readings.evaluate("spo2", last, ADMITTED, now, RULES, expected_every_hours=8)
    assert "expected every 8 h" in finding.message


def test_a_per_patient_rule_set_changes_the_grace() -> None:
    rules = with_overrides(RULES, {"missed_readings": {"grace_hours": 0.0}})
    now = ADMITTED + hours(30)
    assert missed_readings.evaluate("spo2", now - hours(25), ADMITTED, now, RULES) == []
    (finding,) = missed_readings.evaluate("spo2", now - hours(25), ADMITTED, now, rules)
    assert finding.rule_set_version == rules.version_id


@pytest.mark.parametrize(
    ("last", "since", "message"),
    [
        (ADMITTED + hours(5), ADMITTED, "in the future"),
        (None, ADMITTED + hours(5), "in the future"),
        (datetime(2025, 4, 1, 8, 0), ADMITTED, "time zone"),
    ],
)
def test_impossible_times_are_refused(last: datetime | None, since: datetime, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        missed_readings.evaluate("spo2", last, since, ADMITTED + hours(1), RULES)


def test_an_impossible_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="expected_every_hours"):
        missed_readings.evaluate("spo2", None, ADMITTED, ADMITTED + hours(1), RULES, expected_every_hours=0)


@pytest.mark.parametrize(
    ("age_hours", "max_age_hours", "stale"),
    [(0, 12, False), (12, 12, False), (12.01, 12, True), (48, 24, True), (-1, 12, False)],
)
def test_is_stale(age_hours: float, max_age_hours: float, stale: bool) -> None:
    now = ADMITTED + hours(100)
    assert is_stale(now - hours(age_hours), now, max_age_hours) is stale


def test_is_stale_refuses_a_zero_age_limit_and_naive_times() -> None:
    with pytest.raises(ValueError, match="max_age_hours"):
        is_stale(ADMITTED, ADMITTED, 0)
    with pytest.raises(ValueError, match="time zone"):
        is_stale(datetime(2025, 1, 1), ADMITTED, 1)
