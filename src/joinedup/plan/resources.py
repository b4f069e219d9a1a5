"""Staff and money figures of a run (and of B against A), each with its 95% interval across replications.

FTE needed follows simulated occupancy (ratio x occupied beds, replication by replication); costs follow
simulated bed-days and admissions plus care outside the pools; a difference between runs with the same
seed and replications is paired by replication (common random numbers, Law §10.2), else Welch's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from joinedup.plan import chc, costs, workforce
from joinedup.plan.checks import capacity_schedule
from joinedup.plan.results import FIGURES, SYSTEM_FIGURES, Run, interval, t_quantile_975
from joinedup.plan.scenario import Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
PENCE_A_POUND = 100
MILLION_POUNDS = 1e6 * PENCE_A_POUND  # in pence


def open_beds(run: Run) -> IntArray:
    """Beds open in each pool on each simulated day, before staffing (warm-up first)."""
    c = run.compiled
    daily = np.zeros((len(c.pool_ids), c.total_days), dtype=np.int64)
    for pool_id, entries in capacity_schedule(c.scenario).items():
        n = c.pool_ids.index(pool_id)
        daily[n, :] = entries[0][1]
        for on, beds in entries[1:]:
            daily[n, max(0, c.warmup_days + (on - c.scenario.start_date).days) :] = beds
    return daily


def workforce_section(run: Run) -> dict[str, Any]:
    """FTE needed against planned by setting and staff group, by pool, and the days pools went unstaffed."""
    c = run.compiled
    full = open_beds(run)
    staffed = workforce.staffed_beds(c.scenario, c.pool_ids, full, c.warmup_days)[:, c.warmup_days :]
    opened = full[:, c.warmup_days :]
    lines = workforce.staff_lines(c.scenario, c.pool_ids, c.total_days, c.warmup_days)
    return {
        "staff_groups": list(dict.fromkeys(line.staff_group for line in lines)),
        "lines": [_line(run, k, line) for k, line in enumerate(lines)],
        "pools": _pool_staff(run, opened, staffed),
        "unstaffed": workforce.unstaffed_periods(c.scenario, c.pool_ids, opened, staffed),
        "days_unstaffed": int((staffed < opened).sum()),
    }


def _line(run: Run, k: int, line: workforce.StaffLine) -> dict[str, Any]:
    warmup = run.compiled.warmup_days
    staff = run.staff
    has_need = bool(line.weights.any()) and staff is not None
    planned = line.planned[warmup:] if line.planned is not None else None
    return {
        "setting": line.setting,
        "staff_group": line.staff_group,
        "fte_needed": interval(staff.need_mean[:, k], floor=0.0) if has_need and staff else _null(),
        "fte_needed_peak_day": float(staff.daily_mean[k].max()) if has_need and staff else None,
        "fte_planned": None
        if planned is None
        else {"start": float(planned[0]), "end": float(planned[-1]), "mean": float(planned.mean())},
        "days_short": interval(staff.days_short[:, k], floor=0.0)
        if has_need and staff and planned is not None
        else _null(),
    }


def _pool_staff(run: Run, opened: IntArray, staffed: IntArray) -> list[dict[str, Any]]:
    c = run.compiled
    settings = workforce.pool_settings(c.scenario)
    occupied = run.figures[:, :, FIGURES.index("occupied_beds")]
    rows = []
    for (n, group), ratio in sorted(workforce.ratios(c.scenario, c.pool_ids).items()):
        rows.append(
            {
                "pool": c.pool_ids[n],
                "setting": settings.get(c.pool_ids[n]),
                "staff_group": group,
                "fte_per_occupied_bed": ratio,
                "fte_needed": interval(ratio * occupied[:, n], floor=0.0),
                "fte_for_open_beds": float(ratio * opened[n].mean()),
                "days_unstaffed": int((staffed[n] < opened[n]).sum()),
                "fewest_staffed_beds": int(staffed[n].min()),
            }
        )
    return rows


def _null() -> dict[str, float | None]:
    return {"mean": None, "low": None, "high": None}


def cost_totals(run: Run) -> tuple[FloatArray, FloatArray, list[costs.CareLine]]:
    """(cost of each pool per replication, total per replication, lines outside the pools), in pence."""
    c = run.compiled
    bed_days = run.figures[:, :, FIGURES.index("bed_days")]
    admissions = run.figures[:, :, FIGURES.index("admissions")]
    by_pool = costs.pool_costs(c.scenario, c.pool_ids, bed_days, admissions)
    care = costs.care_lines(c.scenario)
    total = by_pool.sum(axis=1) + out_of_area(run) + sum(line.cost_pence for line in care)
    return by_pool, total, care


def out_of_area(run: Run) -> FloatArray:
    """Per replication, patients the system never admitted x the out-of-area cost of a contact (pence)."""
    row = costs.by_setting(run.compiled.scenario).get("out-of-area")
    turned_away = run.system[:, SYSTEM_FIGURES.index("out_of_system")]
    return (
        np.nan_to_num(turned_away) * float(row.per_contact_pence or 0) if row else np.zeros(run.replications)
    )


def costs_section(run: Run) -> dict[str, Any]:
    """Cost by setting and in total over the horizon and a year, beside the gap the plan should close.

    Every amount is in pence: unit costs and the gap as the scenario gives them (integers), computed
    costs as floats (means and intervals across replications need not be whole pence)."""
    c = run.compiled
    by_pool, total, care = cost_totals(run)
    settings = workforce.pool_settings(c.scenario)
    year = 365.0 / c.horizon_days
    costed = bool(c.scenario.costs) or bool(care)
    by_setting: dict[str, FloatArray] = {}
    for n, pool_id in enumerate(c.pool_ids):
        setting = settings.get(pool_id, "other")
        by_setting[setting] = by_setting.get(setting, np.zeros(run.replications)) + by_pool[:, n]
    by_setting["out-of-area"] = out_of_area(run)
    rates = costs.by_setting(c.scenario)
    return {
        "currency": "GBP",
        "horizon_days": c.horizon_days,
        "rates": [row.model_dump() for row in c.scenario.costs],
        "settings": [
            {
                "setting": setting,
                "cost_pence": interval(values, floor=0.0),
                "per_year_pence": interval(values * year, floor=0.0),
            }
            for setting, values in by_setting.items()
            if setting in rates
        ],
        "outside_pools": [
            {
                "setting": line.setting,
                "what": line.what,
                "cost_pence": line.cost_pence,
                "per_year_pence": line.cost_pence * year,
                "source": line.source,
            }
            for line in care
        ],
        "total_pence": interval(total) if costed else _null(),
        "total_per_year_pence": interval(total * year) if costed else _null(),
        "gap_pence": c.scenario.gap_pence,
        "gap_source": c.scenario.gap_source,
        "continuing_healthcare": chc_section(c.scenario),
    }


def chc_section(scenario: Scenario) -> list[dict[str, Any]]:
    """Where the people a CHC cut no longer funds go, with the expected admissions and days of care."""
    return [
        {
            "on": d.on.isoformat(),
            "to": d.to,
            "kind": d.kind,
            "share": d.share,
            "people": d.people,
            "admissions_a_year": d.admissions_a_year,
            "days_of_care": d.person_days,
            "source": d.source,
        }
        for d in chc.destinations(scenario)
    ]


def run_sections(run: Run) -> dict[str, Any]:
    """The "workforce" and "costs" keys of a run's JSON document."""
    return {"workforce": workforce_section(run), "costs": costs_section(run)}


def comparison_sections(a: Run, b: Run, paired: bool) -> dict[str, Any]:
    """B minus A for cost (total, a year and by setting, beside the gap) and for FTE needed by line."""
    _, total_a, _ = cost_totals(a)
    _, total_b, _ = cost_totals(b)
    year = 365.0 / b.compiled.horizon_days
    change = _difference(total_a, total_b, paired)
    change_year = _difference(total_a * 365.0 / a.compiled.horizon_days, total_b * year, paired)
    gap = b.compiled.scenario.gap_pence or a.compiled.scenario.gap_pence
    mean_year = change_year["mean"]
    return {
        "costs": {
            "currency": "GBP",
            "change_pence": change,
            "change_per_year_pence": change_year,
            "gap_pence": gap,
            "change_share_of_gap": -mean_year / gap if gap and mean_year is not None else None,
        },
        "workforce": {"lines": _line_changes(a, b, paired)},
    }


def _line_changes(a: Run, b: Run, paired: bool) -> list[dict[str, Any]]:
    def needs(run: Run) -> dict[tuple[str, str], tuple[FloatArray | None, float | None]]:
        c = run.compiled
        found: dict[tuple[str, str], tuple[FloatArray | None, float | None]] = {}
        for k, line in enumerate(workforce.staff_lines(c.scenario, c.pool_ids, c.total_days, c.warmup_days)):
            need = run.staff.need_mean[:, k] if run.staff is not None and line.weights.any() else None
            planned = float(line.planned[c.warmup_days :].mean()) if line.planned is not None else None
            found[(line.setting, line.staff_group)] = (need, planned)
        return found

    in_a, in_b = needs(a), needs(b)
    rows = []
    for key in list(dict.fromkeys([*in_a, *in_b])):
        need_a, planned_a = in_a.get(key, (None, None))
        need_b, planned_b = in_b.get(key, (None, None))
        rows.append(
            {
                "setting": key[0],
                "staff_group": key[1],
                "fte_needed": _difference(need_a, need_b, paired)
                if need_a is not None and need_b is not None
                else _null(),
                "fte_planned": planned_b - planned_a
                if planned_a is not None and planned_b is not None
                else None,
            }
        )
    return rows


def _difference(a: FloatArray, b: FloatArray, paired: bool) -> dict[str, float | None]:
    if paired:
        return interval(b - a)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        return {"mean": float(b.mean() - a.mean()) if a.size and b.size else None, "low": None, "high": None}
    mean = float(b.mean() - a.mean())
    half = t_quantile_975(min(a.size, b.size) - 1) * math.sqrt(
        a.var(ddof=1) / a.size + b.var(ddof=1) / b.size
    )
    return {"mean": mean, "low": mean - half, "high": mean + half}


def scenario_assumptions(scenario: Scenario) -> list[str]:
    """Staffing ratios, planned staff, unit costs and the gap that the scenario labels as assumptions."""
    listed = []
    for row in scenario.staffing:
        if _assumed(row.source):
            listed.append(
                f"staffing {row.pool or row.setting} {row.staff_group}: {row.fte_per_patient:g} FTE per "
                f"{'occupied bed' if row.fte_per_occupied_bed is not None else 'patient on the caseload'}: "
                f"{row.source}"
            )
    for planned in scenario.workforce:
        if _assumed(planned.source):
            listed.append(
                f"workforce {planned.pool or planned.setting} {planned.staff_group}: {planned.fte:g} FTE: "
                f"{planned.source}"
            )
    for cost in scenario.costs:
        if _assumed(cost.source):
            listed.append(f"costs {cost.setting}: {_rates(cost)}: {cost.source}")
    return listed


def scenario_sources(scenario: Scenario) -> list[str]:
    """Staffing, workforce, cost and gap figures that cite a document."""
    cited = [
        f"staffing {r.pool or r.setting} {r.staff_group}: {r.fte_per_patient:g} FTE: {r.source}"
        for r in scenario.staffing
        if r.source and not _assumed(r.source)
    ]
    cited += [
        f"workforce {r.pool or r.setting} {r.staff_group}: {r.fte:g} FTE: {r.source}"
        for r in scenario.workforce
        if r.source and not _assumed(r.source)
    ]
    cited += [
        f"costs {r.setting}: {_rates(r)}: {r.source}"
        for r in scenario.costs
        if r.source and not _assumed(r.source)
    ]
    if scenario.gap_pence is not None and scenario.gap_source:
        cited.append(f"financial gap {pounds(scenario.gap_pence)}: {scenario.gap_source}")
    return cited


def _assumed(source: str | None) -> bool:
    return source is None or "assumption" in source.lower()


def _rates(cost: Any) -> str:
    parts = []
    if cost.per_bed_day_pence is not None:
        parts.append(f"{pounds(cost.per_bed_day_pence)} a bed-day")
    if cost.per_contact_pence is not None:
        parts.append(f"{pounds(cost.per_contact_pence)} a contact")
    return " and ".join(parts)


def pounds(pence: float) -> str:
    """An amount in pence shown in pounds: £152.79, £3,000.00, −£29,000,000.00."""
    sign = "−" if pence < 0 else ""
    return f"{sign}£{abs(pence) / PENCE_A_POUND:,.2f}"


def run_lines(document: dict[str, Any]) -> list[str]:
    """Staff and money of a run's document in a few lines for the terminal."""
    lines = [
        f"{line['setting']} {line['staff_group']}: FTE needed {_text(line['fte_needed'])}"
        + (f", planned {line['fte_planned']['mean']:,.0f}" if line["fte_planned"] else "")
        for line in document["workforce"]["lines"]
        if line["fte_needed"]["mean"] is not None
    ]
    if document["workforce"]["days_unstaffed"]:
        lines.append(f"pool-days open but unstaffed: {document['workforce']['days_unstaffed']}")
    money = document["costs"]
    if money["total_per_year_pence"]["mean"] is not None:
        lines.append(f"cost a year: £{_text(money['total_per_year_pence'], MILLION_POUNDS)}m")
    if money["gap_pence"] is not None:
        lines.append(f"financial gap: £{money['gap_pence'] / MILLION_POUNDS:,.1f}m a year")
    return lines


def comparison_lines(document: dict[str, Any]) -> list[str]:
    """The change in cost (B minus A) beside the gap, for the terminal."""
    money = document["costs"]
    if money["change_per_year_pence"]["mean"] is None:
        return []
    text = f"change in cost a year (B minus A): £{_text(money['change_per_year_pence'], MILLION_POUNDS)}m"
    if money["gap_pence"] is not None:
        text += f", beside a gap of £{money['gap_pence'] / MILLION_POUNDS:,.1f}m"
    return [text]


def _text(figure: dict[str, float | None], scale: float = 1.0) -> str:
    mean, low, high = figure["mean"], figure["low"], figure["high"]
    if mean is None:
        return "–"
    text = f"{mean / scale:,.1f}"
    if low is not None and high is not None:
        text += f" ({low / scale:,.1f} to {high / scale:,.1f})"
    return text
