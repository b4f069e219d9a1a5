"""Heart failure weight rule: more than 2 kg in 3 days (ESC 2021), robust to missed days."""

import math
from datetime import UTC, datetime, timedelta

import pytest

from joinedup.monitoring.rules import heart_failure
from joinedup.monitoring.rules.thresholds import default_rule_set, with_overrides

RULES = default_rule_set()
START = datetime(2025, 3, 3, 7, 30, tzinfo=UTC)


def day(n: int, hour: int = 0) -> datetime:
    return START + timedelta(days=n, hours=hour)


def rule_ids(weights: list[tuple[datetime, float]]) -> list[str]:
    return [finding.rule_id for finding in heart_failure.evaluate(weights, RULES)]


def test_gain_of_more_than_2_kg_in_3_days_is_found() -> None:
    (finding,) = heart_failure.evaluate([(day(0), 80.0), (day(1), 80.4), (day(3), 82.1)], RULES)
    assert finding.rule_id == "heart_failure.weight_gain"
    assert finding.severity == "review"
    assert finding.at == day(3)
    assert finding.rule_set_version == "joinedup-default@1"
    assert finding.evidence == ((day(0), 80.0), (day(3), 82.1))
    assert "2.1 kg" in finding.message


def test_a_gain_of_exactly_2_kg_is_not_more_than_2_kg() -> None:
    assert rule_ids([(day(0), 80.0), (day(3), 82.0)]) == []


def test_a_steady_slow_gain_spread_over_more_than_3_days_is_not_found() -> None:
    weights = [(day(i), 80.0 + 0.5 * i) for i in range(6)]  # 2.5 kg in 5 days, 1.5 kg in any 3
    assert rule_ids(weights) == []


def test_a_missed_day_does_not_hide_a_gain() -> None:
    assert rule_ids([(day(0), 80.0), (day(2), 81.0), (day(3), 82.3)]) == ["heart_failure.weight_gain"]


def test_a_missed_day_does_not_invent_a_gain() -> None:
    assert rule_ids([(day(0), 80.0), (day(3), 81.0)]) == []


def test_the_window_counts_calendar_days_so_a_later_weigh_in_still_counts() -> None:
    # 73.5 hours apart, but day 0 and day 3 are within 3 calendar days.
    assert rule_ids([(day(0), 80.0), (day(3, hour=1), 82.2)]) == ["heart_failure.weight_gain"]


def test_a_gain_across_a_gap_longer_than_the_window_is_raised_as_unassessable() -> None:
    (finding,) = heart_failure.evaluate([(day(0), 80.0), (day(6), 82.5)], RULES)
    assert finding.rule_id == "heart_failure.weight_gain_across_gap"
    assert "cannot be ruled out" in finding.message


def test_a_small_gain_across_a_gap_is_not_raised() -> None:
    assert rule_ids([(day(0), 80.0), (day(6), 81.0)]) == []


def test_weight_loss_is_not_raised() -> None:
    assert rule_ids([(day(0), 84.0), (day(2), 81.0)]) == []


def test_one_reading_is_not_enough_to_judge() -> None:
    assert rule_ids([(day(0), 80.0)]) == []
    assert rule_ids([]) == []


def test_readings_out_of_order_are_judged_in_time_order() -> None:
    assert rule_ids([(day(3), 82.3), (day(0), 80.0)]) == ["heart_failure.weight_gain"]
    assert rule_ids([(day(3), 80.0), (day(0), 82.3)]) == []


def test_a_per_patient_threshold_applies_and_is_recorded() -> None:
    rules = with_overrides(RULES, {"heart_failure": {"weight_gain_kg": 1.5, "window_days": 2}})
    (finding,) = heart_failure.evaluate([(day(0), 80.0), (day(2), 81.6)], rules)
    assert finding.rule_set_version == rules.version_id != RULES.version_id


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        heart_failure.evaluate([(datetime(2025, 1, 1), 80.0), (day(1), 81.0)], RULES)


def test_a_value_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        heart_failure.evaluate([(day(0), 80.0), (day(1), math.nan)], RULES)
