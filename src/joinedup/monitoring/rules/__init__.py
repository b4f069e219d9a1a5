"""Pure pathway rules: plain readings and a versioned rule set in, findings out (no database, no web).

Every finding names the rule that raised it and the rule-set version it was raised under, so the same
readings under the same rule set always give the same findings and can be replayed later.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Severity = Literal["emergency", "urgent", "review"]
"""emergency: 999 / A&E advice now; urgent: a clinician responds within the hour; review: same day."""

SEVERITY_ORDER: tuple[Severity, ...] = ("review", "urgent", "emergency")

Reading = tuple[datetime, float]
"""One measurement: when it was taken (timezone-aware) and its value in the rule's unit."""


@dataclass(frozen=True)
class Finding:
    """Something a rule found in a patient's readings that a clinician should see."""

    rule_id: str
    severity: Severity
    message: str
    at: datetime
    rule_set_version: str
    evidence: tuple[Reading, ...] = ()


def sorted_readings(readings: Sequence[Reading], what: str) -> list[Reading]:
    """The readings in time order; ValueError for a naive time or a value that is not a finite number."""
    for taken_at, value in readings:
        if taken_at.tzinfo is None or taken_at.utcoffset() is None:
            raise ValueError(f"{what} reading at {taken_at.isoformat()} has no time zone; use UTC")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{what} reading at {taken_at.isoformat()} is not a finite number: {value!r}")
    return sorted(readings, key=lambda reading: reading[0])
