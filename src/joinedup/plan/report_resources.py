"""The staff and money parts of a planner report: beds, staff and money side by side, FTE needed against
planned over time (Plotly), costs beside the gap, and where people a CHC cut no longer funds go."""

from __future__ import annotations

from datetime import timedelta
from html import escape
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from joinedup.plan import workforce
from joinedup.plan.resources import PENCE_A_POUND
from joinedup.plan.results import Run

NEED, PLANNED = "#005eb8", "#da291c"


def run_sections(run: Run, document: dict[str, Any]) -> list[str]:
    """HTML sections of one run: the side-by-side summary, staff, money."""
    staff, money = document["workforce"], document["costs"]
    parts = ["<h2>Beds, staff and money</h2>", _side_by_side(document)]
    parts += ["<h2>Staff</h2>", *_staff(run, staff)]
    parts += ["<h2>Money</h2>", *_money(money)]
    return parts


def comparison_sections(a: Run, b: Run, document: dict[str, Any]) -> list[str]:
    """HTML sections of B against A: the change in cost beside the gap, and in FTE needed."""
    money, staff = document["costs"], document["workforce"]
    gap = money["gap_pence"]
    rows = [
        ["change in cost over the horizon", _money_cell(money["change_pence"])],
        ["change in cost a year", _money_cell(money["change_per_year_pence"])],
        ["financial gap", _pounds(gap) if gap is not None else "–"],
        [
            "share of the gap closed a year",
            f"{100 * money['change_share_of_gap']:.1f}%" if money["change_share_of_gap"] is not None else "–",
        ],
    ]
    parts = ["<h2>Money (B minus A)</h2>", _table(("", "mean (95% interval)"), rows)]
    parts.append(
        '<p class="note">A saving is a negative change; the share of the gap closed is the yearly saving '
        "over the gap.</p>"
    )
    if staff["lines"]:
        rows = [
            [
                escape(f"{line['setting']} {line['staff_group']}"),
                _cell(line["fte_needed"]),
                f"{line['fte_planned']:+.1f}" if line["fte_planned"] is not None else "–",
            ]
            for line in staff["lines"]
        ]
        parts += [
            "<h2>Staff (B minus A)</h2>",
            _table(("setting and staff group", "FTE needed", "FTE planned (mean)"), rows),
        ]
    for label, run in (("A", a), ("B", b)):
        parts += [_chart(_staff_chart(run, k, line), f"staff-{label}-{k}") for k, line in _charted(run)]
    return parts


def _side_by_side(document: dict[str, Any]) -> str:
    system = document["system"]
    pools = document["pools"]
    beds = sum(p["beds"] for p in pools)
    beds_end = sum(p["beds_at_end"] for p in pools)
    bed_lines = [
        f"beds open: {beds}" + (f" → {beds_end}" if beds_end != beds else ""),
        f"occupied beds: {_cell(system['occupied_beds'])}",
        f"bed-days: {_cell(system['bed_days'], digits=0)}",
    ]
    staff_lines = [
        f"{escape(line['setting'])} {escape(line['staff_group'])}: needed {_cell(line['fte_needed'])}"
        + (f", planned {line['fte_planned']['mean']:,.0f}" if line["fte_planned"] else "")
        for line in document["workforce"]["lines"]
    ] or ["no staffing given"]
    staff_lines.append(f"pool-days open but unstaffed: {document['workforce']['days_unstaffed']}")
    money = document["costs"]
    money_lines = [f"cost a year: {_money_cell(money['total_per_year_pence'])}"]
    if money["gap_pence"] is not None:
        money_lines.append(f"financial gap: {_pounds(money['gap_pence'])}")
    cells = ["<br>".join(lines) for lines in (bed_lines, staff_lines, money_lines)]
    return _table(("beds", "staff (FTE)", "money"), [cells]) + (
        f'<p class="note">Mean ({escape(document["interval"])}).</p>'
    )


def _staff(run: Run, staff: dict[str, Any]) -> list[str]:
    if not staff["lines"]:
        return ['<p class="note">The scenario gives no staffing ratios or planned workforce.</p>']
    rows = [
        [
            escape(f"{line['setting']} {line['staff_group']}"),
            _cell(line["fte_needed"]),
            f"{line['fte_needed_peak_day']:,.1f}" if line["fte_needed_peak_day"] is not None else "–",
            _planned(line["fte_planned"]),
            _cell(line["days_short"], digits=0),
        ]
        for line in staff["lines"]
    ]
    head: tuple[str, ...] = (
        "setting and staff group",
        "FTE needed",
        "busiest day",
        "FTE planned",
        "days short",
    )
    parts = [_table(head, rows)]
    pool_rows = [
        [
            escape(p["pool"]),
            escape(p["staff_group"]),
            f"{p['fte_per_occupied_bed']:g}",
            _cell(p["fte_needed"]),
            f"{p['fte_for_open_beds']:,.1f}",
            str(p["days_unstaffed"]),
        ]
        for p in staff["pools"]
    ]
    if pool_rows:
        head = (
            "pool",
            "staff group",
            "FTE per occupied bed",
            "FTE needed",
            "FTE for open beds",
            "days unstaffed",
        )
        parts.append(_table(head, pool_rows))
    if staff["unstaffed"]:
        parts.append("<h3>Pools open but unstaffed (they run only their staffed beds)</h3>")
        head = ("pool", "from", "to", "days", "beds open", "beds staffed")
        periods = [
            [
                escape(p["pool"]),
                p["from"],
                p["to"],
                str(p["days"]),
                str(p["beds_open"]),
                str(p["beds_staffed"]),
            ]
            for p in staff["unstaffed"]
        ]
        parts.append(_table(head, periods))
    parts.append(
        '<p class="note">FTE needed is the staffing ratio times simulated occupied beds; the band is its 95% '
        "interval across replications, the red line the FTE planned.</p>"
    )
    parts += [_chart(_staff_chart(run, k, line), f"staff-{k}") for k, line in _charted(run)]
    return parts


def _charted(run: Run) -> list[tuple[int, workforce.StaffLine]]:
    c = run.compiled
    lines = workforce.staff_lines(c.scenario, c.pool_ids, c.total_days, c.warmup_days)
    staff = run.staff
    if staff is None:
        return []
    return [
        (k, line)
        for k, line in enumerate(lines)
        if line.weights.any() and (line.planned is not None or staff.daily_mean[k].max() > 0)
    ]


def _staff_chart(run: Run, k: int, line: workforce.StaffLine) -> go.Figure:
    c = run.compiled
    staff = run.staff
    dates = [c.scenario.start_date + timedelta(days=d) for d in range(c.horizon_days)]
    figure = go.Figure()
    if staff is not None:
        band = np.concatenate([staff.daily_high[k], staff.daily_low[k][::-1]]).tolist()
        figure.add_trace(
            go.Scatter(
                x=dates + dates[::-1],
                y=band,
                fill="toself",
                line={"width": 0},
                opacity=0.25,
                fillcolor=NEED,
                hoverinfo="skip",
                showlegend=False,
            )
        )
        figure.add_trace(
            go.Scatter(x=dates, y=staff.daily_mean[k].tolist(), name="FTE needed", line={"color": NEED})
        )
    if line.planned is not None:
        figure.add_trace(
            go.Scatter(
                x=dates,
                y=line.planned[c.warmup_days :].tolist(),
                name="FTE planned",
                line={"color": PLANNED, "dash": "dash"},
            )
        )
    figure.update_layout(
        title=f"{c.name}: {line.label} FTE needed and planned",
        yaxis_title="FTE",
        height=340,
        margin={"t": 40},
    )
    return figure


def _money(money: dict[str, Any]) -> list[str]:
    if money["total_pence"]["mean"] is None:
        return ['<p class="note">The scenario gives no costs.</p>']
    rows = [
        [escape(s["setting"]), _money_cell(s["cost_pence"]), _money_cell(s["per_year_pence"])]
        for s in money["settings"]
    ]
    rows += [
        [
            escape(f"{line['setting']}: {line['what']}"),
            _pounds(line["cost_pence"]),
            _pounds(line["per_year_pence"]),
        ]
        for line in money["outside_pools"]
    ]
    rows.append(
        [
            "<strong>total</strong>",
            _money_cell(money["total_pence"]),
            _money_cell(money["total_per_year_pence"]),
        ]
    )
    if money["gap_pence"] is not None:
        rows.append(["financial gap (a year)", "", _pounds(money["gap_pence"])])
    parts = [_table(("setting", "cost over the horizon", "cost a year"), rows)]
    rates = [
        [
            escape(r["setting"]),
            _pounds(r["per_bed_day_pence"]) if r["per_bed_day_pence"] is not None else "–",
            _pounds(r["per_contact_pence"]) if r["per_contact_pence"] is not None else "–",
            escape(r["source"] or "assumption"),
        ]
        for r in money["rates"]
    ]
    parts.append(_table(("setting", "a bed-day (or caseload day)", "a contact", "source"), rates))
    if money["continuing_healthcare"]:
        parts.append("<h3>Continuing Healthcare: where the people no longer funded go</h3>")
        head = ("from", "to", "share", "people", "admissions a year", "days of care in the horizon", "source")
        rows = [
            [
                d["on"],
                escape(d["to"]),
                f"{100 * d['share']:.0f}%",
                f"{d['people']:.0f}",
                f"{d['admissions_a_year']:.0f}" if d["admissions_a_year"] is not None else "–",
                f"{d['days_of_care']:,.0f}",
                escape(d["source"] or "assumption"),
            ]
            for d in money["continuing_healthcare"]
        ]
        parts.append(_table(head, rows))
        parts.append(
            '<p class="note">Days of care in a pool are expected bed-days (admissions × mean stay); the '
            "simulated bed-days and their cost are in the pool's figures.</p>"
        )
    return parts


def _chart(figure: go.Figure, div_id: str) -> str:
    html: str = pio.to_html(
        figure, include_plotlyjs=False, full_html=False, div_id=div_id, config={"displaylogo": False}
    )
    return html


def _planned(planned: dict[str, float] | None) -> str:
    if planned is None:
        return "–"
    if planned["start"] == planned["end"]:
        return f"{planned['start']:,.1f}"
    return f"{planned['start']:,.1f} → {planned['end']:,.1f}"


def _cell(figure: dict[str, float | None], digits: int = 1) -> str:
    if figure["mean"] is None:
        return "–"
    text = f"{figure['mean']:,.{digits}f}"
    if figure["low"] is not None and figure["high"] is not None:
        text += f" ({figure['low']:,.{digits}f}–{figure['high']:,.{digits}f})"
    return escape(text)


def _pounds(pence: float) -> str:
    """An amount in pence shown in pounds, in millions from £100,000."""
    sign, value = "−" if pence < 0 else "", abs(pence) / PENCE_A_POUND
    return f"{sign}£{value / 1e6:,.2f}m" if value >= 1e5 else f"{sign}£{value:,.2f}"


def _money_cell(figure: dict[str, float | None]) -> str:
    if figure["mean"] is None:
        return "–"
    text = _pounds(figure["mean"])
    if figure["low"] is not None and figure["high"] is not None:
        text += f" ({_pounds(figure['low'])} to {_pounds(figure['high'])})"
    return escape(text)


def _table(head: tuple[str, ...], rows: list[list[str]]) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
