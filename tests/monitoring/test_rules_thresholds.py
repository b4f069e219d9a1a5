"""Rule sets are versioned data: defaults with sources, per-patient overrides, replayable findings."""

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from joinedup.monitoring.rules import covid_oximetry, heart_failure
from joinedup.monitoring.rules.thresholds import (
    DEFAULT_RULE_SET_DATA,
    default_rule_set,
    rule_set_from_mapping,
    with_overrides,
)

START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)


def test_default_rule_set_has_the_published_thresholds() -> None:
    rules = default_rule_set()
    assert rules.version_id == "joinedup-default@1"
    assert (rules.news2.urgent_total, rules.news2.emergency_total) == (5, 7)
    assert (rules.heart_failure.weight_gain_kg, rules.heart_failure.window_days) == (2.0, 3)
    assert (rules.covid_oximetry.emergency_spo2_max, rules.covid_oximetry.review_spo2_max) == (92, 94)
    assert rules.covid_oximetry.fall_from_baseline == 3


SECTIONS = ["news2", "heart_failure", "covid_oximetry", "frailty", "missed_readings"]


@pytest.mark.parametrize("section", SECTIONS)
def test_every_default_section_cites_a_source_or_says_assumption(section: str) -> None:
    source = DEFAULT_RULE_SET_DATA[section]["source"]
    assert any(word in source for word in ("Royal College", "ESC", "NHS England", "assumption"))


def test_a_rule_set_survives_a_round_trip_through_plain_data() -> None:
    rules = default_rule_set()
    assert rule_set_from_mapping(rules.to_mapping()) == rules


def test_a_proposed_rule_set_may_change_only_what_it_names() -> None:
    proposed = rule_set_from_mapping(
        {"name": "stricter-oximetry", "version": "2", "covid_oximetry": {"review_spo2_max": 95}},
        base=default_rule_set(),
    )
    assert proposed.version_id == "stricter-oximetry@2"
    assert proposed.covid_oximetry.review_spo2_max == 95
    assert proposed.heart_failure == default_rule_set().heart_failure


def test_a_rule_set_without_a_base_must_be_complete() -> None:
    with pytest.raises(ValueError, match="missing"):
        rule_set_from_mapping({"name": "x", "version": "1", "news2": {"urgent_total": 5}})


@pytest.mark.parametrize("key", ["name", "version"])
def test_a_rule_set_must_name_itself_and_its_version(key: str) -> None:
    data = {**default_rule_set().to_mapping(), key: ""}
    with pytest.raises(ValueError, match=key):
        rule_set_from_mapping(data)


def test_per_patient_overrides_make_a_new_version_id_and_leave_the_default_alone() -> None:
    rules = default_rule_set()
    copd = with_overrides(rules, {"covid_oximetry": {"emergency_spo2_max": 87, "review_spo2_max": 89}})
    assert copd.covid_oximetry.emergency_spo2_max == 87
    assert copd.version_id.startswith("joinedup-default@1+patient-")
    assert rules.covid_oximetry.emergency_spo2_max == 92
    same = with_overrides(rules, {"covid_oximetry": {"review_spo2_max": 89, "emergency_spo2_max": 87}})
    assert same.version_id == copd.version_id
    other = with_overrides(rules, {"covid_oximetry": {"emergency_spo2_max": 86, "review_spo2_max": 89}})
    assert other.version_id != copd.version_id
    assert with_overrides(rules, {}) is rules


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"oximetry": {"review_spo2_max": 95}}, "unknown section"),
        ({"covid_oximetry": {"spo2_limit": 95}}, "unknown threshold"),
        ({"covid_oximetry": {"source": "me"}}, "cannot be overridden"),
        ({"covid_oximetry": {"review_spo2_max": "95"}}, "whole number"),
        ({"covid_oximetry": {"review_spo2_max": 94.5}}, "whole number"),
        ({"covid_oximetry": {"review_spo2_max": True}}, "whole number"),
        ({"heart_failure": {"weight_gain_kg": math.nan}}, "must be a number"),
        ({"heart_failure": {"weight_gain_kg": -1.0}}, "weight_gain_kg"),
        ({"covid_oximetry": {"emergency_spo2_max": 95}}, "emergency_spo2_max < review_spo2_max"),
        ({"news2": {"urgent_total": 8}}, "urgent_total < emergency_total"),
        ({"missed_readings": {"grace_hours": 30.0}}, "grace_hours"),
    ],
)
def test_bad_overrides_are_refused_naming_the_threshold(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        with_overrides(default_rule_set(), overrides)


def test_every_finding_carries_the_version_of_the_rule_set_that_raised_it() -> None:
    rules = with_overrides(default_rule_set(), {"heart_failure": {"weight_gain_kg": 1.5}})
    weights = [(START, 80.0), (START + timedelta(days=2), 81.8)]
    (finding,) = heart_failure.evaluate(weights, rules)
    assert finding.rule_set_version == rules.version_id
    assert heart_failure.evaluate(weights, default_rule_set()) == []


def test_replaying_the_same_readings_under_the_same_rules_gives_identical_findings() -> None:
    readings = [(START + timedelta(hours=8 * i), value) for i, value in enumerate([97, 96, 94, 93, 92])]
    rules = default_rule_set()
    first = [covid_oximetry.evaluate(readings[: i + 1], rules) for i in range(len(readings))]
    again = [covid_oximetry.evaluate(readings[: i + 1], rules) for i in range(len(readings))]
    assert first == again
    assert [[f.rule_id for f in findings] for findings in first] == [
        [],
        [],
        ["covid_oximetry.spo2_borderline", "covid_oximetry.spo2_fall_from_baseline"],
        ["covid_oximetry.spo2_borderline", "covid_oximetry.spo2_fall_from_baseline"],
        ["covid_oximetry.spo2_low", "covid_oximetry.spo2_fall_from_baseline"],
    ]


def test_a_stricter_proposed_rule_set_raises_more_findings_on_the_same_readings() -> None:
    readings = [(START, 97.0), (START + timedelta(hours=8), 95.0)]
    current = default_rule_set()
    proposed = rule_set_from_mapping(
        {"name": "proposed", "version": "2", "covid_oximetry": {"review_spo2_max": 95}}, base=current
    )
    assert covid_oximetry.evaluate(readings, current) == []
    (finding,) = covid_oximetry.evaluate(readings, proposed)
    assert finding.rule_id == "covid_oximetry.spo2_borderline"
    assert finding.rule_set_version == "proposed@2"
