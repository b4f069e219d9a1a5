"""Days waited and delayed bed-days: the arithmetic, and the workflow's allowed steps."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joinedup.discharge import delays, workflow
from joinedup.errors import Conflict

DAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("ready", "ended", "on", "days"),
    [
        (date(2026, 3, 1), None, DAY, 9),
        (date(2026, 3, 1), date(2026, 3, 4), DAY, 3),
        (date(2026, 3, 1), date(2026, 3, 20), DAY, 9),  # asked before it ended
        (DAY, None, DAY, 0),
        (date(2026, 3, 12), None, DAY, 0),  # not yet fit
    ],
)
def test_days_waited(ready: date, ended: date | None, on: date, days: int) -> None:
    assert delays.days_waited(ready, ended, on) == days


def test_one_bed_per_patient_with_the_longest_wait() -> None:
    waits = [
        delays.Wait("1", "lri", "lri-acute", DAY - timedelta(days=5)),
        delays.Wait("1", "lri", "lri-acute", DAY - timedelta(days=2)),
        delays.Wait("2", "lri", "lri-acute", DAY - timedelta(days=1)),
        delays.Wait("3", "lgh", "lgh-acute", DAY + timedelta(days=1)),
    ]
    assert delays.delayed_bed_days(waits, DAY) == {"lri-acute": (2, 6)}


@given(st.lists(st.integers(min_value=0, max_value=400), max_size=30))
def test_bed_days_are_the_sum_of_each_patients_wait(waits_days: list[int]) -> None:
    waits = [delays.Wait(str(i), "s", "p", DAY - timedelta(days=d)) for i, d in enumerate(waits_days)]
    totals = delays.delayed_bed_days(waits, DAY)
    assert totals.get("p", (0, 0)) == ((len(waits_days), sum(waits_days)) if waits_days else (0, 0))


@pytest.mark.parametrize(
    ("status", "action", "after"),
    [
        ("raised", "accepted", "accepted"),
        ("accepted", "updated", "in-progress"),
        ("in-progress", "updated", "in-progress"),
        ("in-progress", "closed", "closed"),
        ("accepted", "closed", "closed"),
        ("raised", "cancelled", "cancelled"),
        ("in-progress", "cancelled", "cancelled"),
    ],
)
def test_allowed_steps(status: str, action: str, after: str) -> None:
    assert workflow.next_status(status, action) == after


@pytest.mark.parametrize(
    ("status", "action"),
    [("raised", "closed"), ("raised", "updated"), ("closed", "accepted"), ("cancelled", "cancelled")],
)
def test_steps_not_allowed_conflict(status: str, action: str) -> None:
    with pytest.raises(Conflict):
        workflow.next_status(status, action)
