"""Plotly figures (plain JSON) of a patient's vital signs, one small chart per sign. Pure."""

from __future__ import annotations

from typing import Any

from joinedup.record.timeline import Series

NHS_BLUE = "#005eb8"
# Where a reading starts to score in the RCP NEWS2 chart (2017): shaded so a change stands out.
NORMAL_BANDS = {
    "8867-4": (51, 90),
    "9279-1": (12, 20),
    "59408-5": (96, 100),
    "8480-6": (111, 219),
    "8310-5": (36.1, 38.0),
}


def figure(series: Series) -> dict[str, Any]:
    """One vital sign over time as a Plotly line-and-marker chart, with its NEWS2 no-score band shaded."""
    layout: dict[str, Any] = {
        "title": {"text": series.sign.chart_title, "font": {"size": 14}},
        "height": 240,
        "margin": {"l": 48, "r": 16, "t": 36, "b": 36},
        "xaxis": {"type": "date"},
        "yaxis": {"title": {"text": series.sign.unit}},
        "showlegend": False,
    }
    band = NORMAL_BANDS.get(series.sign.code)
    if band is not None:
        layout["shapes"] = [{
            "type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": band[0], "y1": band[1],
            "fillcolor": "#007f3b", "opacity": 0.08, "line": {"width": 0},
        }]  # fmt: skip
    trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "x": series.times,
        "y": series.values,
        "line": {"color": NHS_BLUE, "width": 2},
        "marker": {"size": 5},
        "name": series.sign.display,
        "hovertemplate": "%{x|%d %b %Y %H:%M}: %{y} " + series.sign.unit + "<extra></extra>",
    }
    return {"data": [trace], "layout": layout}


def vital_sign_figures(all_series: list[Series]) -> list[dict[str, Any]]:
    """A figure per vital sign with readings, with an id and a text alternative for the page."""
    return [
        {
            "id": f"chart-{s.sign.code}",
            "label": f"{s.sign.display}: {len(s.values)} readings, latest {s.values[-1]:g} {s.sign.unit}",
            "figure": figure(s),
        }
        for s in all_series
        if s.values
    ]
