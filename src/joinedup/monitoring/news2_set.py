"""Honest NEWS2: the latest set of a patient's readings scored as it is, partial or stale said out loud.

A set is the latest reading of each NEWS2 parameter taken within `SET_WINDOW` of the newest one (readings
taken in one sitting). A set missing any parameter is a partial score (RCP NEWS2 2017 scores only complete
sets); a set older than the patient's schedule allows is stale. Neither is ever shown as a plain total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from joinedup.monitoring.news2 import PartialNews2Score, partial_score
from joinedup.monitoring.rules.missed_readings import is_stale

SET_WINDOW = timedelta(hours=1)
"""assumption: readings within an hour of the newest one were taken in the same sitting."""

SET_PARAMETERS = ("respiration_rate", "spo2", "systolic_bp", "pulse", "temperature", "consciousness")
"""The NEWS2 parameters a patient or device sends (air or oxygen comes from the monitoring plan)."""

Latest = Mapping[str, tuple[datetime, float | str]]
"""The latest reading of each parameter: when it was taken and its value (ACVPU as a letter)."""


@dataclass(frozen=True)
class HonestNews2:
    """The latest NEWS2 of a patient, with what is missing and whether it is too old to be current."""

    taken_at: datetime
    scored: PartialNews2Score
    is_stale: bool
    age_hours: float

    @property
    def is_partial(self) -> bool:
        return not self.scored.is_complete

    @property
    def value(self) -> int:
        """The total of a complete set, else the subtotal (which the full score can only exceed)."""
        return self.scored.score.total if self.scored.score is not None else self.scored.subtotal

    @property
    def risk(self) -> str:
        """The chart 3 risk of a complete set, else the least risk the complete set could have."""
        return self.scored.score.risk if self.scored.score is not None else self.scored.minimum_risk

    def label(self) -> str:
        """How the board shows it: `NEWS2 5 (medium)`, `NEWS2 at least 3, partial: ...`, `...; stale`."""
        text = self.scored.describe()
        if self.scored.spo2_scale == 2:
            text += " [SpO2 scale 2]"
        if self.is_stale:
            text += f"; stale: taken {self.age_hours:.0f} h ago"
        return text


def latest_set(
    latest: Latest, window: timedelta = SET_WINDOW
) -> tuple[datetime, dict[str, float | str]] | None:
    """The newest set of NEWS2 readings: its time and each parameter's value; None without any reading."""
    present = {p: latest[p] for p in SET_PARAMETERS if p in latest}
    if not present:
        return None
    taken_at = max(at for at, _ in present.values())
    values = {p: value for p, (at, value) in present.items() if at >= taken_at - window}
    return taken_at, values


def honest_news2(
    latest: Latest, *, on_oxygen: bool | None, spo2_scale: int, now: datetime, max_age_hours: float
) -> HonestNews2 | None:
    """Score the latest set as it stands; None when the patient has sent no NEWS2 reading yet."""
    found = latest_set(latest)
    if found is None:
        return None
    taken_at, values = found

    def number(name: str) -> float | None:
        value = values.get(name)
        return float(value) if isinstance(value, int | float) else None

    consciousness = values.get("consciousness")
    scored = partial_score(
        respiration_rate=number("respiration_rate"),
        spo2=number("spo2"),
        on_oxygen=on_oxygen,
        systolic_bp=number("systolic_bp"),
        pulse=number("pulse"),
        consciousness=consciousness if isinstance(consciousness, str) else None,
        temperature=number("temperature"),
        spo2_scale=spo2_scale,
    )
    age = max((now - taken_at).total_seconds() / 3600, 0.0)
    stale = is_stale(taken_at, now, max_age_hours) if taken_at <= now else False
    return HonestNews2(taken_at, scored, stale, age)
