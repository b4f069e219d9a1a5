"""Figures per pool and replication, and their 95% intervals across replications.

Each figure is computed per replication, then reported as its mean with a 95% confidence interval from
Student's t over the replications (Law, Simulation Modeling and Analysis, 5th ed., §9.4). A figure that
cannot be computed (the blocked fraction of a pool nobody asked for) is null.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from joinedup.plan import demand, flow, workforce
from joinedup.plan.compiled import STEP_POOL, CompiledScenario
from joinedup.plan.scenario import DELAY_REASONS, Scenario

FloatArray = npt.NDArray[np.float64]
HIGH_OCCUPANCY = 0.92
FIGURES = (
    "occupancy",
    "occupied_beds",
    "occupancy_p50",
    "occupancy_p95",
    "days_above_92",
    "blocked_fraction",
    "refused_fraction",
    "diverted_fraction",
    "wait_mean_days",
    "wait_p95_days",
    "waiting_mean",
    "bed_days",
    "arrivals",
    "admissions",
    "mean_stay_days",
    "offered_beds",
    "beds_for_92",
    "delayed_bed_days",
    "delayed_patients",
)
SYSTEM_FIGURES = (
    "occupied_beds",
    "bed_days",
    "refused",
    "diverted",
    "admissions",
    "delayed_bed_days",
    "out_of_system",
)
INTERVAL = "95% confidence interval of the mean across replications (Student t)"


@dataclass(frozen=True)
class BlockFigures:
    """Figures of a block of replications: per replication (reps x pools x figures) and daily sums."""

    figures: FloatArray
    system: FloatArray
    daily_sum: FloatArray
    daily_sumsq: FloatArray
    staff: workforce.StaffBlock | None = None
    delayed_by_reason: FloatArray | None = None  # delayed bed-days, reps x pools x DELAY_REASONS


@dataclass(frozen=True)
class Run:
    """All replications of one scenario: per-replication figures and daily occupied beds with intervals."""

    compiled: CompiledScenario
    replications: int
    seed: int
    figures: FloatArray
    system: FloatArray
    daily_mean: FloatArray
    daily_low: FloatArray
    daily_high: FloatArray
    staff: workforce.StaffDaily | None = None
    delayed_by_reason: FloatArray | None = None  # delayed bed-days, reps x pools x DELAY_REASONS

    def figure(self, pool_id: str, name: str) -> FloatArray:
        """One figure of one pool, one value per replication."""
        return self.figures[:, self.compiled.pool_ids.index(pool_id), FIGURES.index(name)]


def block_figures(
    compiled: CompiledScenario, stats: FloatArray, daily: FloatArray, hist: npt.NDArray[np.int64]
) -> BlockFigures:
    """Reduce raw engine records (replications x pools x ...) to figures."""
    horizon = float(compiled.horizon_days)
    beds = compiled.daily_beds.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(beds > 0, daily / beds, np.nan)
        occupied_area = daily.sum(axis=2)
        capacity_area = beds.sum(axis=1)
        arrivals = stats[:, :, flow.ARRIVALS]
        columns = {
            "occupancy": occupied_area / np.where(capacity_area > 0, capacity_area, np.nan),
            "occupied_beds": occupied_area / horizon,
            "occupancy_p50": _daily_percentile(rate, beds, 50.0),
            "occupancy_p95": _daily_percentile(rate, beds, 95.0),
            "days_above_92": (rate > HIGH_OCCUPANCY).sum(axis=2).astype(np.float64),
            "blocked_fraction": stats[:, :, flow.BLOCKED] / arrivals,
            "refused_fraction": stats[:, :, flow.REFUSED] / arrivals,
            "diverted_fraction": stats[:, :, flow.DIVERTED] / arrivals,
            "wait_mean_days": stats[:, :, flow.WAIT_SUM] / stats[:, :, flow.WAIT_COUNT],
            "wait_p95_days": wait_percentile(hist, 0.95),
            "waiting_mean": stats[:, :, flow.QUEUE_AREA] / horizon,
            "bed_days": occupied_area,
            "arrivals": arrivals,
            "admissions": stats[:, :, flow.ADMITTED],
            "mean_stay_days": stats[:, :, flow.BED_TIME] / stats[:, :, flow.RELEASED],
        }
        # Little's law: the beds every arrival would fill if all were admitted, and the beds that would
        # hold that load at 92% occupancy.
        columns["offered_beds"] = arrivals / horizon * columns["mean_stay_days"]
        columns["beds_for_92"] = columns["offered_beds"] / HIGH_OCCUPANCY
        by_reason = stats[:, :, flow.DELAY_DAYS : flow.DELAY_DAYS + flow.N_REASONS]
        columns["delayed_bed_days"] = by_reason.sum(axis=2)
        columns["delayed_patients"] = stats[:, :, flow.DELAYED : flow.DELAYED + flow.N_REASONS].sum(axis=2)
    figures = np.stack([columns[name] for name in FIGURES], axis=2)
    system = np.stack(
        [
            occupied_area.sum(axis=1) / horizon,
            occupied_area.sum(axis=1),
            stats[:, :, flow.REFUSED].sum(axis=1),
            stats[:, :, flow.DIVERTED].sum(axis=1),
            stats[:, :, flow.ADMITTED].sum(axis=1),
            columns["delayed_bed_days"].sum(axis=1),
            # Patients the system never admitted: refused, or diverted with no bed where they were sent.
            (stats[:, :, flow.REFUSED] + stats[:, :, flow.DIVERTED] - stats[:, :, flow.DIVERTED_IN]).sum(1),
        ],
        axis=1,
    )
    staff = workforce.staff_block(compiled.scenario, compiled.pool_ids, compiled.warmup_days, daily)
    return BlockFigures(
        figures, system, daily.sum(axis=0), (daily * daily).sum(axis=0), staff, by_reason.copy()
    )


def _daily_percentile(rate: FloatArray, beds: FloatArray, q: float) -> FloatArray:
    """A percentile of each replication's daily occupancy, over the days its pool had beds open."""
    out = np.full(rate.shape[:2], np.nan)
    for n in range(rate.shape[1]):
        open_days = beds[n] > 0
        if open_days.any():
            out[:, n] = np.percentile(rate[:, n, open_days], q, axis=1)
    return out


def wait_percentile(hist: npt.NDArray[np.int64], q: float) -> FloatArray:
    """The q-quantile of waits from the engine's histogram (bin 0: no wait; then hourly bins)."""
    total = hist.sum(axis=2).astype(np.float64)
    cumulative = np.cumsum(hist, axis=2)
    target = q * total
    index = np.argmax(cumulative >= target[..., None], axis=2)
    before = (
        np.take_along_axis(cumulative, index[..., None], axis=2)[..., 0]
        - np.take_along_axis(hist, index[..., None], axis=2)[..., 0]
    )
    count = np.take_along_axis(hist, index[..., None], axis=2)[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        within = np.clip((target - before) / count, 0.0, 1.0)
    lower = np.maximum(index - 1, 0) / flow.WAIT_BINS_PER_DAY
    width = np.where(index == flow.WAIT_BINS - 1, 0.0, 1.0 / flow.WAIT_BINS_PER_DAY)
    value = np.where(index == 0, 0.0, lower + within * width)
    return np.where(total > 0, value, np.nan)


def merge_blocks(compiled: CompiledScenario, replications: int, seed: int, parts: list[BlockFigures]) -> Run:
    """Join blocks in order; daily intervals from the summed occupied beds and their squares."""
    daily_sum = np.sum([part.daily_sum for part in parts], axis=0)
    daily_sumsq = np.sum([part.daily_sumsq for part in parts], axis=0)
    mean = daily_sum / replications
    half = np.zeros_like(mean)
    if replications > 1:
        variance = np.maximum(daily_sumsq - replications * mean * mean, 0.0) / (replications - 1)
        half = t_quantile_975(replications - 1) * np.sqrt(variance / replications)
    return Run(
        compiled=compiled,
        replications=replications,
        seed=seed,
        figures=np.concatenate([part.figures for part in parts]),
        system=np.concatenate([part.system for part in parts]),
        daily_mean=mean,
        daily_low=mean - half,
        daily_high=mean + half,
        staff=workforce.merge_staff(
            [part.staff for part in parts],
            replications,
            t_quantile_975(replications - 1) if replications > 1 else 0.0,
        ),
        delayed_by_reason=np.concatenate([_by_reason(compiled, part) for part in parts]),
    )


def _by_reason(compiled: CompiledScenario, part: BlockFigures) -> FloatArray:
    if part.delayed_by_reason is not None:
        return part.delayed_by_reason
    return np.zeros((part.figures.shape[0], len(compiled.pool_ids), len(DELAY_REASONS)))


def delay_reasons(compiled: CompiledScenario) -> list[str]:
    """The reasons of delayed discharge the scenario uses, in DELAY_REASONS order."""
    codes = set(compiled.step_i[int(compiled.stage_step_off[-1]) :, STEP_POOL].tolist())
    return [reason for k, reason in enumerate(DELAY_REASONS) if k in codes]


def delayed_by_reason(run: Run, n: int) -> dict[str, dict[str, float | None]]:
    """Delayed bed-days of pool `n` for each reason the scenario uses, with 95% intervals."""
    by_reason = run.delayed_by_reason
    if by_reason is None:
        return {}
    return {
        reason: interval(by_reason[:, n, DELAY_REASONS.index(reason)], floor=0.0)
        for reason in delay_reasons(run.compiled)
    }


@lru_cache(maxsize=256)
def t_quantile_975(df: int) -> float:
    """The 97.5% quantile of Student's t with `df` degrees of freedom, found by bisection on the exact
    finite series for P(|T| <= t) with whole degrees of freedom (Abramowitz and Stegun 26.7.3-4)."""
    if df < 1:
        raise ValueError("degrees of freedom must be 1 or more")
    low, high = 0.0, 20.0
    for _ in range(60):
        middle = (low + high) / 2
        if _t_central_probability(middle, df) < 0.95:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _t_central_probability(t: float, df: int) -> float:
    theta = math.atan(t / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for k in range(1, df // 2):
            term *= cos2 * (2 * k - 1) / (2 * k)
            total += term
        return math.sin(theta) * total
    if df == 1:
        return 2.0 / math.pi * theta
    term = math.cos(theta)
    total = term
    for k in range(1, (df - 1) // 2):
        term *= cos2 * (2 * k) / (2 * k + 1)
        total += term
    return 2.0 / math.pi * (theta + math.sin(theta) * total)


def interval(values: FloatArray, floor: float | None = None) -> dict[str, float | None]:
    """Mean and 95% interval of one figure across replications (nulls where it cannot be computed).

    `floor` bounds the interval below for figures that cannot be negative (a share, a wait, a count).
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"mean": None, "low": None, "high": None}
    mean = float(finite.mean())
    if finite.size < 2:
        return {"mean": mean, "low": None, "high": None}
    half = t_quantile_975(finite.size - 1) * float(finite.std(ddof=1)) / math.sqrt(finite.size)
    low = mean - half if floor is None else max(floor, mean - half)
    return {"mean": mean, "low": low, "high": mean + half}


def summary(run: Run) -> dict[str, Any]:
    """The JSON document of one run: every figure of every pool with its 95% interval."""
    c = run.compiled
    pools = []
    for n, pool_id in enumerate(c.pool_ids):
        entry: dict[str, Any] = {
            "id": pool_id,
            "beds": int(c.daily_beds[n, 0]),
            "beds_at_end": int(c.daily_beds[n, -1]),
        }
        for f, name in enumerate(FIGURES):
            entry[name] = interval(run.figures[:, n, f], floor=0.0)
        entry["delayed_by_reason"] = delayed_by_reason(run, n)
        pools.append(entry)
    return {
        "scenario": c.name,
        "replications": run.replications,
        "seed": run.seed,
        "start_date": c.scenario.start_date.isoformat(),
        "horizon_days": c.horizon_days,
        "warmup_days": c.warmup_days,
        "interval": INTERVAL,
        "pools": pools,
        "system": {name: interval(run.system[:, k], floor=0.0) for k, name in enumerate(SYSTEM_FIGURES)},
        "sources": sources(c),
        "assumptions": assumptions(c),
        **_resources().run_sections(run),
    }


def _resources() -> Any:
    """Staff and money figures (imported here: that module builds on this one)."""
    from joinedup.plan import resources

    return resources


COMPARED = (
    "occupancy",
    "occupied_beds",
    "days_above_92",
    "blocked_fraction",
    "refused_fraction",
    "diverted_fraction",
    "wait_mean_days",
    "waiting_mean",
    "bed_days",
    "delayed_bed_days",
)


def comparison(a: Run, b: Run) -> dict[str, Any]:
    """B against A pool by pool: each difference (B - A) with its 95% interval.

    Runs with the same seed and number of replications use common random numbers, so differences are
    paired replication by replication (Law, §10.2); otherwise the interval is Welch's, on the smaller n.
    """
    paired = a.replications == b.replications and a.seed == b.seed
    ids = list(a.compiled.pool_ids) + [p for p in b.compiled.pool_ids if p not in a.compiled.pool_ids]
    differences = []
    for pool_id in ids:
        in_a, in_b = pool_id in a.compiled.pool_ids, pool_id in b.compiled.pool_ids
        entry: dict[str, Any] = {
            "id": pool_id,
            "in_a": in_a,
            "in_b": in_b,
            "beds_a": _beds(a, pool_id),
            "beds_b": _beds(b, pool_id),
        }
        for name in COMPARED:
            if not (in_a and in_b):
                entry[name] = {"mean": None, "low": None, "high": None}
            elif paired:
                entry[name] = interval(b.figure(pool_id, name) - a.figure(pool_id, name))
            else:
                entry[name] = _welch(a.figure(pool_id, name), b.figure(pool_id, name))
        differences.append(entry)
    return {
        "a": summary(a),
        "b": summary(b),
        "paired": paired,
        "difference": "B minus A, " + ("paired by replication" if paired else "Welch interval"),
        "differences": differences,
        **_resources().comparison_sections(a, b, paired),
    }


def _beds(run: Run, pool_id: str) -> int | None:
    ids = run.compiled.pool_ids
    return int(run.compiled.daily_beds[ids.index(pool_id), 0]) if pool_id in ids else None


def _welch(a: FloatArray, b: FloatArray) -> dict[str, float | None]:
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        mean = float(b.mean() - a.mean()) if a.size and b.size else None
        return {"mean": mean, "low": None, "high": None}
    mean = float(b.mean() - a.mean())
    half = t_quantile_975(min(a.size, b.size) - 1) * math.sqrt(
        a.var(ddof=1) / a.size + b.var(ddof=1) / b.size
    )
    return {"mean": mean, "low": mean - half, "high": mean + half}


MODEL_ASSUMPTIONS = (
    "Arrivals on each pathway are a Poisson process whose rate follows the pathway's weekday and month "
    "profiles; patients arrive independently of one another.",
    "Each stay is drawn independently from its step's distribution; stays do not depend on how full the "
    "system is.",
    "A patient waiting for the next pool of a route keeps the bed they are in until a bed frees there "
    "(a delayed transfer); waiting patients are admitted first come, first served.",
    "Closing beds never moves a patient out: a pool above its new size admits no one until it falls below.",
    "A delayed discharge (medically fit but waiting for housing, social care, a CHC assessment, a community "
    "or care-home bed) is drawn with each stay at a step, independently of how full anything is; the patient "
    "keeps the bed for the delay, then goes on along the route.",
    "Figures cover the horizon only; the warm-up (run under the state on the start date) is discarded.",
    "Occupancy is the mean of occupied beds over the beds open; percentiles and days above 92% use each "
    "day's mean occupancy.",
)


def assumptions(compiled: CompiledScenario) -> list[str]:
    """The model's assumptions, the scenario's own, and every source in it labelled as an assumption."""
    scenario = compiled.scenario
    listed = list(MODEL_ASSUMPTIONS) + list(scenario.assumptions)
    if scenario.population is not None:
        population = demand.load_population(scenario.population)
        year = scenario.demand_year or scenario.start_date.year
        listed.append(f"population {population.id} in {year}: {population.source}")
        listed += [f"age band {band.id}: {band.source}" for band in population.bands]
    for pool in scenario.pools:
        if pool.source and "assumption" in pool.source.lower():
            listed.append(f"pool {pool.id}: {pool.source}")
    for pathway in scenario.pathways:
        if pathway.source and "assumption" in pathway.source.lower():
            listed.append(f"pathway {pathway.id}: {pathway.source}")
    for change in scenario.changes:
        if change.source and "assumption" in change.source.lower():
            listed.append(f"{change.kind} on {change.on}: {change.source}")
    listed += _delay_sources(scenario)
    listed += _resources().scenario_assumptions(scenario)
    return listed


def _delay_sources(scenario: Scenario) -> list[str]:
    """Each delayed discharge of the scenario with its source (a seed line, or labelled assumption)."""
    found = []
    for pathway in scenario.pathways:
        steps = [(f"pathway {pathway.id}", pathway.delays)]
        steps += [(f"pathway {pathway.id} at {s.pool}", s.delays or []) for st in pathway.route for s in st]
        for where, delays in steps:
            found += [
                f"{where}: delayed discharge ({d.reason}, probability {d.probability:g}, mean "
                f"{d.days.mean():g} days): {d.source or 'no source given'}"
                for d in delays
            ]
    return found


def sources(compiled: CompiledScenario) -> list[str]:
    """Each change with the document it comes from (those labelled assumption are listed as assumptions)."""
    cited = [
        f"{c.kind} on {c.on}: {c.source}"
        for c in compiled.scenario.changes
        if c.source and "assumption" not in c.source.lower()
    ]
    cited += _resources().scenario_sources(compiled.scenario)
    return cited
