"""One self-contained HTML report of a run or a comparison: Plotly charts, the figures, the assumptions.

Plotly's JavaScript is inlined from the installed plotly package, so the file opens offline.
"""

from __future__ import annotations

from datetime import timedelta
from html import escape
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from joinedup.plan import report_resources
from joinedup.plan.results import Run, assumptions, comparison, sources, summary

COLOURS = ("#005eb8", "#da291c", "#009639", "#ed8b00", "#7c2855", "#00a499", "#425563", "#330072", "#ffb81c")
STYLE = """
body { font-family: Arial, sans-serif; margin: 2rem auto; max-width: 1100px; color: #212b32; }
h1, h2 { color: #005eb8; } table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border-bottom: 1px solid #d8dde0; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; } .note { color: #4c6272; }
"""


def render(run: Run) -> str:
    """The report of one run: occupancy over time per setting, demand by age band, figures, assumptions."""
    document = summary(run)
    sections = [
        f"<h1>{escape(run.compiled.name)}</h1>",
        _about(run),
        "<h2>Figures by pool</h2>",
        _figures_table(document),
        *_delays_section(document),
        *report_resources.run_sections(run, document),
        "<h2>Occupied beds over time</h2>",
        '<p class="note">Mean occupied beds each day with its 95% interval across replications; the dotted '
        "line is the beds open.</p>",
        *[
            _chart(_occupancy_chart(run, setting), f"occupancy-{k}")
            for k, setting in enumerate(_settings(run))
        ],
        "<h2>Demand by age band</h2>",
        _chart(_demand_chart([run]), "demand"),
        _assumptions_section([run]),
    ]
    return _page(run.compiled.name, sections)


def render_comparison(a: Run, b: Run) -> str:
    """The report of B against A: blocking and diversion before and after, occupancy of each, assumptions."""
    document = comparison(a, b)
    title = f"{b.compiled.name} against {a.compiled.name}"
    sections = [
        f"<h1>{escape(title)}</h1>",
        _about(a, "A: "),
        _about(b, "B: "),
        "<h2>Blocked and diverted, before (A) and after (B)</h2>",
        _chart(_blocking_chart(document), "blocking"),
        "<h2>Differences by pool (B minus A)</h2>",
        _differences_table(document),
        *report_resources.comparison_sections(a, b, document),
        "<h2>Occupied beds over time</h2>",
        *[
            _chart(_occupancy_chart(run, setting), f"occupancy-{label}-{k}")
            for label, run in (("a", a), ("b", b))
            for k, setting in enumerate(_settings(run))
        ],
        "<h2>Demand by age band</h2>",
        _chart(_demand_chart([a, b]), "demand"),
        _assumptions_section([a, b]),
    ]
    return _page(title, sections)


def _page(title: str, sections: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        + "\n".join(sections)
        + "</body></html>\n"
    )


def _about(run: Run, label: str = "") -> str:
    c = run.compiled
    start = c.scenario.start_date
    end = start + timedelta(days=c.horizon_days - 1)
    return (
        f'<p class="note">{escape(c.name)}: {run.replications} replications, seed {run.seed}, '
        f"{start.isoformat()} to {end.isoformat()} after a {c.warmup_days}-day warm-up. "
        f"{escape(c.scenario.description or '')}</p>"
    )


def _settings(run: Run) -> list[str]:
    """Settings with at least one pool that had beds or patients during the horizon (one chart each)."""
    settings = {pool.id: pool.setting or "other" for pool in run.compiled.scenario.pools}
    ids = run.compiled.pool_ids
    used = [settings.get(pool_id, "virtual") for n, pool_id in enumerate(ids) if _shown(run, n)]
    return list(dict.fromkeys(used))


def _shown(run: Run, n: int) -> bool:
    return bool(run.compiled.daily_beds[n].max() > 0 or run.daily_mean[n].max() > 0)


def _occupancy_chart(run: Run, setting: str) -> go.Figure:
    c = run.compiled
    settings = {pool.id: pool.setting or "other" for pool in c.scenario.pools}
    dates = [c.scenario.start_date + timedelta(days=d) for d in range(c.horizon_days)]
    figure = go.Figure()
    shown = [
        n
        for n, pool_id in enumerate(c.pool_ids)
        if settings.get(pool_id, "virtual") == setting and _shown(run, n)
    ]
    for k, n in enumerate(shown):
        colour = COLOURS[k % len(COLOURS)]
        band_x = dates + dates[::-1]
        band_y = np.concatenate([run.daily_high[n], run.daily_low[n][::-1]]).tolist()
        figure.add_trace(
            go.Scatter(
                x=band_x,
                y=band_y,
                fill="toself",
                line={"width": 0},
                opacity=0.25,
                fillcolor=colour,
                hoverinfo="skip",
                showlegend=False,
            )
        )
        figure.add_trace(
            go.Scatter(x=dates, y=run.daily_mean[n].tolist(), name=c.pool_ids[n], line={"color": colour})
        )
        figure.add_trace(
            go.Scatter(
                x=dates,
                y=c.daily_beds[n].tolist(),
                name=f"{c.pool_ids[n]} beds",
                line={"color": colour, "dash": "dot", "width": 1},
            )
        )
    figure.update_layout(
        title=f"{run.compiled.name}: {setting} beds",
        yaxis_title="occupied beds",
        height=380,
        margin={"t": 40, "b": 30},
    )
    return figure


def _blocking_chart(document: dict[str, Any]) -> go.Figure:
    figure = go.Figure()
    for label, key in (("A", "a"), ("B", "b")):
        pools = document[key]["pools"]
        for figure_name, word in (("blocked_fraction", "blocked"), ("diverted_fraction", "diverted")):
            means = [_percent(p[figure_name]["mean"]) for p in pools]
            plus = [_percent(p[figure_name]["high"], p[figure_name]["mean"]) for p in pools]
            figure.add_trace(
                go.Bar(
                    x=[p["id"] for p in pools],
                    y=means,
                    name=f"{word} ({label})",
                    error_y={"type": "data", "array": plus, "visible": True},
                )
            )
    figure.update_layout(barmode="group", yaxis_title="% of arrivals", height=420, margin={"t": 30})
    return figure


def _percent(value: float | None, minus: float | None = None) -> float | None:
    if value is None:
        return None
    return 100.0 * (value - (minus or 0.0))


def _demand_chart(runs: list[Run]) -> go.Figure:
    """Arrivals a day by age band: by pathway for one run, in total for each run of a comparison."""
    figure = go.Figure()
    if len(runs) == 1:
        for pathway, by_band in runs[0].compiled.demand_by_band.items():
            figure.add_trace(go.Bar(x=list(by_band), y=list(by_band.values()), name=pathway))
    else:
        for run in runs:
            totals: dict[str, float] = {}
            for by_band in run.compiled.demand_by_band.values():
                for band, arrivals in by_band.items():
                    totals[band] = totals.get(band, 0.0) + arrivals
            figure.add_trace(go.Bar(x=list(totals), y=list(totals.values()), name=run.compiled.name))
    figure.update_layout(
        barmode="stack" if len(runs) == 1 else "group",
        yaxis_title="arrivals a day",
        xaxis_title="age band",
        height=420,
        margin={"t": 30},
    )
    if not any(run.compiled.demand_by_band for run in runs):
        figure.add_annotation(
            text="arrivals are given per day, not from the population by age band", showarrow=False
        )
    return figure


def _chart(figure: go.Figure, div_id: str) -> str:
    html: str = pio.to_html(
        figure, include_plotlyjs=False, full_html=False, div_id=div_id, config={"displaylogo": False}
    )
    return html


def _cell(figure: dict[str, float | None], percent: bool = False) -> str:
    if figure["mean"] is None:
        return "–"
    scale, unit = (100.0, "%") if percent else (1.0, "")
    text = f"{figure['mean'] * scale:.1f}{unit}"
    if figure["low"] is not None and figure["high"] is not None:
        text += f" ({figure['low'] * scale:.1f}–{figure['high'] * scale:.1f})"
    return escape(text)


def _figures_table(document: dict[str, Any]) -> str:
    head = (
        "pool",
        "beds",
        "occupancy",
        "p95 daily occupancy",
        "days > 92%",
        "blocked",
        "diverted",
        "mean wait (days)",
        "p95 wait (days)",
        "bed-days",
    )
    rows = [
        [
            escape(p["id"]),
            f"{p['beds']}" + (f"→{p['beds_at_end']}" if p["beds_at_end"] != p["beds"] else ""),
            _cell(p["occupancy"], True),
            _cell(p["occupancy_p95"], True),
            _cell(p["days_above_92"]),
            _cell(p["blocked_fraction"], True),
            _cell(p["diverted_fraction"], True),
            _cell(p["wait_mean_days"]),
            _cell(p["wait_p95_days"]),
            _cell(p["bed_days"]),
        ]
        for p in document["pools"]
    ]
    return _table(head, rows) + f'<p class="note">Mean ({escape(document["interval"])}).</p>'


def _delays_section(document: dict[str, Any]) -> list[str]:
    """Delayed bed-days (medically fit, waiting to leave) by pool and reason; nothing if none."""
    pools = [p for p in document["pools"] if p["delayed_by_reason"] and p["delayed_bed_days"]["mean"]]
    if not pools:
        return []
    reasons = list(dict.fromkeys(reason for p in pools for reason in p["delayed_by_reason"]))
    head = ("pool", "delayed bed-days", "delayed patients", *reasons)
    rows = [
        [
            escape(p["id"]),
            _cell(p["delayed_bed_days"]),
            _cell(p["delayed_patients"]),
            *[_cell(p["delayed_by_reason"][reason]) for reason in reasons],
        ]
        for p in pools
    ]
    return [
        "<h2>Delayed discharges</h2>",
        '<p class="note">Bed-days in the horizon held by patients medically fit to leave but waiting, by '
        "reason; patients admitted in the horizon whose discharge was delayed.</p>",
        _table(head, rows),
    ]


def _differences_table(document: dict[str, Any]) -> str:
    head = ("pool", "beds A", "beds B", "occupancy", "blocked", "diverted", "mean wait (days)", "bed-days")
    rows = [
        [
            escape(d["id"]),
            str(d["beds_a"] if d["beds_a"] is not None else "–"),
            str(d["beds_b"] if d["beds_b"] is not None else "–"),
            _cell(d["occupancy"], True),
            _cell(d["blocked_fraction"], True),
            _cell(d["diverted_fraction"], True),
            _cell(d["wait_mean_days"]),
            _cell(d["bed_days"]),
        ]
        for d in document["differences"]
    ]
    return _table(head, rows) + f'<p class="note">{escape(document["difference"])}.</p>'


def _table(head: tuple[str, ...], rows: list[list[str]]) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _assumptions_section(runs: list[Run]) -> str:
    listed = list(dict.fromkeys(item for run in runs for item in assumptions(run.compiled)))
    cited = list(dict.fromkeys(item for run in runs for item in sources(run.compiled)))
    parts = ["<h2>Assumptions</h2><ul>", *[f"<li>{escape(item)}</li>" for item in listed], "</ul>"]
    if cited:
        parts += [
            "<h2>Changes and their sources</h2><ul>",
            *[f"<li>{escape(item)}</li>" for item in cited],
            "</ul>",
        ]
    return "".join(parts)
