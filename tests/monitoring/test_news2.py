"""NEWS2 against the Royal College of Physicians' 2017 chart: every band boundary, both SpO2 scales."""

import dataclasses
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joinedup.monitoring.news2 import (
    PARAMETERS,
    RISK_ORDER,
    News2Score,
    partial_score,
    risk_for,
    score,
)

# A set that scores 0 on every parameter; each case changes one parameter.
NORMAL: dict[str, Any] = {
    "respiration_rate": 16,
    "spo2": 97,
    "on_oxygen": False,
    "systolic_bp": 120,
    "pulse": 70,
    "consciousness": "A",
    "temperature": 37.0,
}


def score_with(**changes: Any) -> News2Score:
    return score(**{**NORMAL, **changes})


def only_component(result: News2Score, name: str) -> int:
    others = {key: value for key, value in result.components.items() if key != name}
    assert others == dict.fromkeys(others, 0), f"only {name} should score, got {result.components}"
    return result.components[name]


# (value, points) on both sides of every boundary of chart 1.
RESPIRATION_RATE = [(0, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (60, 3)]
SPO2_SCALE_1 = [(0, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)]
SYSTOLIC_BP = [(0, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3), (300, 3)]
PULSE = [
    (0, 3),
    (40, 3),
    (41, 1),
    (50, 1),
    (51, 0),
    (90, 0),
    (91, 1),
    (110, 1),
    (111, 2),
    (130, 2),
    (131, 3),
    (250, 3),
]
TEMPERATURE = [
    (30.0, 3),
    (35.0, 3),
    (35.1, 1),
    (36.0, 1),
    (36.1, 0),
    (38.0, 0),
    (38.1, 1),
    (39.0, 1),
    (39.1, 2),
    (42.0, 2),
]
CONSCIOUSNESS = [("A", 0), ("C", 3), ("V", 3), ("P", 3), ("U", 3)]
# Chart 2: SpO2 scale 2, on air and on oxygen.
SPO2_SCALE_2_AIR = [
    (0, 3),
    (83, 3),
    (84, 2),
    (85, 2),
    (86, 1),
    (87, 1),
    (88, 0),
    (92, 0),
    (93, 0),
    (94, 0),
    (96, 0),
    (97, 0),
    (100, 0),
]
SPO2_SCALE_2_OXYGEN = [
    (0, 3),
    (83, 3),
    (84, 2),
    (85, 2),
    (86, 1),
    (87, 1),
    (88, 0),
    (92, 0),
    (93, 1),
    (94, 1),
    (95, 2),
    (96, 2),
    (97, 3),
    (100, 3),
]


@pytest.mark.parametrize(("value", "points"), RESPIRATION_RATE)
def test_respiration_rate_band(value: int, points: int) -> None:
    result = score_with(respiration_rate=value)
    assert only_component(result, "respiration_rate") == points
    assert result.total == points


@pytest.mark.parametrize("on_oxygen", [False, True])
@pytest.mark.parametrize(("value", "points"), SPO2_SCALE_1)
def test_spo2_scale_1_band_is_the_same_on_air_and_on_oxygen(value: int, points: int, on_oxygen: bool) -> None:
    result = score_with(spo2=value, on_oxygen=on_oxygen)
    assert result.components["spo2"] == points
    assert result.components["air_or_oxygen"] == (2 if on_oxygen else 0)
    assert result.total == points + (2 if on_oxygen else 0)


@pytest.mark.parametrize(("value", "points"), SPO2_SCALE_2_AIR)
def test_spo2_scale_2_band_on_air(value: int, points: int) -> None:
    result = score_with(spo2=value, on_oxygen=False, spo2_scale=2)
    assert only_component(result, "spo2") == points
    assert result.spo2_scale == 2


@pytest.mark.parametrize(("value", "points"), SPO2_SCALE_2_OXYGEN)
def test_spo2_scale_2_band_on_oxygen(value: int, points: int) -> None:
    result = score_with(spo2=value, on_oxygen=True, spo2_scale=2)
    assert result.components["spo2"] == points
    assert result.components["air_or_oxygen"] == 2
    assert result.total == points + 2


def test_the_same_spo2_on_oxygen_scores_differently_on_the_two_scales() -> None:
    # 97% on oxygen: reassuring on scale 1, over-oxygenated on scale 2 (target 88-92%).
    assert score_with(spo2=97, on_oxygen=True, spo2_scale=1).components["spo2"] == 0
    assert score_with(spo2=97, on_oxygen=True, spo2_scale=2).components["spo2"] == 3
    # 88% on air: an emergency on scale 1, on target on scale 2.
    assert score_with(spo2=88, spo2_scale=1).components["spo2"] == 3
    assert score_with(spo2=88, spo2_scale=2).components["spo2"] == 0


def test_scale_1_is_the_default_and_the_scale_used_is_recorded_on_the_score() -> None:
    assert score_with().spo2_scale == 1
    assert score_with(spo2_scale=2).spo2_scale == 2
    assert partial_score(spo2=90, spo2_scale=2).spo2_scale == 2
    assert partial_score(spo2=90).spo2_scale == 1


@pytest.mark.parametrize(("on_oxygen", "points"), [(False, 0), (True, 2)])
def test_air_or_oxygen(on_oxygen: bool, points: int) -> None:
    assert score_with(on_oxygen=on_oxygen).components["air_or_oxygen"] == points


@pytest.mark.parametrize(("value", "points"), SYSTOLIC_BP)
def test_systolic_bp_band(value: int, points: int) -> None:
    assert only_component(score_with(systolic_bp=value), "systolic_bp") == points


@pytest.mark.parametrize(("value", "points"), PULSE)
def test_pulse_band(value: int, points: int) -> None:
    assert only_component(score_with(pulse=value), "pulse") == points


@pytest.mark.parametrize(("letter", "points"), CONSCIOUSNESS)
def test_consciousness_acvpu(letter: str, points: int) -> None:
    assert only_component(score_with(consciousness=letter), "consciousness") == points


@pytest.mark.parametrize(("value", "points"), TEMPERATURE)
def test_temperature_band(value: float, points: int) -> None:
    assert only_component(score_with(temperature=value), "temperature") == points


@pytest.mark.parametrize(
    ("changes", "value_name", "points"),
    [
        ({"respiration_rate": 20.4}, "respiration_rate", 0),
        ({"respiration_rate": 20.5}, "respiration_rate", 2),  # written on the chart as 21
        ({"pulse": 90.5}, "pulse", 1),
        ({"temperature": 36.04}, "temperature", 1),  # 36.0
        ({"temperature": 36.05}, "temperature", 0),  # 36.1
        ({"spo2": 95.5}, "spo2", 0),  # 96
    ],
)
def test_values_between_chart_rows_are_rounded_half_up_to_the_chart(
    changes: dict[str, float], value_name: str, points: int
) -> None:
    assert score_with(**changes).components[value_name] == points


def test_components_have_exactly_the_seven_chart_parameters() -> None:
    assert set(score_with().components) == {
        "respiration_rate",
        "spo2",
        "air_or_oxygen",
        "systolic_bp",
        "pulse",
        "consciousness",
        "temperature",
    }
    assert tuple(score_with().components) == PARAMETERS


@pytest.mark.parametrize(
    ("changes", "total", "risk"),
    [
        ({}, 0, "low"),
        ({"respiration_rate": 21}, 2, "low"),
        ({"respiration_rate": 21, "pulse": 111}, 4, "low"),
        ({"consciousness": "C"}, 3, "low-medium"),  # a 3 in one parameter
        ({"systolic_bp": 90, "temperature": 35.5}, 4, "low-medium"),
        ({"respiration_rate": 25, "pulse": 111}, 5, "medium"),
        ({"respiration_rate": 21, "pulse": 111, "temperature": 38.5}, 5, "medium"),
        ({"respiration_rate": 21, "pulse": 111, "temperature": 39.5}, 6, "medium"),
        ({"respiration_rate": 25, "pulse": 111, "temperature": 38.5, "on_oxygen": False}, 6, "medium"),
        ({"respiration_rate": 25, "pulse": 111, "on_oxygen": True}, 7, "high"),
        ({"respiration_rate": 21, "pulse": 111, "temperature": 38.5, "systolic_bp": 100}, 7, "high"),
    ],
)
def test_risk_bands_of_chart_3(changes: dict[str, Any], total: int, risk: str) -> None:
    result = score_with(**changes)
    assert result.total == total
    assert result.risk == risk


def test_the_highest_possible_score_is_20_and_high() -> None:
    result = score(
        respiration_rate=30,
        spo2=80,
        on_oxygen=True,
        systolic_bp=80,
        pulse=140,
        consciousness="U",
        temperature=34.0,
    )
    assert result.total == 20
    assert result.risk == "high"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"consciousness": "X"}, "ACVPU"),
        ({"consciousness": "a"}, "ACVPU"),
        ({"consciousness": "Alert"}, "ACVPU"),
        ({"consciousness": ""}, "ACVPU"),
        ({"spo2": 101}, "0 to 100"),
        ({"spo2": -1}, "0 to 100"),
        ({"respiration_rate": -1}, "negative"),
        ({"pulse": -5}, "negative"),
        ({"systolic_bp": -10}, "negative"),
        ({"spo2_scale": 0}, "1 or 2"),
        ({"spo2_scale": 3}, "1 or 2"),
        ({"spo2_scale": True}, "1 or 2"),
        ({"temperature": 98.6}, "Fahrenheit"),
        ({"temperature": 5.0}, "Celsius"),
        ({"respiration_rate": math.nan}, "finite"),
        ({"spo2": math.nan}, "finite"),
        ({"systolic_bp": math.inf}, "finite"),
        ({"pulse": math.nan}, "finite"),
        ({"temperature": math.nan}, "finite"),
        ({"pulse": "80"}, "number"),
        ({"pulse": True}, "number"),
        ({"on_oxygen": "yes"}, "True or False"),
        ({"on_oxygen": None}, "True or False"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        score_with(**changes)


def test_a_score_cannot_be_changed_after_it_is_made() -> None:
    result = score_with()
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total = 99  # type: ignore[misc]


@pytest.mark.parametrize(
    ("total", "has_three", "risk"),
    [
        (0, False, "low"),
        (4, False, "low"),
        (3, True, "low-medium"),
        (4, True, "low-medium"),
        (5, False, "medium"),
        (5, True, "medium"),
        (6, True, "medium"),
        (7, False, "high"),
        (20, True, "high"),
    ],
)
def test_risk_for_follows_chart_3(total: int, has_three: bool, risk: str) -> None:
    assert risk_for(total, has_three) == risk


# Property tests over the whole input space of the chart.
observation_sets = st.fixed_dictionaries(
    {
        "respiration_rate": st.integers(0, 80),
        "spo2": st.integers(0, 100),
        "on_oxygen": st.booleans(),
        "systolic_bp": st.integers(0, 300),
        "pulse": st.integers(0, 300),
        "consciousness": st.sampled_from(["A", "C", "V", "P", "U"]),
        "temperature": st.integers(250, 450).map(lambda tenths: tenths / 10),
        "spo2_scale": st.sampled_from([1, 2]),
    }
)


@given(observation_sets)
def test_total_is_the_sum_of_components_and_risk_follows(observations: dict[str, Any]) -> None:
    result = score(**observations)
    assert tuple(result.components) == PARAMETERS
    assert result.total == sum(result.components.values())
    assert all(0 <= points <= 3 for points in result.components.values())
    assert 0 <= result.total <= 20
    assert result.risk == risk_for(result.total, 3 in result.components.values())


@given(st.integers(0, 20), st.integers(0, 20), st.booleans(), st.booleans())
def test_risk_never_falls_as_the_total_or_a_red_score_rises(
    total_a: int, total_b: int, three_a: bool, three_b: bool
) -> None:
    low, high = sorted((total_a, total_b))
    for has_three in (False, True):
        assert RISK_ORDER.index(risk_for(low, has_three)) <= RISK_ORDER.index(risk_for(high, has_three))
    assert RISK_ORDER.index(risk_for(low, False)) <= RISK_ORDER.index(risk_for(low, True))


# Honest NEWS2: partial sets.
def test_a_complete_partial_score_is_the_full_score() -> None:
    result = partial_score(**NORMAL, spo2_scale=1)
    assert result.is_complete
    assert result.missing == ()
    assert result.score == score(**NORMAL)
    assert result.describe() == "NEWS2 0 (low)"


def test_a_partial_set_lists_what_is_missing_and_has_no_full_score() -> None:
    result = partial_score(respiration_rate=26, pulse=115)
    assert not result.is_complete
    assert result.score is None
    assert result.subtotal == 5
    assert result.components == {"respiration_rate": 3, "pulse": 2}
    assert result.missing == ("spo2", "air_or_oxygen", "systolic_bp", "consciousness", "temperature")
    assert result.minimum_risk == "medium"
    assert "partial" in result.describe() and "at least 5" in result.describe()
    assert not hasattr(result, "total")


def test_scale_2_spo2_of_93_or_more_cannot_be_scored_without_air_or_oxygen() -> None:
    result = partial_score(spo2=95, spo2_scale=2)
    assert "spo2" in result.missing and "air_or_oxygen" in result.missing
    assert result.subtotal == 0


def test_scale_2_spo2_of_92_or_less_scores_without_air_or_oxygen() -> None:
    assert partial_score(spo2=85, spo2_scale=2).components == {"spo2": 2}
    assert partial_score(spo2=90, spo2_scale=2).components == {"spo2": 0}


def test_scale_1_spo2_scores_without_air_or_oxygen() -> None:
    result = partial_score(spo2=92)
    assert result.components == {"spo2": 2}
    assert "air_or_oxygen" in result.missing


def test_partial_score_refuses_bad_values_like_score() -> None:
    with pytest.raises(ValueError, match="ACVPU"):
        partial_score(consciousness="Z")
    with pytest.raises(ValueError, match="0 to 100"):
        partial_score(spo2=120)
    with pytest.raises(ValueError, match="1 or 2"):
        partial_score(spo2_scale=4)


@given(observation_sets, st.sets(st.sampled_from(list(NORMAL))))
def test_a_partial_set_never_shows_more_reassurance_than_the_full_set(
    observations: dict[str, Any], dropped: set[str]
) -> None:
    full = score(**observations)
    present: dict[str, Any] = {k: (None if k in dropped else v) for k, v in observations.items()}
    partial = partial_score(**present)
    assert partial.subtotal <= full.total
    assert RISK_ORDER.index(partial.minimum_risk) <= RISK_ORDER.index(full.risk)
    assert partial.subtotal == sum(partial.components.values())
    assert set(partial.components).isdisjoint(partial.missing)
    assert set(partial.components) | set(partial.missing) == set(PARAMETERS)
    assert partial.is_complete is (not dropped)
    for name, points in partial.components.items():
        assert full.components[name] == points
