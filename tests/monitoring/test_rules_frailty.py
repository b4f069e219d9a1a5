"""Frailty rule: RCP NEWS2 response thresholds plus a rise over the patient's own usual score."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from joinedup.monitoring.news2 import News2Score, PartialNews2Score, partial_score, score
from joinedup.monitoring.rules import frailty
from joinedup.monitoring.rules.thresholds import default_rule_set

RULES = default_rule_set()
START = datetime(2025, 2, 10, 10, 0, tzinfo=UTC)
NORMAL: dict[str, Any] = {
    "respiration_rate": 16,
    "spo2": 97,
    "on_oxygen": False,
    "systolic_bp": 120,
    "pulse": 70,
    "consciousness": "A",
    "temperature": 37.0,
}


def news2(**changes: Any) -> News2Score:
    return score(**{**NORMAL, **changes})


def series(*scores: News2Score | PartialNews2Score) -> list[tuple[datetime, News2Score | PartialNews2Score]]:
    return [(START + timedelta(hours=12 * i), s) for i, s in enumerate(scores)]


def rule_ids(*scores: News2Score | PartialNews2Score, baseline: int | None = None) -> list[str]:
    return [f.rule_id for f in frailty.evaluate(series(*scores), RULES, baseline_news2=baseline)]


def test_a_low_score_at_the_patients_usual_level_raises_nothing() -> None:
    assert rule_ids(news2(respiration_rate=21), news2(respiration_rate=21)) == []
    assert rule_ids(news2(respiration_rate=21), baseline=2) == []


@pytest.mark.parametrize(
    ("latest", "rule_id", "severity"),
    [
        ({"respiration_rate": 21, "pulse": 111, "temperature": 38.5}, "frailty.news2_urgent", "urgent"),
        ({"respiration_rate": 25, "pulse": 111, "on_oxygen": True}, "frailty.news2_emergency", "emergency"),
        ({"consciousness": "C"}, "frailty.news2_single_parameter", "urgent"),
    ],
)
def test_rcp_response_thresholds(latest: dict[str, Any], rule_id: str, severity: str) -> None:
    found = frailty.evaluate(series(news2(**latest)), RULES)
    assert found[0].rule_id == rule_id
    assert found[0].severity == severity
    assert found[0].rule_set_version == RULES.version_id


def test_a_rise_of_2_over_the_recorded_baseline_is_found_below_the_rcp_thresholds() -> None:
    latest = news2(respiration_rate=21, temperature=38.5)  # 3
    assert rule_ids(latest, baseline=1) == ["frailty.news2_rise_from_baseline"]
    assert rule_ids(latest, baseline=2) == []


def test_without_a_recorded_baseline_the_first_full_score_is_the_baseline() -> None:
    assert rule_ids(news2(), news2(respiration_rate=21)) == ["frailty.news2_rise_from_baseline"]
    assert rule_ids(news2(respiration_rate=21), news2(respiration_rate=21, temperature=38.5)) == []


def test_a_partial_set_is_judged_on_what_it_has_and_reported_incomplete() -> None:
    partial = partial_score(respiration_rate=25, pulse=111)  # at least 5
    found = frailty.evaluate(series(partial), RULES)
    assert [f.rule_id for f in found] == ["frailty.news2_urgent", "frailty.news2_incomplete"]
    assert "at least 5 (partial)" in found[0].message
    assert "missing spo2" in found[1].message


def test_an_incomplete_set_is_never_silent_even_when_what_it_has_is_normal() -> None:
    (finding,) = frailty.evaluate(series(partial_score(pulse=70, temperature=37.0)), RULES)
    assert finding.rule_id == "frailty.news2_incomplete"
    assert finding.severity == "review"


def test_a_partial_set_is_not_used_as_the_baseline() -> None:
    first = partial_score(pulse=70)
    assert rule_ids(first, news2(respiration_rate=21, temperature=38.5)) == []


def test_bad_baseline_or_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="baseline"):
        frailty.evaluate(series(news2()), RULES, baseline_news2=25)
    with pytest.raises(ValueError, match="time zone"):
        frailty.evaluate([(datetime(2025, 1, 1), news2())], RULES)


def test_no_scores_no_findings() -> None:
    assert frailty.evaluate([], RULES) == []
