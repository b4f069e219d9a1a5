"""Did a measure move the way people wanted? Plain functions over readings: the verdict, the values as the
public reads them, and the geometry of a small chart drawn as inline SVG (no database, no web).

A change counts only when it is larger than the uncertainty the readings carry: two planner figures whose 95%
intervals overlap are "no clear change" (a conservative reading of overlapping confidence intervals, as in
Cumming and Finch, "Inference by eye", American Psychologist 2005).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from joinedup.voice.action_schemas import ChartPoint, ChartRead, Direction, Verdict

WIDTH, HEIGHT = 320, 140
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 12, 28


@dataclass(frozen=True)
class Reading:
    """A value on a day, with its 95% interval when it is a forecast."""

    on: date
    value: float
    low: float | None = None
    high: float | None = None


def _overlap(a: Reading, b: Reading) -> bool:
    if a.low is None or a.high is None or b.low is None or b.high is None:
        return False
    return a.low <= b.high and b.low <= a.high


def verdict(readings: Sequence[Reading], desired: Direction) -> Verdict:
    """Compare the latest reading with the earliest (the baseline) in the direction that counts as better."""
    if len(readings) < 2:
        return "not measured yet"
    ordered = sorted(readings, key=lambda r: r.on)
    baseline, current = ordered[0], ordered[-1]
    if current.value == baseline.value or _overlap(baseline, current):
        return "no clear change"
    went_up = current.value > baseline.value
    return "better" if went_up == (desired == "up") else "worse"


def format_value(value: float, unit: str) -> str:
    """A value as the public reads it: shares as percentages, beds and counts as whole numbers."""
    if unit == "share":
        return f"{value:.1%}"
    if unit == "service running":
        return "running" if value >= 1 else "not running"
    if float(value).is_integer():
        return f"{int(value):,} {unit}"
    return f"{value:,.1f} {unit}"


def chart(readings: Sequence[Reading], unit: str, label: str) -> ChartRead | None:
    """Where each reading sits on a small chart (0 at the bottom, so a change is never exaggerated)."""
    if len(readings) < 2:
        return None
    ordered = sorted(readings, key=lambda r: r.on)
    highest = max(max(r.value, r.high or 0.0) for r in ordered)
    top = max(1.0, highest) if unit == "share" else (highest * 1.1 or 1.0)
    first, last = ordered[0].on.toordinal(), ordered[-1].on.toordinal()
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(index: int, on: date) -> float:
        share = (on.toordinal() - first) / (last - first) if last > first else index / (len(ordered) - 1)
        return round(LEFT + share * inner_w, 1)

    def y(value: float) -> float:
        return round(TOP + inner_h * (1 - value / top), 1)

    points = [
        ChartPoint(
            x=x(i, r.on), y=y(r.value),
            low_y=y(r.low) if r.low is not None else None, high_y=y(r.high) if r.high is not None else None,
            label=f"{r.on.strftime('%-d %b %Y')}: {format_value(r.value, unit)}",
        )
        for i, r in enumerate(ordered)
    ]  # fmt: skip
    return ChartRead(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        bottom=HEIGHT - BOTTOM,
        points=points,
        path=" ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(points)),
        top_label=format_value(top, unit) if unit == "share" else f"{top:,.0f}",
        bottom_label="0",
        first_label=ordered[0].on.strftime("%b %Y"),
        last_label=ordered[-1].on.strftime("%b %Y"),
        description=f"{label}: " + "; ".join(p.label for p in points),
    )
