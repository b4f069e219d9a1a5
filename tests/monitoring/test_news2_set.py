"""Honest NEWS2 from the latest readings: the set, partial and stale scores, and the pathway rules that
judge it (RCP NEWS2 2017 chart 3 for every pathway)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joinedup.monitoring import evaluation
from joinedup.monitoring.news2 import score
from joinedup.monitoring.news2_set import SET_WINDOW, honest_news2, latest_set
from joinedup.monitoring.rules import news2_response
from joinedup.monitoring.rules.thresholds import default_rule_set

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
FULL = {
    "respiration_rate": 16.0,
    "spo2": 97.0,
    "systolic_bp": 125.0,
    "pulse": 70.0,
    "temperature": 37.0,
    "consciousness": "A",
}


def at(latest: dict, when: datetime = NOW) -> dict:
    return {k: (when, v) for k, v in latest.items()}


def test_a_complete_fresh_set_is_the_rcp_score() -> None:
    found = honest_news2(at(FULL), on_oxygen=False, spo2_scale=1, now=NOW, max_age_hours=26)
    assert found is not None and not found.is_partial and not found.is_stale
    assert found.value == score(16, 97, False, 125, 70, "A", 37.0).total == 0
    assert found.label() == "NEWS2 0 (low)"


def test_readings_from_an_earlier_sitting_are_not_part_of_the_latest_set() -> None:
    latest = {**at(FULL, NOW - SET_WINDOW - timedelta(minutes=1)), "pulse": (NOW, 120.0)}
    taken_at, values = latest_set(latest)
    assert taken_at == NOW and values == {"pulse": 120.0}
    found = honest_news2(latest, on_oxygen=False, spo2_scale=1, now=NOW, max_age_hours=26)
    assert found.is_partial and found.value == 2 and "partial" in found.label()


def test_an_old_set_is_stale_and_says_how_old() -> None:
    found = honest_news2(
        at(FULL, NOW - timedelta(hours=30)), on_oxygen=False, spo2_scale=1, now=NOW, max_age_hours=26
    )
    assert found.is_stale and "stale: taken 30 h ago" in found.label()


def test_air_or_oxygen_not_recorded_makes_the_set_partial() -> None:
    found = honest_news2(at(FULL), on_oxygen=None, spo2_scale=1, now=NOW, max_age_hours=26)
    assert found.is_partial and "air_or_oxygen" in found.scored.missing


def test_no_news2_reading_gives_no_score() -> None:
    assert (
        honest_news2({"body_weight": (NOW, 80.0)}, on_oxygen=False, spo2_scale=1, now=NOW, max_age_hours=26)
        is None
    )


@pytest.mark.parametrize(
    ("values", "rule_id"),
    [
        (
            {"respiration_rate": 26.0, "spo2": 91.0, "pulse": 135.0},
            "news2.emergency",
        ),  # 3+3+3 partial: at least 9
        ({"respiration_rate": 22.0, "pulse": 115.0, "temperature": 38.5}, "news2.urgent"),  # 2+2+1 = 5
        ({"consciousness": "C"}, "news2.single_parameter"),
        ({"pulse": 95.0}, None),
    ],
)
def test_news2_response_judges_partial_sets_on_what_they_have(values: dict, rule_id: str | None) -> None:
    found = honest_news2(at(values), on_oxygen=None, spo2_scale=1, now=NOW, max_age_hours=26)
    findings = news2_response.evaluate(found.taken_at, found.scored, default_rule_set())
    assert [f.rule_id for f in findings] == ([rule_id] if rule_id else [])
    assert all(f.rule_set_version == "joinedup-default@1" for f in findings)


@given(st.sampled_from(list(FULL)), st.sampled_from(["heart-failure", "covid-19", "respiratory"]))
def test_a_missing_parameter_never_silences_a_finding_the_rest_would_raise(
    dropped: str, pathway: str
) -> None:
    bad = {**FULL, "respiration_rate": 26.0, "pulse": 135.0, "spo2": 90.0}  # 9 from three parameters
    partial = {k: v for k, v in bad.items() if k != dropped}
    readings = evaluation.PatientReadings(
        pathway=pathway,
        rules=default_rule_set(),
        on_oxygen=False,
        spo2_scale=1,
        baseline_spo2=None,
        baseline_news2=None,
        expected_every_hours=24,
        latest=at(partial),
    )
    _, findings = evaluation.evaluate(readings, NOW)
    assert any(f.severity in ("urgent", "emergency") for f in findings)


def test_each_pathway_is_judged_by_its_own_rules() -> None:
    full = honest_news2(at(FULL), on_oxygen=False, spo2_scale=1, now=NOW, max_age_hours=26)
    assert evaluation.is_judged_by("heart-failure", "heart_failure.weight_gain")
    assert evaluation.is_judged_by("covid-19", "covid_oximetry.spo2_low")
    assert not evaluation.is_judged_by("respiratory", "covid_oximetry.spo2_low")
    assert evaluation.is_judged_by("frailty", "frailty.news2_urgent", full)
    assert not evaluation.is_judged_by("frailty", "news2.urgent", full)


def test_a_partial_or_stale_set_never_judges_a_news2_rule_so_it_cannot_clear_one() -> None:
    partial_set = {k: v for k, v in FULL.items() if k != "temperature"}
    partial = honest_news2(at(partial_set), on_oxygen=False, spo2_scale=1, now=NOW, max_age_hours=26)
    stale = honest_news2(
        at(FULL, NOW - timedelta(hours=30)), on_oxygen=False, spo2_scale=1, now=NOW, max_age_hours=26
    )
    assert partial is not None and partial.is_partial and stale is not None and stale.is_stale
    for news2 in (partial, stale, None):
        assert not evaluation.is_judged_by("respiratory", "news2.emergency", news2)
        assert not evaluation.is_judged_by("frailty", "frailty.news2_rise_from_baseline", news2)
    assert evaluation.is_judged_by("covid-19", "covid_oximetry.spo2_low", partial)
