"""FHIR date values as ranges, per FHIR R4 §3.1.1.4.3 (a value stands for its whole precision)."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joinedup.fhir.datetimes import LATEST, format_instant, parse_range, period_range


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("2024", utc(2024, 1, 1), utc(2025, 1, 1)),
        ("2024-02", utc(2024, 2, 1), utc(2024, 3, 1)),
        ("2024-12", utc(2024, 12, 1), utc(2025, 1, 1)),
        ("2024-02-29", utc(2024, 2, 29), utc(2024, 3, 1)),
        ("2024-03-05T10:00", utc(2024, 3, 5, 10), utc(2024, 3, 5, 10, 1)),
        ("2024-03-05T10:00:00Z", utc(2024, 3, 5, 10), utc(2024, 3, 5, 10, 0, 1)),
        ("2024-03-05T10:00:00+01:00", utc(2024, 3, 5, 9), utc(2024, 3, 5, 9, 0, 1)),
        (
            "2024-03-05T10:00:00.5-02:30",
            utc(2024, 3, 5, 12, 30, 0, 500000),
            utc(2024, 3, 5, 12, 30, 0, 600000),
        ),
    ],
)
def test_a_value_stands_for_the_whole_of_its_precision(text: str, low: datetime, high: datetime) -> None:
    found = parse_range(text)
    assert (found.low, found.high) == (low, high)


@pytest.mark.parametrize(
    "text", ["", "24", "2024-13", "2024-02-30", "2024-03-05T25:00", "yesterday", "2024/03/05"]
)
def test_text_that_is_not_a_fhir_date_is_refused_by_name(text: str) -> None:
    with pytest.raises(ValueError, match=r"2024|not"):
        parse_range(text)


def test_an_open_period_runs_to_the_end_of_time() -> None:
    found = period_range("2024-04-01", None)
    assert found.low == utc(2024, 4, 1) and found.high == LATEST


def test_a_period_covers_the_whole_of_its_last_day() -> None:
    found = period_range("2024-04-01", "2024-04-10")
    assert found.high == utc(2024, 4, 11)


def test_instants_are_written_in_utc_with_milliseconds() -> None:
    assert format_instant(utc(2024, 3, 5, 10, 0, 0, 123456)) == "2024-03-05T10:00:00.123Z"


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)))
def test_every_instant_falls_inside_its_own_range(moment: datetime) -> None:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + "Z"
    found = parse_range(text)
    assert found.low <= moment.replace(tzinfo=UTC, microsecond=0) < found.high
    assert parse_range(text[:10]).low <= found.low < found.high <= parse_range(text[:10]).high
