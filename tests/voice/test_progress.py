"""Whether a measure moved, as plain functions: the verdict, how values read, and the chart's geometry."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joinedup.voice.progress import HEIGHT, WIDTH, Reading, chart, format_value, verdict

BEFORE, AFTER = date(2025, 4, 1), date(2025, 10, 1)


@pytest.mark.parametrize(
    ("readings", "desired", "expected"),
    [
        ([Reading(BEFORE, 10)], "up", "not measured yet"),
        ([Reading(BEFORE, 10), Reading(AFTER, 12)], "up", "better"),
        ([Reading(BEFORE, 10), Reading(AFTER, 12)], "down", "worse"),
        ([Reading(AFTER, 12), Reading(BEFORE, 10)], "down", "worse"),  # order of entry does not matter
        ([Reading(BEFORE, 10), Reading(AFTER, 10)], "up", "no clear change"),
        ([Reading(BEFORE, 0.15, 0.11, 0.19), Reading(AFTER, 0.17, 0.13, 0.21)], "down", "no clear change"),
        ([Reading(BEFORE, 0.15, 0.11, 0.19), Reading(AFTER, 0.95, 0.94, 0.97)], "down", "worse"),
        ([Reading(BEFORE, 0.95, 0.94, 0.97), Reading(AFTER, 0.15, 0.11, 0.19)], "down", "better"),
    ],
)
def test_verdict_compares_the_latest_reading_with_the_baseline(
    readings: list[Reading], desired: str, expected: str
) -> None:
    assert verdict(readings, desired) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (0.1234, "share", "12.3%"),
        (256.0, "beds", "256 beds"),
        (1.0, "service running", "running"),
        (0.0, "service running", "not running"),
        (1234.5, "people waiting", "1,234.5 people waiting"),
    ],
)
def test_values_read_as_the_public_reads_them(value: float, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown


@given(st.lists(st.tuples(st.integers(0, 3650), st.floats(0, 1e6, allow_nan=False)), min_size=2, max_size=12))
def test_every_point_of_a_chart_is_inside_it_and_zero_is_at_the_bottom(
    points: list[tuple[int, float]],
) -> None:
    readings = [Reading(BEFORE + timedelta(days=d), v) for d, v in points]
    drawn = chart(readings, "people waiting", "a figure")
    assert drawn is not None and len(drawn.points) == len(readings)
    for point in drawn.points:
        assert drawn.left <= point.x <= WIDTH and drawn.top <= point.y <= drawn.bottom <= HEIGHT
    lowest = min(v for _, v in points)
    if lowest == 0:
        assert max(p.y for p in drawn.points) == drawn.bottom


def test_a_higher_value_is_drawn_higher() -> None:
    drawn = chart([Reading(BEFORE, 16), Reading(AFTER, 10)], "beds", "Beds")
    assert (
        drawn is not None and drawn.points[0].y < drawn.points[1].y and drawn.points[0].x < drawn.points[1].x
    )
    assert chart([Reading(BEFORE, 16)], "beds", "Beds") is None
