"""Days as people type them (YYYY-MM-DD), checked once for every edge: CLI, pages and API."""

from __future__ import annotations

import re
from datetime import date

from joinedup.errors import Invalid

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(text: str, what: str) -> date:
    """`text` as a date; Invalid naming `what` (e.g. '--on') when it is not a real YYYY-MM-DD day."""
    value = text.strip()
    if _ISO_DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid(f"{what}: '{text}' is not a date in the form YYYY-MM-DD (for example 1960-06-01).")
