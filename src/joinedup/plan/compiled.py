"""A validated scenario turned into the flat arrays the compiled engine reads (days count from the warm-up).

Routes are resolved once per pathway and per change (a moved service or a shifted share of activity
gives a new route variant); each simulated day then names its route mix and its arrival multiplier.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from joinedup.plan import chc, demand, workforce
from joinedup.plan.checks import capacity_schedule, pool_ids
from joinedup.plan.scenario import (
    DELAY_REASONS,
    AvoidAdmissions,
    Delay,
    MoveService,
    Pathway,
    Scenario,
    ShiftActivity,
    Stay,
    Step,
)

POLICY_CODES = {"refuse": 0, "wait": 1, "divert": 2}
DISTRIBUTION_CODES = {"lognormal": 0, "gamma": 1, "exponential": 2, "empirical": 3}
# Columns of the step tables. A step's delayed discharges are rows after every step of every route, with
# the same columns: the reason's code in place of the pool, the delay's distribution, and in STEP_CUM the
# cumulative probability of the step's delays up to this one.
STEP_POOL, STEP_DIST, STEP_EMP_OFF, STEP_EMP_LEN, STEP_POLICY, STEP_DIVERT, STEP_DELAY_OFF, STEP_DELAY_LEN = (
    range(8)
)
STEP_P1, STEP_P2, STEP_MAX_WAIT, STEP_CUM = range(4)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ResolvedStep:
    """A route option with every default filled in from its pathway."""

    pool: str
    probability: float
    stay: Stay
    when_full: str
    max_wait_days: float | None
    divert_to: str | None
    delays: tuple[Delay, ...] = ()


Route = tuple[tuple[ResolvedStep, ...], ...]


@dataclass(frozen=True)
class CompiledScenario:
    """Everything the kernel needs, as arrays; ids and dates stay here for reading the results back."""

    name: str
    scenario: Scenario
    pool_ids: tuple[str, ...]
    pathway_ids: tuple[str, ...]
    warmup_days: int
    horizon_days: int
    beds0: IntArray
    pool_max_wait: FloatArray
    cap_day: IntArray
    cap_pool: IntArray
    cap_beds: IntArray
    daily_beds: IntArray
    arrivals_per_day: FloatArray
    rate_max: FloatArray
    day_factor: FloatArray
    day_mix: IntArray
    mix_off: IntArray
    mix_route: IntArray
    mix_cum: FloatArray
    route_stage_off: IntArray
    stage_step_off: IntArray
    step_i: IntArray
    step_f: FloatArray
    emp_values: FloatArray
    emp_cum: FloatArray
    max_total_beds: int
    demand_by_band: dict[str, dict[str, float]] = field(default_factory=dict)
    # Patients in each pool's beds at time 0 of every replication (a forecast from today); none if empty.
    initial_occupied: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Of those, the patients medically fit and waiting (delayed discharges); none if empty.
    initial_delayed: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Per pool, the mean delay in days for its delayed patients at time 0 when no step using the pool has
    # a delay of its own (the mean days waited so far on the delayed list); 1 day where 0 or empty.
    initial_delay_mean: FloatArray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))

    def __post_init__(self) -> None:
        initial = self._per_pool("initial_occupied", np.int64)
        delayed = self._per_pool("initial_delayed", np.int64)
        if np.any(delayed > initial):
            raise ValueError(
                f"initial_delayed needs at most initial_occupied patients per pool, "
                f"got {delayed.tolist()} of {initial.tolist()}"
            )
        mean = self._per_pool("initial_delay_mean", np.float64)
        if not np.all(np.isfinite(mean)):
            raise ValueError(f"initial_delay_mean needs finite days per pool, got {mean.tolist()}")

    def _per_pool(self, name: str, dtype: type[np.int64] | type[np.float64]) -> Any:
        """One value of 0 or more per pool (zeros when empty), stored back as an array of `dtype`."""
        values = np.asarray(getattr(self, name), dtype=dtype)
        if values.size == 0:
            values = np.zeros(self.beds0.size, dtype=dtype)
        if values.shape != self.beds0.shape or np.any(values < 0):
            kind = "count" if dtype is np.int64 else "value"
            raise ValueError(
                f"{name} needs one {kind} of 0 or more per pool ({self.beds0.size} pools), "
                f"got {values.tolist()}"
            )
        object.__setattr__(self, name, values)
        return values

    @property
    def total_days(self) -> int:
        return self.warmup_days + self.horizon_days


def compile_scenario(scenario: Scenario) -> CompiledScenario:
    """Flatten a checked scenario into kernel arrays."""
    scenario = chc.with_chc_demand(scenario)
    pools = pool_ids(scenario)
    index = {pool: i for i, pool in enumerate(pools)}
    total_days = scenario.warmup_days + scenario.horizon_days
    capacity = _capacity(scenario, index, total_days)
    arrivals, by_band = _arrivals(scenario)
    routes = _RouteTable(index)
    factors = np.zeros((len(scenario.pathways), total_days))
    day_mix = np.zeros((len(scenario.pathways), total_days), dtype=np.int64)
    for p, pathway in enumerate(scenario.pathways):
        factors[p], day_mix[p] = _pathway_days(scenario, pathway, routes)
    peak = factors.max(axis=1) if total_days else np.zeros(len(scenario.pathways))
    rate_max = arrivals * peak
    safe_peak = np.where(peak > 0, peak, 1.0)
    return CompiledScenario(
        name=scenario.name,
        scenario=scenario,
        pool_ids=tuple(pools),
        pathway_ids=tuple(p.id for p in scenario.pathways),
        warmup_days=scenario.warmup_days,
        horizon_days=scenario.horizon_days,
        beds0=capacity[0],
        pool_max_wait=_shared_max_waits(routes, len(pools)),
        cap_day=capacity[1],
        cap_pool=capacity[2],
        cap_beds=capacity[3],
        daily_beds=capacity[4],
        arrivals_per_day=arrivals,
        rate_max=rate_max,
        day_factor=factors / safe_peak[:, None],
        day_mix=day_mix,
        **routes.arrays(),
        max_total_beds=int(np.maximum(capacity[0], capacity[4].max(axis=1, initial=0)).sum()),
        demand_by_band=by_band,
    )


def _shared_max_waits(routes: _RouteTable, n_pools: int) -> FloatArray:
    """Per pool, the finite maximum wait its queueing steps share, else 0 (patients then time out alone)."""
    waits: dict[int, set[float]] = {}
    for _, route in routes.routes.values():
        for stage in route:
            for step in stage:
                if step.when_full == "wait":
                    limit = step.max_wait_days if step.max_wait_days is not None else math.inf
                    waits.setdefault(routes.pool_index[step.pool], set()).add(limit)
    shared = np.zeros(n_pools)
    for pool, limits in waits.items():
        if len(limits) == 1 and math.isfinite(next(iter(limits))):
            shared[pool] = next(iter(limits))
    return shared


def _capacity(scenario: Scenario, index: dict[str, int], total_days: int) -> tuple[IntArray, ...]:
    schedule = capacity_schedule(scenario)
    beds0 = np.zeros(len(index), dtype=np.int64)
    events: list[tuple[int, int, int]] = []
    daily = np.zeros((len(index), total_days), dtype=np.int64)
    for pool, entries in schedule.items():
        n = index[pool]
        beds0[n] = entries[0][1]
        for on, beds in entries[1:]:
            events.append((scenario.warmup_days + (on - scenario.start_date).days, n, beds))
    events.sort(key=lambda e: e[0])  # stable: same-day changes keep file order
    current = beds0.copy()
    cursor = 0
    for day in range(total_days):
        while cursor < len(events) and events[cursor][0] <= day:
            current[events[cursor][1]] = events[cursor][2]
            cursor += 1
        daily[:, day] = current
    columns = np.array(events, dtype=np.int64).reshape(-1, 3)
    staffed = workforce.staffed_beds(scenario, list(index), daily, scenario.warmup_days)
    if (staffed < daily).any():  # a pool open but unstaffed behaves as closed beyond its staffed beds
        daily, columns = workforce.capped_capacity(daily, staffed)
        beds0 = daily[:, 0].copy()
    reported = daily[:, scenario.warmup_days :]
    return beds0, columns[:, 0].copy(), columns[:, 1].copy(), columns[:, 2].copy(), reported


def _arrivals(scenario: Scenario) -> tuple[FloatArray, dict[str, dict[str, float]]]:
    rates = np.zeros(len(scenario.pathways))
    by_band: dict[str, dict[str, float]] = {}
    year = scenario.demand_year or scenario.start_date.year
    for p, pathway in enumerate(scenario.pathways):
        if pathway.admissions_per_1000 is not None and scenario.population is not None:
            population = demand.load_population(scenario.population)
            by_band[pathway.id] = demand.arrivals_by_age_band(population, pathway.admissions_per_1000, year)
            rates[p] = sum(by_band[pathway.id].values())
        else:
            rates[p] = float(pathway.arrivals_per_day or 0.0)
    return rates, by_band


def _pathway_days(scenario: Scenario, pathway: Pathway, routes: _RouteTable) -> tuple[FloatArray, IntArray]:
    """Arrival multiplier and route-mix index for each simulated day of one pathway."""
    total_days = scenario.warmup_days + scenario.horizon_days
    first = scenario.start_date - timedelta(days=scenario.warmup_days)
    profile = demand.day_profile(first, total_days, pathway.weekday, pathway.season)
    if pathway.starts_on is not None:  # a pathway that begins on a date has no arrivals before it
        profile = profile * (np.arange(total_days) >= (pathway.starts_on - first).days)
    mix: list[tuple[Route, float]] = [(resolve_route(pathway.route, pathway, None), 1.0)]
    multiplier = 1.0
    factor = np.zeros(total_days)
    mix_ids = np.zeros(total_days, dtype=np.int64)
    changes = sorted(
        (c for c in scenario.changes if getattr(c, "pathway", "") in (pathway.id, None)),
        key=lambda c: c.on,
    )
    cursor = 0
    for day in range(total_days):
        while (
            cursor < len(changes)
            and scenario.warmup_days + (changes[cursor].on - scenario.start_date).days <= day
        ):
            mix, multiplier = _apply(changes[cursor], pathway, mix, multiplier)
            cursor += 1
        factor[day] = profile[day] * multiplier
        mix_ids[day] = routes.mix_id(mix)
    return factor, mix_ids


def _apply(
    change: object, pathway: Pathway, mix: list[tuple[Route, float]], multiplier: float
) -> tuple[list[tuple[Route, float]], float]:
    if isinstance(change, AvoidAdmissions):
        return mix, multiplier * (1.0 - change.share)
    if isinstance(change, ShiftActivity):
        shifted = [(route, weight * (1.0 - change.share)) for route, weight in mix]
        return [*shifted, (resolve_route(change.route, pathway, change.stay), change.share)], multiplier
    if isinstance(change, MoveService):
        moved = [(_moved(route, change.from_pool, change.to_pool), weight) for route, weight in mix]
        return moved, multiplier
    return mix, multiplier


def _moved(route: Route, old: str, new: str) -> Route:
    return tuple(
        tuple(
            ResolvedStep(
                new if s.pool == old else s.pool,
                s.probability,
                s.stay,
                s.when_full,
                s.max_wait_days,
                new if s.divert_to == old else s.divert_to,
                s.delays,
            )
            for s in stage
        )
        for stage in route
    )


def resolve_route(route: list[list[Step]], pathway: Pathway, stay: Stay | None) -> Route:
    """A route with each option's stay and full-pool rule filled in from the pathway.

    A step without its own divert_to takes the pathway's only in the first stage; a step without its own
    delays list takes the pathway's.
    """
    return tuple(
        tuple(
            ResolvedStep(
                pool=step.pool,
                probability=step.probability,
                stay=step.stay or stay or pathway.stay,
                when_full=step.when_full or pathway.when_full,
                max_wait_days=step.max_wait_days
                if step.when_full
                else step.max_wait_days or pathway.max_wait_days,
                divert_to=step.divert_to if step.divert_to or j > 0 else pathway.divert_to,
                delays=tuple(step.delays if step.delays is not None else pathway.delays),
            )
            for step in stage
        )
        for j, stage in enumerate(route)
    )


class _RouteTable:
    """Distinct routes and route mixes, numbered in the order they are first met."""

    def __init__(self, pool_index: dict[str, int]) -> None:
        self.pool_index = pool_index
        self.routes: dict[str, tuple[int, Route]] = {}
        self.mixes: dict[tuple[tuple[int, float], ...], int] = {}

    def route_id(self, route: Route) -> int:
        key = json.dumps([[_step_key(s) for s in stage] for stage in route])
        if key not in self.routes:
            self.routes[key] = (len(self.routes), route)
        return self.routes[key][0]

    def mix_id(self, mix: list[tuple[Route, float]]) -> int:
        weights: dict[int, float] = {}
        for route, weight in mix:
            route_id = self.route_id(route)
            weights[route_id] = weights.get(route_id, 0.0) + weight
        key = tuple((r, w) for r, w in weights.items() if w > 0)
        if key not in self.mixes:
            self.mixes[key] = len(self.mixes)
        return self.mixes[key]

    def arrays(self) -> dict[str, Any]:
        mix_off, mix_route, mix_cum = [0], [], []
        for key in self.mixes:
            total = sum(w for _, w in key)
            running = 0.0
            for route_id, weight in key:
                running += weight / total
                mix_route.append(route_id)
                mix_cum.append(running)
            mix_cum[-1] = 1.0
            mix_off.append(len(mix_route))
        steps = _StepArrays(self.pool_index)
        for _, route in self.routes.values():
            steps.add_route(route)
        return {
            "mix_off": np.array(mix_off, dtype=np.int64),
            "mix_route": np.array(mix_route, dtype=np.int64),
            "mix_cum": np.array(mix_cum, dtype=np.float64),
            **steps.arrays(),
        }


def _step_key(step: ResolvedStep) -> list[object]:
    return [
        step.pool,
        step.probability,
        step.stay.model_dump(),
        step.when_full,
        step.max_wait_days,
        step.divert_to,
        [delay.model_dump() for delay in step.delays],
    ]


class _StepArrays:
    """Routes as stage and step tables; a stay's distribution becomes its kernel parameters."""

    def __init__(self, pool_index: dict[str, int]) -> None:
        self.pool_index = pool_index
        self.route_stage_off, self.stage_step_off = [0], [0]
        self.step_i: list[list[int]] = []
        self.step_f: list[list[float]] = []
        self.emp_values: list[float] = []
        self.emp_cum: list[float] = []
        self.delays: list[tuple[Delay, ...]] = []

    def add_route(self, route: Route) -> None:
        for stage in route:
            running = 0.0
            for step in stage:
                running += step.probability
                self._add_step(step, min(running, 1.0))
            self.stage_step_off.append(len(self.step_i))
        self.route_stage_off.append(len(self.stage_step_off) - 1)

    def _add_step(self, step: ResolvedStep, cumulative: float) -> None:
        p1, p2, emp_off, emp_len = self._stay_parameters(step.stay)
        divert = self.pool_index[step.divert_to] if step.divert_to else -1
        max_wait = step.max_wait_days if step.max_wait_days is not None else math.inf
        self.step_i.append(
            [
                self.pool_index[step.pool],
                DISTRIBUTION_CODES[step.stay.distribution],
                emp_off,
                emp_len,
                POLICY_CODES[step.when_full],
                divert,
                0,
                len(step.delays),
            ]
        )
        self.step_f.append([p1, p2, max_wait, cumulative])
        self.delays.append(step.delays)

    def _add_delays(self) -> None:
        """Each step's delayed discharges as rows after the steps; the step points to its first."""
        for k, delays in enumerate(self.delays):
            self.step_i[k][STEP_DELAY_OFF] = len(self.step_i)
            running = 0.0
            for delay in delays:
                running += delay.probability
                p1, p2, emp_off, emp_len = self._stay_parameters(delay.days)
                code = DELAY_REASONS.index(delay.reason)
                dist = DISTRIBUTION_CODES[delay.days.distribution]
                self.step_i.append([code, dist, emp_off, emp_len, 0, -1, 0, 0])
                self.step_f.append([p1, p2, 0.0, min(running, 1.0)])
        self.delays = []

    def _stay_parameters(self, stay: Stay) -> tuple[float, float, int, int]:
        mean, sd = stay.mean(), stay.sd_days or 0.0
        if stay.distribution == "lognormal":
            sigma2 = math.log1p((sd / mean) ** 2)
            return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2), 0, 0
        if stay.distribution == "gamma":
            return (mean / sd) ** 2, sd * sd / mean, 0, 0
        if stay.distribution == "exponential":
            return mean, 0.0, 0, 0
        values = stay.values or []
        weights = np.asarray(stay.weights or [1.0] * len(values), dtype=np.float64)
        offset = len(self.emp_values)
        self.emp_values.extend(values)
        cumulative = np.cumsum(weights) / weights.sum()
        cumulative[-1] = 1.0
        self.emp_cum.extend(cumulative.tolist())
        return mean, 0.0, offset, len(values)

    def arrays(self) -> dict[str, Any]:
        self._add_delays()
        return {
            "route_stage_off": np.array(self.route_stage_off, dtype=np.int64),
            "stage_step_off": np.array(self.stage_step_off, dtype=np.int64),
            "step_i": np.array(self.step_i, dtype=np.int64).reshape(-1, 8),
            "step_f": np.array(self.step_f, dtype=np.float64).reshape(-1, 4),
            "emp_values": np.array(self.emp_values or [0.0], dtype=np.float64),
            "emp_cum": np.array(self.emp_cum or [1.0], dtype=np.float64),
        }
