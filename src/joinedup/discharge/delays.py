"""Days waited by a medically fit patient, and delayed bed-days. Pure.

NHS England's acute discharge situation report counts a patient as delayed from the day they are ready for
discharge (the "discharge ready date") until the day they leave; each of those days is a delayed bed-day.
Here the ready date is the date the referral gives as medically fit (else the day it was raised) and the
wait ends when the referral is closed or cancelled (else it runs to the day asked about).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


def days_waited(ready_on: date, ended_on: date | None, on: date) -> int:
    """Whole days from `ready_on` to `ended_on` (or to `on` while the wait goes on); never negative."""
    end = min(ended_on, on) if ended_on is not None else on
    return max((end - ready_on).days, 0)


@dataclass(frozen=True)
class Wait:
    """One open referral's wait: whose, where, since when."""

    nhs_number: str
    site_id: str
    pool_id: str
    ready_on: date


def delayed_bed_days(waits: Iterable[Wait], on: date) -> dict[str, tuple[int, int]]:
    """Per pool, (delayed patients, delayed bed-days so far) on `on` among waits already begun.

    A patient waiting on two referrals holds one bed: counted once, with the longer wait.
    """
    longest: dict[tuple[str, str], int] = {}
    for wait in waits:
        if wait.ready_on > on:
            continue
        key = (wait.pool_id, wait.nhs_number)
        longest[key] = max(longest.get(key, 0), days_waited(wait.ready_on, None, on))
    totals: dict[str, tuple[int, int]] = {}
    for (pool_id, _), days in longest.items():
        patients, bed_days = totals.get(pool_id, (0, 0))
        totals[pool_id] = (patients + 1, bed_days + days)
    return totals
