"""Plotly figures for public voice: stories by month and sentiment, and themes by polarity."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import plotly.graph_objects as go

from joinedup.voice.schemas import ThemeCount, TrendRow

# NHS identity colours: green for praise, red for criticism, grey for neither, amber for both.
COLOURS = {"positive": "#007f3b", "negative": "#d5281b", "mixed": "#ffb81c", "neutral": "#768692"}


def _as_dict(figure: go.Figure) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(figure.to_json())
    return value


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title}, "margin": {"l": 60, "r": 20, "t": 50, "b": 60}, "height": 360,
        "font": {"family": "Frutiger W01, Arial, sans-serif"}, "legend": {"orientation": "h", "y": -0.2},
        **extra,
    }  # fmt: skip


def trend_figure(rows: list[TrendRow]) -> dict[str, Any]:
    """One organisation: stories a month stacked by sentiment; several: a line of stories for each."""
    organisations = sorted({r.organisation_name for r in rows})
    figure = go.Figure()
    if len(organisations) <= 1:
        months = [r.month for r in rows]
        for sentiment in ("positive", "mixed", "neutral", "negative"):
            figure.add_bar(
                x=months,
                y=[getattr(r, sentiment) for r in rows],
                name=sentiment.capitalize(),
                marker_color=COLOURS[sentiment],
            )
        figure.update_layout(**_layout("Stories by month and sentiment", barmode="stack"))
    else:
        by_org: dict[str, list[TrendRow]] = defaultdict(list)
        for r in rows:
            by_org[r.organisation_name].append(r)
        for name in organisations:
            figure.add_scatter(
                x=[r.month for r in by_org[name]],
                y=[r.stories for r in by_org[name]],
                mode="lines+markers",
                name=name,
            )
        figure.update_layout(**_layout("Stories by organisation and month"))
    figure.update_xaxes(title_text="Month", type="category")
    figure.update_yaxes(title_text="Stories", rangemode="tozero")
    return _as_dict(figure)


def theme_figure(themes: list[ThemeCount]) -> dict[str, Any]:
    """Each theme's mentions, split by polarity, most raised at the top."""
    ordered = list(reversed(themes))
    figure = go.Figure()
    for polarity in ("positive", "neutral", "negative"):
        figure.add_bar(
            y=[t.label for t in ordered],
            x=[getattr(t, polarity) for t in ordered],
            orientation="h",
            name=polarity.capitalize(),
            marker_color=COLOURS[polarity],
        )
    figure.update_layout(
        **_layout(
            "Themes by polarity",
            barmode="stack",
            height=max(300, 40 * len(themes) + 120),
            margin={"l": 240, "r": 20, "t": 50, "b": 60},
        )
    )
    figure.update_xaxes(title_text="Stories", rangemode="tozero")
    return _as_dict(figure)
