"""Staff in the planner: FTE needed for occupied beds, FTE planned by day, and the beds staff can open.

Pure: plain scenario data and arrays in, arrays out. A pool needs `fte_per_occupied_bed` FTE of a staff
group for each occupied bed (for a virtual ward, `fte_per_caseload` per patient on its caseload). Planned
FTE is given for a pool or for a setting (shared between the setting's pools in proportion to the FTE
their open beds need). When the planned FTE of any group staffs fewer beds than are open, the pool's beds
that day are the staffed beds: it behaves as closed beyond them. Staffing ratios as a planning method:
NHS Improvement, "Developing workforce safeguards" (2018), care hours per patient day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from joinedup.plan.scenario import (
    AddStaff,
    CutStaff,
    OpenVirtualWard,
    Scenario,
    ScenarioInvalid,
)
from joinedup.registry.vocabulary import STAFF_GROUPS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# Settings with staff or costs but no simulated beds (care given at home, in general practice).
NON_BED_SETTINGS = ("home-care", "chc-package", "primary-care", "social-care", "out-of-area")
EPSILON = 1e-9
Scope = tuple[str, str, str]  # ("pool" or "setting", id, staff group)


def pool_settings(scenario: Scenario) -> dict[str, str]:
    """The setting of every pool: as listed, "virtual" for a ward a change opens, else "other"."""
    settings = {pool.id: pool.setting or "other" for pool in scenario.pools}
    for change in scenario.changes:
        if isinstance(change, OpenVirtualWard) and change.pool not in settings:
            settings[change.pool] = "virtual"
    return settings


def known_settings(scenario: Scenario) -> list[str]:
    """Settings a staffing, workforce or cost row may name: those of the pools, then those without beds."""
    return list(dict.fromkeys([*pool_settings(scenario).values(), *NON_BED_SETTINGS]))


def check_workforce(scenario: Scenario, file: str) -> None:
    """ScenarioInvalid for the first staffing or workforce row naming an unknown pool or setting, a row
    given twice, or a cut of more staff than are planned on its date."""
    pools, settings = set(pool_settings(scenario)), known_settings(scenario)
    for table in ("staffing", "workforce"):
        seen: set[Scope] = set()
        for i, row in enumerate(getattr(scenario, table)):
            scope = _checked_scope(file, f"{table}[{i}]", row.pool, row.setting, pools, settings)
            key = (*scope, row.staff_group)
            if key in seen:
                raise ScenarioInvalid(
                    file, f"{table}[{i}].staff_group", row.staff_group, f"is given twice for {scope[1]!r}"
                )
            seen.add(key)
    planned = {_scope(row.pool, row.setting, row.staff_group): row.fte for row in scenario.workforce}
    ordered = sorted(enumerate(scenario.changes), key=lambda item: (item[1].on, item[0]))
    for i, change in ordered:
        if not isinstance(change, AddStaff | CutStaff):
            continue
        scope = _checked_scope(file, f"changes[{i}]", change.pool, change.setting, pools, settings)
        key = (*scope, change.staff_group)
        current = planned.get(key, 0.0)
        if isinstance(change, CutStaff) and change.fte > current + EPSILON:
            raise ScenarioInvalid(
                file,
                f"changes[{i}].fte",
                change.fte,
                f"cannot cut more {change.staff_group} FTE than {scope[1]!r} has on {change.on} "
                f"({current:g})",
            )
        planned[key] = current + (change.fte if isinstance(change, AddStaff) else -change.fte)


def _scope(pool: str | None, setting: str | None, group: str) -> Scope:
    return ("pool", pool, group) if pool is not None else ("setting", setting or "", group)


def _checked_scope(
    file: str, where: str, pool: str | None, setting: str | None, pools: set[str], settings: list[str]
) -> tuple[str, str]:
    if pool is not None:
        if pool not in pools:
            known = ", ".join(sorted(pools))
            raise ScenarioInvalid(
                file, f"{where}.pool", pool, f"is not a pool in this scenario (pools: {known})"
            )
        return ("pool", pool)
    if setting not in settings:
        raise ScenarioInvalid(
            file, f"{where}.setting", setting, f"is not a setting of this scenario ({', '.join(settings)})"
        )
    return ("setting", setting or "")


def ratios(scenario: Scenario, pool_ids: Sequence[str]) -> dict[tuple[int, str], float]:
    """FTE per occupied bed by (pool index, staff group): a pool's own row wins over its setting's."""
    settings = pool_settings(scenario)
    found: dict[tuple[int, str], float] = {}
    for own in (False, True):
        for row in scenario.staffing:
            for n, pool_id in enumerate(pool_ids):
                applies = (
                    row.pool == pool_id if own else row.pool is None and row.setting == settings.get(pool_id)
                )
                if applies and row.fte_per_patient > 0:
                    found[(n, row.staff_group)] = row.fte_per_patient
    return found


def planned_by_scope(scenario: Scenario, total_days: int, warmup_days: int) -> dict[Scope, FloatArray]:
    """Planned FTE of each pool or setting and staff group on each simulated day (warm-up first)."""
    planned = {
        _scope(row.pool, row.setting, row.staff_group): np.full(total_days, row.fte)
        for row in scenario.workforce
    }
    for change in sorted(
        (c for c in scenario.changes if isinstance(c, AddStaff | CutStaff)), key=lambda c: c.on
    ):
        key = _scope(change.pool, change.setting, change.staff_group)
        day = max(0, warmup_days + (change.on - scenario.start_date).days)
        series = planned.setdefault(key, np.zeros(total_days))
        series[day:] += change.fte if isinstance(change, AddStaff) else -change.fte
    return {key: np.maximum(series, 0.0) for key, series in planned.items()}


def staffed_beds(
    scenario: Scenario, pool_ids: Sequence[str], open_beds: IntArray, warmup_days: int
) -> IntArray:
    """Beds the planned staff can run in each pool on each day (never more than are open)."""
    staffed = open_beds.copy()
    ratio = ratios(scenario, pool_ids)
    planned = planned_by_scope(scenario, open_beds.shape[1], warmup_days)
    for (kind, scope, group), fte in planned.items():
        members = _members(scenario, pool_ids, kind, scope, group, ratio, planned)
        if not members:
            continue
        r = np.array([ratio[(n, group)] for n in members])
        need = open_beds[members] * r[:, None]
        total = need.sum(axis=0)
        share = np.divide(need, total, out=np.zeros_like(need), where=total > 0)
        can = np.floor(fte[None, :] * share / r[:, None] + EPSILON).astype(np.int64)
        staffed[members] = np.minimum(staffed[members], can)
    return staffed


def _members(
    scenario: Scenario,
    pool_ids: Sequence[str],
    kind: str,
    scope: str,
    group: str,
    ratio: dict[tuple[int, str], float],
    planned: dict[Scope, FloatArray],
) -> list[int]:
    """Pools that share the planned FTE of one scope and group (those with their own plan stand apart)."""
    if kind == "pool":
        n = pool_ids.index(scope) if scope in pool_ids else -1
        return [n] if (n, group) in ratio else []
    settings = pool_settings(scenario)
    return [
        n
        for n, pool_id in enumerate(pool_ids)
        if settings.get(pool_id) == scope and (n, group) in ratio and ("pool", pool_id, group) not in planned
    ]


def capped_capacity(open_beds: IntArray, staffed: IntArray) -> tuple[IntArray, IntArray]:
    """Beds a pool runs each day (open and staffed) and the bed changes that give them, as
    (daily beds, events of (day, pool, beds)) with day 0's beds as the first value of each pool."""
    daily = np.minimum(open_beds, staffed)
    events = [
        (day, n, int(daily[n, day]))
        for day in range(1, daily.shape[1])
        for n in np.flatnonzero(daily[:, day] != daily[:, day - 1])
    ]
    return daily, np.array(events, dtype=np.int64).reshape(-1, 3)


@dataclass(frozen=True)
class StaffLine:
    """A setting's staff of one group: the ratio of each pool, and the FTE planned each simulated day."""

    setting: str
    staff_group: str
    weights: FloatArray
    planned: FloatArray | None

    @property
    def label(self) -> str:
        return f"{self.setting} {self.staff_group}"


def staff_lines(
    scenario: Scenario, pool_ids: Sequence[str], total_days: int, warmup_days: int
) -> list[StaffLine]:
    """One line per setting and staff group with a ratio or a plan, in the order of STAFF_GROUPS."""
    settings = pool_settings(scenario)
    ratio = ratios(scenario, pool_ids)
    planned = planned_by_scope(scenario, total_days, warmup_days)
    pairs = {(settings[pool_ids[n]], group) for n, group in ratio}
    pairs |= {(scope if kind == "setting" else settings[scope], g) for kind, scope, g in planned}
    lines = []
    for setting, group in sorted(pairs, key=lambda p: (p[0], STAFF_GROUPS.index(p[1]))):
        weights = np.array(
            [ratio.get((n, group), 0.0) if settings[p] == setting else 0.0 for n, p in enumerate(pool_ids)]
        )
        plans = [
            series
            for (kind, scope, g), series in planned.items()
            if g == group and (scope == setting if kind == "setting" else settings.get(scope) == setting)
        ]
        lines.append(StaffLine(setting, group, weights, np.sum(plans, axis=0) if plans else None))
    return lines


@dataclass(frozen=True)
class StaffBlock:
    """FTE needed by a block of replications: daily sums and squares by line, and per replication the
    mean FTE needed over the horizon and the days it was above the FTE planned."""

    need_sum: FloatArray
    need_sumsq: FloatArray
    need_mean: FloatArray
    days_short: FloatArray


def staff_block(
    scenario: Scenario, pool_ids: Sequence[str], warmup_days: int, daily: FloatArray
) -> StaffBlock | None:
    """Reduce daily occupied beds (replications x pools x days) to FTE needed by line; None if unstaffed."""
    lines = staff_lines(scenario, pool_ids, warmup_days + daily.shape[2], warmup_days)
    if not lines:
        return None
    weights = np.stack([line.weights for line in lines])
    need = np.einsum("lp,rpd->rld", weights, daily)
    planned = np.stack(
        [
            line.planned[warmup_days:] if line.planned is not None else np.full(daily.shape[2], np.nan)
            for line in lines
        ]
    )
    short = (need > planned[None] + EPSILON).sum(axis=2).astype(np.float64)
    short[:, np.isnan(planned).all(axis=1)] = np.nan
    short[:, ~weights.any(axis=1)] = np.nan
    return StaffBlock(need.sum(axis=0), (need * need).sum(axis=0), need.mean(axis=2), short)


@dataclass(frozen=True)
class StaffDaily:
    """FTE needed by line across all replications: each day's mean and 95% interval, and per replication
    the mean over the horizon and the days short of the plan."""

    daily_mean: FloatArray
    daily_low: FloatArray
    daily_high: FloatArray
    need_mean: FloatArray
    days_short: FloatArray


def merge_staff(parts: Sequence[StaffBlock | None], replications: int, t975: float) -> StaffDaily | None:
    """Join blocks in order; `t975` is Student's t quantile for the replications' degrees of freedom."""
    blocks = [part for part in parts if part is not None]
    if not blocks or len(blocks) != len(parts):
        return None
    mean = np.sum([b.need_sum for b in blocks], axis=0) / replications
    half = np.zeros_like(mean)
    if replications > 1:
        sumsq = np.sum([b.need_sumsq for b in blocks], axis=0)
        variance = np.maximum(sumsq - replications * mean * mean, 0.0) / (replications - 1)
        half = t975 * np.sqrt(variance / replications)
    return StaffDaily(
        daily_mean=mean,
        daily_low=np.maximum(mean - half, 0.0),
        daily_high=mean + half,
        need_mean=np.concatenate([b.need_mean for b in blocks]),
        days_short=np.concatenate([b.days_short for b in blocks]),
    )


def unstaffed_periods(
    scenario: Scenario, pool_ids: Sequence[str], open_beds: IntArray, staffed: IntArray
) -> list[dict[str, object]]:
    """Runs of horizon days on which a pool had fewer staffed beds than open beds (it behaved as closed)."""
    periods: list[dict[str, object]] = []
    short = staffed < open_beds
    for n, pool_id in enumerate(pool_ids):
        day = 0
        while day < short.shape[1]:
            if not short[n, day]:
                day += 1
                continue
            end = day
            while (
                end + 1 < short.shape[1] and short[n, end + 1] and _same(open_beds, staffed, n, day, end + 1)
            ):
                end += 1
            periods.append(
                {
                    "pool": pool_id,
                    "from": (scenario.start_date + timedelta(days=day)).isoformat(),
                    "to": (scenario.start_date + timedelta(days=end)).isoformat(),
                    "days": end - day + 1,
                    "beds_open": int(open_beds[n, day]),
                    "beds_staffed": int(staffed[n, day]),
                }
            )
            day = end + 1
    return periods


def _same(open_beds: IntArray, staffed: IntArray, n: int, day: int, other: int) -> bool:
    return bool(open_beds[n, day] == open_beds[n, other] and staffed[n, day] == staffed[n, other])
