"""COVID Oximetry @home thresholds (NHS England SOP): 92% or less urgent, 93-94% review, falls."""

from datetime import UTC, datetime, timedelta

import pytest

from joinedup.monitoring.rules import covid_oximetry
from joinedup.monitoring.rules.thresholds import default_rule_set, with_overrides

RULES = default_rule_set()
START = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


def readings(*values: float) -> list[tuple[datetime, float]]:
    return [(START + timedelta(hours=8 * i), value) for i, value in enumerate(values)]


@pytest.mark.parametrize(
    ("spo2", "expected"),
    [
        (100, []),
        (95, []),
        (94.4, ["covid_oximetry.spo2_borderline"]),
        (94, ["covid_oximetry.spo2_borderline"]),
        (93, ["covid_oximetry.spo2_borderline"]),
        (92.5, ["covid_oximetry.spo2_borderline"]),  # shown as 93
        (92.4, ["covid_oximetry.spo2_low"]),  # shown as 92
        (92, ["covid_oximetry.spo2_low"]),
        (80, ["covid_oximetry.spo2_low"]),
    ],
)
def test_sop_bands_on_a_single_reading(spo2: float, expected: list[str]) -> None:
    assert [f.rule_id for f in covid_oximetry.evaluate(readings(spo2), RULES)] == expected


def test_92_percent_or_less_is_an_emergency_with_999_advice() -> None:
    (finding,) = covid_oximetry.evaluate(readings(92), RULES)
    assert finding.severity == "emergency"
    assert "999" in finding.message and "A&E" in finding.message


def test_93_to_94_percent_is_a_same_day_review() -> None:
    (finding,) = covid_oximetry.evaluate(readings(93), RULES)
    assert finding.severity == "review"


@pytest.mark.parametrize(
    ("baseline", "latest", "expected"),
    [
        (98, 95, ["covid_oximetry.spo2_fall_from_baseline"]),
        (97, 95, []),
        (97, 94, ["covid_oximetry.spo2_borderline", "covid_oximetry.spo2_fall_from_baseline"]),
        (99, 92, ["covid_oximetry.spo2_low", "covid_oximetry.spo2_fall_from_baseline"]),
    ],
)
def test_a_fall_of_3_points_from_the_recorded_baseline_is_found(
    baseline: float, latest: float, expected: list[str]
) -> None:
    found = covid_oximetry.evaluate(readings(97, latest), RULES, baseline_spo2=baseline)
    assert [f.rule_id for f in found] == expected


def test_without_a_recorded_baseline_the_first_reading_is_the_baseline() -> None:
    assert [f.rule_id for f in covid_oximetry.evaluate(readings(99, 97, 96), RULES)] == [
        "covid_oximetry.spo2_fall_from_baseline"
    ]


def test_only_the_latest_reading_decides_the_band() -> None:
    assert covid_oximetry.evaluate(readings(91, 96), RULES, baseline_spo2=96) == []


def test_a_patient_with_a_lower_usual_spo2_can_have_their_own_thresholds() -> None:
    copd = with_overrides(RULES, {"covid_oximetry": {"emergency_spo2_max": 87, "review_spo2_max": 89}})
    assert covid_oximetry.evaluate(readings(90), copd, baseline_spo2=90) == []
    (finding,) = covid_oximetry.evaluate(readings(87), copd, baseline_spo2=88)
    assert finding.rule_id == "covid_oximetry.spo2_low"
    assert finding.rule_set_version == copd.version_id


@pytest.mark.parametrize("bad", [101, -1])
def test_a_reading_outside_0_to_100_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="0-100%"):
        covid_oximetry.evaluate(readings(bad), RULES)


def test_a_baseline_outside_0_to_100_is_refused() -> None:
    with pytest.raises(ValueError, match="baseline"):
        covid_oximetry.evaluate(readings(95), RULES, baseline_spo2=180)


def test_no_readings_no_findings() -> None:
    assert covid_oximetry.evaluate([], RULES) == []
