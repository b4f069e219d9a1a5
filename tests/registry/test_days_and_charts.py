"""Pure pieces: days as people type them, and the points of a bed pool's step chart."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joinedup.errors import Invalid
from joinedup.registry.charts import step_points
from joinedup.registry.days import parse_day


@given(st.dates(min_value=date(1000, 1, 1)))
def test_every_iso_day_reads_back_as_itself(day: date) -> None:
    assert parse_day(day.isoformat(), "--on") == day


@pytest.mark.parametrize("text", ["1960-13-01", "1960-02-30", "1960-6-1", "19600601", "yesterday", ""])
def test_anything_but_a_real_yyyy_mm_dd_day_is_invalid(text: str) -> None:
    with pytest.raises(Invalid, match=r"--on: .* is not a date in the form YYYY-MM-DD"):
        parse_day(text, "--on")


def _step(start: date, end: date | None, beds: int) -> SimpleNamespace:
    return SimpleNamespace(start=start, end=end, beds=beds)


def test_a_pool_that_shrinks_closes_and_reopens_is_drawn_with_a_gap_at_zero() -> None:
    steps = [
        _step(date(2016, 4, 1), date(2018, 4, 1), 430),
        _step(date(2018, 4, 1), date(2020, 4, 1), 300),
        _step(date(2021, 1, 1), None, 50),
    ]
    xs, ys = step_points(steps, until=date(2025, 1, 1))
    assert list(zip(xs, ys, strict=True)) == [
        ("2016-04-01", 430),
        ("2018-04-01", 300),
        ("2020-04-01", 0),
        ("2021-01-01", 50),
        ("2025-01-01", 50),
    ]


@st.composite
def histories(draw: st.DrawFn) -> list[SimpleNamespace]:
    """Non-overlapping capacity periods, as the loader guarantees."""
    day = draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 1, 1)))
    steps = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        length = draw(st.integers(min_value=1, max_value=3000))
        beds = draw(st.integers(min_value=0, max_value=2000))
        steps.append(_step(day, day + timedelta(days=length), beds))
        day += timedelta(days=length + draw(st.integers(min_value=0, max_value=400)))
    if draw(st.booleans()):
        steps[-1].end = None
    return steps


@given(histories(), st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 1, 1)))
def test_a_step_line_only_moves_forward_and_shows_only_recorded_beds_or_zero(
    steps: list[SimpleNamespace], until: date
) -> None:
    xs, ys = step_points(steps, until=until)
    assert xs == sorted(xs)
    assert set(ys) <= {s.beds for s in steps} | {0}
    assert xs[0] == steps[0].start.isoformat() and ys[0] == steps[0].beds
