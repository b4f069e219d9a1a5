"""FHIR date, dateTime and instant values as half-open UTC ranges, the way FHIR search compares them.

A value stands for the whole period of its precision (FHIR R4 §3.1.1.4.3, "date"): `2024` is the year,
`2024-03` the month, `2024-03-05` the day, `2024-03-05T10:00:00Z` the second. A value without a timezone
is read as UTC (an assumption: FHIR leaves it to the server).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
_SECOND = timedelta(seconds=1)

_PATTERN = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?",
    re.ASCII,
)

_WHOLE_SECOND_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", re.ASCII)


@dataclass(frozen=True)
class DateRange:
    """The half-open UTC period [low, high) a FHIR date value stands for."""

    low: datetime
    high: datetime


def _zone(text: str | None) -> timedelta:
    if text is None or text == "Z":
        return timedelta(0)
    sign = -1 if text[0] == "-" else 1
    return sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6]))


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    return moment.replace(year=moment.year + index // 12, month=index % 12 + 1)


def _whole_second_utc(text: str) -> datetime | None:
    """`YYYY-MM-DDThh:mm:ssZ`, the form nearly every reading takes, read without the groups of _PATTERN."""
    if len(text) != 20 or not _WHOLE_SECOND_UTC.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text)  # checks the ranges; reads Z as UTC
    except ValueError:
        return None  # the general path says what is wrong


def parse_range(text: str) -> DateRange:
    """The period a FHIR date/dateTime/instant stands for; ValueError naming the text if it is not one."""
    low = _whole_second_utc(text) if type(text) is str else None
    if low is not None:
        return DateRange(low, low + _SECOND)
    match = _PATTERN.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"{text!r} is not a FHIR date or dateTime (e.g. 2024, 2024-03-05, 2024-03-05T10:00:00Z)"
        )
    part = match.groupdict()
    try:
        low = datetime(
            int(part["year"]),
            int(part["month"] or 1),
            int(part["day"] or 1),
            int(part["hour"] or 0),
            int(part["minute"] or 0),
            int(part["second"] or 0),
            int((part["fraction"] or "0").ljust(6, "0")[:6]),
            tzinfo=UTC,
        )
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date: {exc}") from None
    if part["hour"] is not None:
        low -= _zone(part["zone"])
    if part["month"] is None:
        high = low.replace(year=low.year + 1) if low.year < 9999 else LATEST
    elif part["day"] is None:
        high = _add_months(low, 1) if (low.year, low.month) != (9999, 12) else LATEST
    elif part["hour"] is None:
        high = low + timedelta(days=1) if low.date() < LATEST.date() else LATEST
    elif part["second"] is None:
        high = low + timedelta(minutes=1)
    elif part["fraction"] is None:
        high = low + timedelta(seconds=1)
    else:
        high = low + timedelta(microseconds=10 ** max(0, 6 - len(part["fraction"])))
    return DateRange(low, high)


def period_range(start: str | None, end: str | None) -> DateRange:
    """A FHIR Period: from the start of `start` to the end of `end`; a missing end is still open."""
    low = parse_range(start).low if start else EARLIEST
    high = parse_range(end).high if end else LATEST
    return DateRange(low, max(high, low))


@lru_cache(maxsize=256)  # a batch stamps every resource and response with the same instant
def format_instant(moment: datetime) -> str:
    """A FHIR instant in UTC with millisecond precision, e.g. 2024-03-05T10:00:00.000Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
