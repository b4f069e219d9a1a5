"""Day-by-day figures of a what-if forecast: occupancy fans, OPEL levels and blocking, per site and system.

Each replication's daily occupied beds are kept (not only their sums), so each day has the quantiles of
where it may land across replications (the fan: median, 50% and 95% bands) beside the 95% confidence
interval of its mean (Student t, Law §9.4). A site's or the system's level on a day is the OPEL level of
its bed-weighted occupancy (joinedup.capacity.opel). Blocking (the share of arrivals at a group's pools
that found no free bed) is given over the whole forecast and for each day, from the engine's daily counts
of arrivals and blocked arrivals per pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from joinedup.capacity import opel
from joinedup.plan import engine, flow, runner
from joinedup.plan.compiled import CompiledScenario
from joinedup.plan.results import interval, t_quantile_975
from joinedup.plan.scenario import Change
from joinedup.plan.whatif import BANDS, Group, StartState, groups

FloatArray = npt.NDArray[np.float64]
INTERVAL = "95% confidence interval of the mean across replications (Student t)"
BANDS_NOTE = "quantiles across replications: p50 the median, p25-p75 the 50% band, p2_5-p97_5 the 95% band"


@dataclass(frozen=True)
class Forecast:
    """Raw records of every replication: per-pool stats, daily mean occupied beds and daily counts
    (replications x 2 x pools x days: arrivals, then arrivals that found the pool full)."""

    compiled: CompiledScenario
    start: StartState
    replications: int
    seed: int
    stats: FloatArray
    daily: FloatArray
    counts: FloatArray


def simulate(compiled: CompiledScenario, start: StartState, replications: int, seed: int) -> Forecast:
    """Run every replication (seeds as the runner draws them, so a seed always gives the same numbers)."""
    stats, daily, _, counts = engine.run_block(compiled, runner.replication_seeds(seed, replications))
    return Forecast(compiled, start, replications, seed, stats, daily, counts)


def summary(forecast: Forecast, changes: Sequence[Change] = (), demand: str = "") -> dict[str, Any]:
    """The JSON document of a forecast: system, sites and pools day by day, with intervals."""
    c, start = forecast.compiled, forecast.start
    by_group = groups(c, start)
    pool_groups = [Group(pool_id, pool_id, (n,)) for n, pool_id in enumerate(c.pool_ids)]
    return {
        "from_census": start.on.isoformat(),
        "days": c.horizon_days,
        "replications": forecast.replications,
        "seed": forecast.seed,
        "demand": demand,
        "dates": [(start.on + timedelta(days=d)).isoformat() for d in range(c.horizon_days)],
        "changes": [_change(change) for change in changes],
        "interval": INTERVAL,
        "bands": BANDS_NOTE,
        "system": _group(forecast, by_group[0]),
        "sites": [_group(forecast, g) for g in by_group[1:]],
        "pools": [_group(forecast, g) | _pool_facts(start, g.id) for g in pool_groups],
        "assumptions": list(c.scenario.assumptions),
    }


def _change(change: Change) -> dict[str, Any]:
    return {
        "text": (change.source or "").removeprefix("what-if: "),
        "kind": change.kind,
        "pool": getattr(change, "pool", None),
        "beds": getattr(change, "beds", None),
        "on": change.on.isoformat(),
    }


def _pool_facts(start: StartState, pool_id: str) -> dict[str, Any]:
    pool = start.pool(pool_id)
    if pool is None:
        return {"site_id": None, "setting": None, "delayed_at_start": None}
    return {"site_id": pool.site_id, "setting": pool.setting, "delayed_at_start": pool.delayed}


def _group(forecast: Forecast, group: Group) -> dict[str, Any]:
    pools = list(group.pools)
    beds = forecast.compiled.daily_beds[pools].sum(axis=0).astype(np.float64)
    occupied = forecast.daily[:, pools, :].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        occupancy = np.where(beds > 0, occupied / beds, np.nan)
    median = np.nanmedian(occupancy, axis=0) if np.isfinite(occupancy).any() else occupancy[0]
    return {
        "id": group.id,
        "name": group.name,
        "start": _start(forecast.start, forecast.compiled.pool_ids, pools),
        "beds": [int(b) for b in beds],
        "occupied": _daily_mean(occupied),
        "occupied_bands": _bands(occupied),
        "occupancy_bands": _bands(occupancy),
        "occupancy": _overall(occupied, beds),
        "days_at_level_3_or_worse": _days_at_least(occupancy, 3),
        "level": [_level(value) for value in median],
        "level_3_or_worse": _share_at_least(occupancy, 3),
        "level_4": _share_at_least(occupancy, 4),
        **{name: _fraction(forecast.stats, pools, column) for name, column in FRACTIONS.items()},
        "delayed_bed_days": _delayed_bed_days(forecast.stats, pools),
        "blocked_daily": _daily_blocked(forecast.counts, pools),
    }


FRACTIONS = {
    "blocked_fraction": flow.BLOCKED,
    "refused_fraction": flow.REFUSED,
    "diverted_fraction": flow.DIVERTED,
}


def _start(start: StartState, pool_ids: tuple[str, ...], pools: list[int]) -> dict[str, Any]:
    states = [start.pool(pool_ids[n]) for n in pools]
    loads = [opel.PoolLoad(p.beds, p.occupied) for p in states if p is not None]
    beds, occupied = sum(x.beds for x in loads), sum(x.occupied for x in loads)
    delayed = [p.delayed for p in states if p is not None and p.delayed is not None]
    return {
        "beds": beds,
        "occupied": occupied,
        "occupancy": _round(occupied / beds) if beds else None,
        "level": opel.combined_level(loads),
        "delayed": sum(delayed) if delayed else None,
    }


def _daily_mean(values: FloatArray) -> dict[str, list[float | None]]:
    """Each day's mean across replications with its 95% confidence interval."""
    mean = values.mean(axis=0)
    half = np.zeros_like(mean)
    if values.shape[0] > 1:
        half = t_quantile_975(values.shape[0] - 1) * values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])
    return {
        "mean": [_round(v) for v in mean],
        "low": [_round(max(v, 0.0)) for v in mean - half],
        "high": [_round(v) for v in mean + half],
    }


def _bands(values: FloatArray) -> dict[str, list[float | None]]:
    if not np.isfinite(values).any():
        return {name: [None] * values.shape[1] for name in BANDS}
    with np.errstate(invalid="ignore"):
        quantiles = np.nanpercentile(values, list(BANDS.values()), axis=0)
    return {name: [_round(v) for v in row] for name, row in zip(BANDS, quantiles, strict=True)}


def _overall(occupied: FloatArray, beds: FloatArray) -> dict[str, float | None]:
    """Occupied bed-days over open bed-days across the whole forecast, with its 95% interval."""
    total = float(beds.sum())
    values = occupied.sum(axis=1) / total if total > 0 else np.full(occupied.shape[0], np.nan)
    return {k: _round(v) for k, v in interval(values, floor=0.0).items()}


def _days_at_least(occupancy: FloatArray, level: int) -> dict[str, float | None]:
    """Days of the forecast at `level` or worse, with its 95% interval across replications."""
    lowest = _lowest(level)
    with np.errstate(invalid="ignore"):
        days = (np.nan_to_num(occupancy, nan=-1.0) >= lowest).sum(axis=1).astype(np.float64)
    return {k: _round(v) for k, v in interval(days, floor=0.0).items()}


def _lowest(level: int) -> float:
    return next(threshold for threshold, lvl in opel.THRESHOLDS if lvl == level)


def _level(occupancy: float) -> int | None:
    return None if not np.isfinite(occupancy) else opel.level_for_occupancy(float(occupancy))


def _share_at_least(occupancy: FloatArray, level: int) -> list[float | None]:
    """Per day, the share of replications at `level` or worse."""
    lowest = _lowest(level)
    finite = np.isfinite(occupancy)
    with np.errstate(invalid="ignore"):
        share = (np.where(finite, occupancy, -1.0) >= lowest).mean(axis=0)
    return [_round(float(s)) if finite[:, d].any() else None for d, s in enumerate(share)]


def _fraction(stats: FloatArray, pools: list[int], column: int) -> dict[str, float | None]:
    """Share of arrivals at the group's pools over the forecast, with its 95% interval."""
    arrivals = stats[:, pools, flow.ARRIVALS].sum(axis=1)
    counted = stats[:, pools, column].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(arrivals > 0, counted / arrivals, np.nan)
    return {k: _round(v) for k, v in interval(values, floor=0.0).items()}


def _delayed_bed_days(stats: FloatArray, pools: list[int]) -> dict[str, float | None]:
    """Delayed bed-days at the group's pools over the forecast (the delayed at the start and any delayed
    discharge of the patients admitted), with its 95% interval."""
    days = stats[:, pools, flow.DELAY_DAYS : flow.DELAY_DAYS + flow.N_REASONS].sum(axis=(1, 2))
    return {k: _round(v) for k, v in interval(days, floor=0.0).items()}


def _daily_blocked(counts: FloatArray, pools: list[int]) -> dict[str, list[float | None]]:
    """Per day, the share of arrivals at the group's pools that found no free bed, with its 95% interval.

    The share is the ratio estimator: that day's blocked arrivals over its arrivals, summed over the
    replications, so it estimates the chance that an arrival on that day is blocked (a mean of each
    replication's own share would weigh a day with two arrivals like one with twenty, and fall below
    it when blocking rises with arrivals). Its interval is the ratio estimator's, from the variance of
    blocked - share x arrivals across replications (Cochran, Sampling Techniques, 3rd ed., 1977, §6.3),
    with Student t on replications - 1. Null on a day without arrivals in any replication.
    """
    arrivals = counts[:, 0, pools, :].sum(axis=1)
    blocked = counts[:, 1, pools, :].sum(axis=1)
    replications = arrivals.shape[0]
    mean_arrivals = arrivals.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(mean_arrivals > 0, blocked.mean(axis=0) / mean_arrivals, np.nan)
        half = np.zeros_like(share)
        if replications > 1:
            residual = blocked - np.nan_to_num(share) * arrivals
            spread = np.sqrt((residual**2).sum(axis=0) / (replications - 1) / replications)
            half = t_quantile_975(replications - 1) * spread / mean_arrivals
    return {
        "mean": [_round(v) for v in share],
        "low": [_round(v) for v in np.maximum(share - half, 0.0)],
        "high": [_round(v) for v in np.minimum(share + half, 1.0)],
    }


def _round(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), 4)
