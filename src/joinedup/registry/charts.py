"""Plotly figure specifications (plain dicts) for the registry's pages: beds by setting, beds over time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from joinedup.registry.answers import PoolHistory

# NHS identity colours (NHS England, "NHS colours"): blue, dark blue, green, purple, warm yellow, aqua green.
NHS_COLOURS = ["#005eb8", "#003087", "#007f3b", "#330072", "#ffb81c", "#00a499", "#ae2573", "#768692"]
FONT = {"family": "Frutiger W01, Arial, sans-serif", "size": 14, "color": "#212b32"}


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "font": FONT,
        "colorway": NHS_COLOURS,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        **extra,
    }


def beds_by_setting_bar(beds_by_setting: dict[str, int], on: date) -> dict[str, Any]:
    """A bar per care setting: how many beds the system has that day."""
    settings = list(beds_by_setting)
    return {
        "data": [
            {
                "type": "bar",
                "x": [setting.capitalize() for setting in settings],
                "y": [beds_by_setting[setting] for setting in settings],
                "text": [f"{beds_by_setting[setting]:,}" for setting in settings],
                "textposition": "auto",
                "marker": {"color": NHS_COLOURS[0]},
                "hovertemplate": "%{x}: %{y:,} beds<extra></extra>",
            }
        ],
        "layout": _layout(
            f"Beds by setting on {on.day} {on:%B %Y}",
            yaxis={"title": {"text": "Beds"}, "rangemode": "tozero"},
        ),
    }


def step_points(steps: Sequence[Any], until: date) -> tuple[list[str], list[int]]:
    """(x, y) of a step line: each period's beds from its start, 0 in gaps and after a close.

    An open period is drawn up to `until` (today), so the line shows how many beds there are now.
    """
    xs: list[str] = []
    ys: list[int] = []
    ordered = sorted(steps, key=lambda step: step.start)
    for index, step in enumerate(ordered):
        xs.append(step.start.isoformat())
        ys.append(step.beds)
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        if step.end is not None and (following is None or following.start != step.end):
            xs.append(step.end.isoformat())
            ys.append(0)
        elif step.end is None:
            xs.append(max(until, step.start).isoformat())
            ys.append(step.beds)
    return xs, ys


def beds_over_time(pools: Sequence[PoolHistory], until: date) -> dict[str, Any]:
    """A step line per bed pool: its beds over time, as the registry records them."""
    traces = []
    for pool in pools:
        if not pool.steps:
            continue
        xs, ys = step_points(pool.steps, until)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "line": {"shape": "hv", "width": 3},
                "name": pool.name,
                "x": xs,
                "y": ys,
                "hovertemplate": f"{pool.name}: %{{y}} beds from %{{x}}<extra></extra>",
            }
        )
    layout = _layout(
        "Beds over time",
        xaxis={"type": "date"},
        yaxis={"title": {"text": "Beds"}, "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.15},
    )
    return {"data": traces, "layout": layout}
