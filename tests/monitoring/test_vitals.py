"""Readings are checked for LOINC code, UCUM unit and physiological range before anything scores them."""

import math
import re

import pytest

from joinedup.monitoring.vitals import VITAL_SIGNS, ReadingRejected, validate_reading


@pytest.mark.parametrize(
    ("code", "value", "unit", "parameter"),
    [
        ("8867-4", 72, "/min", "pulse"),
        ("9279-1", 16, "/min", "respiration_rate"),
        ("59408-5", 96, "%", "spo2"),
        ("2708-6", 95.5, "%", "spo2"),
        ("8480-6", 128, "mm[Hg]", "systolic_bp"),
        ("8310-5", 37.2, "Cel", "temperature"),
        ("29463-7", 81.4, "kg", "body_weight"),
    ],
)
def test_ordinary_readings_are_accepted_as_they_are(
    code: str, value: float, unit: str, parameter: str
) -> None:
    reading = validate_reading(code, value, unit)
    assert reading.parameter == parameter
    assert reading.value == value
    assert not reading.needs_review
    assert reading.review_reason is None


@pytest.mark.parametrize(
    ("code", "unit"),
    [
        ("8310-5", "[degF]"),
        ("8310-5", "C"),
        ("29463-7", "[lb_av]"),
        ("29463-7", "g"),
        ("8480-6", "mmHg"),
        ("59408-5", "1"),
        ("8867-4", "{beats}/min"),
    ],
)
def test_a_reading_in_the_wrong_unit_is_rejected_naming_the_right_one(code: str, unit: str) -> None:
    with pytest.raises(ReadingRejected, match=re.escape(f"UCUM unit '{VITAL_SIGNS[code].unit}'")) as caught:
        validate_reading(code, 50, unit)
    assert caught.value.code == code and caught.value.unit == unit


def test_fahrenheit_value_labelled_celsius_is_rejected_as_impossible() -> None:
    with pytest.raises(ReadingRejected, match="possible range"):
        validate_reading("8310-5", 98.6, "Cel")


def test_an_unknown_code_is_rejected_listing_the_accepted_codes() -> None:
    with pytest.raises(ReadingRejected, match=r"unknown LOINC code.*8867-4"):
        validate_reading("1234-5", 10, "/min")


@pytest.mark.parametrize(
    ("code", "value", "unit"),
    [
        ("59408-5", 101, "%"),
        ("59408-5", -1, "%"),
        ("8867-4", -3, "/min"),
        ("8867-4", 400, "/min"),
        ("9279-1", 150, "/min"),
        ("8480-6", 400, "mm[Hg]"),
        ("8310-5", 5.0, "Cel"),
        ("29463-7", 0, "kg"),
        ("29463-7", 1000, "kg"),
    ],
)
def test_impossible_values_are_rejected(code: str, value: float, unit: str) -> None:
    with pytest.raises(ReadingRejected, match="outside the possible range"):
        validate_reading(code, value, unit)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "96", None, True])
def test_a_value_that_is_not_a_finite_number_is_rejected(value: object) -> None:
    with pytest.raises(ReadingRejected, match="finite number"):
        validate_reading("59408-5", value, "%")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "value", "unit"),
    [
        ("59408-5", 65, "%"),
        ("8867-4", 22, "/min"),
        ("8867-4", 260, "/min"),
        ("9279-1", 2, "/min"),
        ("8480-6", 45, "mm[Hg]"),
        ("8310-5", 31.0, "Cel"),
        ("8310-5", 43.5, "Cel"),
        ("29463-7", 20, "kg"),
    ],
)
def test_possible_but_unusual_values_are_held_for_review_not_dropped(
    code: str, value: float, unit: str
) -> None:
    reading = validate_reading(code, value, unit)
    assert reading.needs_review
    assert reading.review_reason is not None and "usual range" in reading.review_reason
    assert reading.value == value


@pytest.mark.parametrize("code", sorted(VITAL_SIGNS))
def test_range_limits_are_inside_possible_limits_and_sourced(code: str) -> None:
    sign = VITAL_SIGNS[code]
    assert sign.possible[0] <= sign.plausible[0] < sign.plausible[1] <= sign.possible[1]
    assert "assumption" in sign.source
    assert not validate_reading(code, sign.plausible[0], sign.unit).needs_review
    assert not validate_reading(code, sign.plausible[1], sign.unit).needs_review
