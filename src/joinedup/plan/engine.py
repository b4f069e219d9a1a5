# mypy: disable-error-code="no-untyped-def,no-untyped-call"
"""Exact discrete-event simulation of bed pools, compiled with Numba; arrays in, flat records out.

Ends of stays and ends of waits are kept in a timing wheel with a small heap for the current bucket; the
arrival stream and the midnights beside them.
Events are handled in time order; arrivals follow a non-homogeneous Poisson process whose rate is constant
within a day: each day's gaps are exponential at that day's summed rate, and at midnight the pending gap
is drawn again at the new day's rate, exact since the exponential is memoryless (no arrival is drawn
only to be thinned away: a seventh of candidate arrivals were, on LLR). A patient who waits for the next
pool of a route keeps the bed they are in until one frees (blocking after service), so a full community
pool shows up as occupied acute beds. Everything the kernel reads was checked when the scenario was
loaded; it trusts its inputs.

Each replication may start with patients already in bed (`CompiledScenario.initial_occupied`, a forecast
from today): they leave after a residual stay drawn from the forward-recurrence distribution of their
pool's stay. A stay may end in a delayed discharge: the patient, medically fit, keeps the bed a while more.
Of the patients in bed at time 0, `initial_delayed` are already delayed: each leaves after a residual of the
pool's delay, and its days in bed inside the horizon are delayed bed-days.

The event loop is compiled without reference counting (`_nrt=False`), so it cannot allocate: when the heap
or the patient table is full it returns, the caller grows them and calls it again. The common events (an
arrival that finds a bed, a stay that ends with the patient going home) are handled inside the loop itself;
rarer ones (queues, step-down, diversion) call helpers in joinedup.plan.flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from joinedup.plan.compiled import CompiledScenario
from joinedup.plan.eventqueue import (
    C_CURSOR,
    C_DIRTY,
    C_EFREE,
    C_FREE,
    C_HEAP,
    C_PENDING,
    WHEEL_SIZE,
    advance,
    pop,
    push,
)
from joinedup.plan.flow import (
    A_AREA,
    A_END,
    A_MAX_WAIT,
    A_QAREA,
    ADMITTED,
    ARRIVALS,
    BED_TIME,
    BLOCKED,
    CHECK,
    DELAY_DAYS,
    DEPART,
    F_ADMIT,
    GAMMA,
    LOGNORMAL,
    N_STATS,
    P_NEXT,
    P_POOL,
    P_ROUTE,
    P_SERIAL,
    P_STAGE,
    P_STEP,
    P_WAIT_POOL,
    Q_BEDS,
    Q_DIRTY,
    Q_HEAD,
    Q_LEN,
    Q_OCC,
    Q_TAIL,
    QUEUE_AREA,
    RELEASED,
    S_DELAY_LEN,
    S_DELAY_OFF,
    S_DIST,
    S_P1,
    S_P2,
    S_POOL,
    S_REASON,
    SLOT_BITS,
    SLOT_MASK,
    TIMEOUT,
    WAIT_BINS,
    WAIT_COUNT,
    attempt,
    check_waits,
    choose,
    draw_bed_time,
    draw_residual_stay,
    fill_beds,
    touch,
    wait_ends,
)
from joinedup.plan.kernelcache import kernel
from joinedup.plan.scenario import DELAY_REASONS
from joinedup.plan.xoshiro import exponential, seeded_state, uniform

Records = tuple[
    npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.float64]
]
DONE, FULL = 0, 1


@kernel()
def _midnight(day, t, pool_i, pool_f, ctr, daily, counts, warmup_days, cap_day, cap_pool, cap_beds):
    """Close the day ending at `t` and apply the bed changes dated `day`.

    The day's mean occupied beds go into `daily`; the arrivals and blocked arrivals counted so far in the
    horizon into `counts` (running totals, so the event loop itself counts nothing per day).
    """
    for n in range(pool_i.shape[0]):
        touch(pool_i, pool_f, n, t)
        if day - 1 >= warmup_days:
            daily[n, day - 1 - warmup_days] = pool_f[n, A_AREA]
            counts[0, n, day - 1 - warmup_days] = pool_f[n, ARRIVALS]
            counts[1, n, day - 1 - warmup_days] = pool_f[n, BLOCKED]
            pool_f[n, QUEUE_AREA] += pool_f[n, A_QAREA]
        pool_f[n, A_AREA] = 0.0
        pool_f[n, A_QAREA] = 0.0
    cursor = ctr[C_CURSOR]
    while cursor < cap_day.size and cap_day[cursor] <= day:
        n = cap_pool[cursor]
        pool_i[n, Q_BEDS] = cap_beds[cursor]
        if pool_i[n, Q_LEN] > 0 and pool_i[n, Q_DIRTY] == 0:
            pool_i[n, Q_DIRTY] = 1
            ctr[C_DIRTY + 1 + ctr[C_DIRTY]] = n
            ctr[C_DIRTY] += 1
        cursor += 1
    ctr[C_CURSOR] = cursor


@kernel()
def _place_initial(
    initial,
    first_step,
    fallback_mean,
    home_stage,
    delayed,
    delay_row,
    delay_reason,
    delay_mean,
    warmup,
    pi,
    pf,
    ctr,
    pool_i,
    pool_f,
    ht,
    hc,
    wt,
    wl,
    wh,
    step_i,
    step_f,
    emp_values,
    emp_cum,
    rng,
):
    """Put the patients already in bed at time 0 into each pool (at most its beds that day).

    Each stays for a residual time drawn from the forward-recurrence distribution of the stay of the first
    step using the pool, then goes home: its route is left at its last stage. Its admission time is
    marked -1, so it counts in occupied beds and bed-days but not in admissions, discharges or stays.

    The first `delayed[n]` of a pool's patients are medically fit and waiting: each stays for a residual
    of the pool's delay (row `delay_row[n]`, or an exponential of mean `delay_mean[n]` where it is -1),
    and that time inside the reported horizon is delayed bed-days of reason `delay_reason[n]`.
    """
    end = pool_f[0, A_END] if initial.size else 0.0
    for n in range(initial.size):
        count = min(initial[n], pool_i[n, Q_BEDS])
        for k in range(count):
            slot = ctr[C_FREE]
            ctr[C_FREE] = pi[slot, P_NEXT]
            pi[slot, P_ROUTE] = 0
            pi[slot, P_STAGE] = home_stage
            pi[slot, P_STEP] = max(first_step[n], 0)
            pi[slot, P_POOL] = n
            pi[slot, P_WAIT_POOL] = -1
            pi[slot, P_SERIAL] = 0
            pf[slot, F_ADMIT] = -1.0
            if k < delayed[n]:
                residual = draw_residual_stay(
                    delay_row[n], delay_mean[n], step_i, step_f, emp_values, emp_cum, rng
                )
                inside = min(residual, end) - warmup
                if inside > 0.0:
                    pool_f[n, DELAY_DAYS + delay_reason[n]] += inside
            else:
                residual = draw_residual_stay(
                    first_step[n], fallback_mean, step_i, step_f, emp_values, emp_cum, rng
                )
            push(ht, hc, wt, wl, wh, ctr, residual, (slot << 2) | DEPART)
        if count > 0:
            touch(pool_i, pool_f, n, 0.0)
            pool_i[n, Q_OCC] += count


def _daily_arrivals(c: CompiledScenario) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per day, the cumulative share of each pathway in the day's arrivals and their mean gap."""
    rates = (c.rate_max[:, None] * c.day_factor[:, : c.total_days]).T  # days x pathways
    cum = np.cumsum(rates, axis=1)
    total = cum[:, -1].copy() if cum.size else np.zeros(c.total_days)
    with np.errstate(divide="ignore", invalid="ignore"):
        cum = np.where(total[:, None] > 0, cum / total[:, None], 1.0)
        gap = np.where(total > 0, 1.0 / total, np.inf)
    return np.ascontiguousarray(cum), gap


def _first_steps(c: CompiledScenario) -> tuple[npt.NDArray[np.int64], float]:
    """Per pool, the first step (in route-table order) that uses it, or -1; and the mean of all step means,
    the residual stay's mean where no step uses a pool (1 day if there are no steps)."""
    first = np.full(c.beds0.size, -1, dtype=np.int64)
    steps = int(c.stage_step_off[-1])  # rows after these are delays
    for k in range(steps - 1, -1, -1):
        first[c.step_i[k, S_POOL]] = k
    means = [_step_mean(c, k) for k in range(steps)]
    return first, float(np.mean(means)) if means else 1.0


def _initial_delays(
    c: CompiledScenario, first_step: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Per pool, the delay its delayed patients at time 0 wait out: the row of the first delay of the
    first step using the pool, or -1; its reason's code (`other` without one); and the exponential mean
    used without one (`initial_delay_mean`, or 1 day where that is 0)."""
    rows = np.full(c.beds0.size, -1, dtype=np.int64)
    reasons = np.full(c.beds0.size, DELAY_REASONS.index("other"), dtype=np.int64)
    for n, k in enumerate(first_step):
        if k >= 0 and c.step_i[k, S_DELAY_LEN] > 0:
            rows[n] = c.step_i[k, S_DELAY_OFF]
            reasons[n] = c.step_i[rows[n], S_REASON]
    means = np.where(c.initial_delay_mean > 0, c.initial_delay_mean, 1.0).astype(np.float64)
    return rows, reasons, means


def _step_mean(c: CompiledScenario, k: int) -> float:
    p1, p2 = float(c.step_f[k, S_P1]), float(c.step_f[k, S_P2])
    kind = int(c.step_i[k, S_DIST])
    if kind == LOGNORMAL:
        return float(np.exp(p1 + p2 * p2 / 2.0))
    if kind == GAMMA:
        return p1 * p2
    return p1  # exponential and empirical keep their mean in the first parameter


def _free_wheel_entries(first: int, end: int) -> npt.NDArray[np.int64]:
    """Wheel entries first..end-1 as (code, next), each linked to the next as a free list."""
    entries = np.zeros((end - first, 2), dtype=np.int64)
    entries[:, 1] = np.arange(first + 1, end + 1)
    entries[-1, 1] = -1
    return entries


@dataclass
class _Replication:
    """The mutable state of one replication; arrays grow here, in Python, when the event loop asks."""

    pi: npt.NDArray[np.int64]
    pf: npt.NDArray[np.float64]
    ctr: npt.NDArray[np.int64]
    pool_i: npt.NDArray[np.int64]
    pool_f: npt.NDArray[np.float64]
    ht: npt.NDArray[np.float64]
    hc: npt.NDArray[np.int64]
    wt: npt.NDArray[np.float64]
    wl: npt.NDArray[np.int64]
    wh: npt.NDArray[np.int64]
    clock: npt.NDArray[np.float64]

    @classmethod
    def empty(cls, c: CompiledScenario, room: int) -> _Replication:
        n_pools = c.beds0.size
        pi = np.full((room, 8), -1, dtype=np.int64)
        pi[:, P_NEXT] = np.arange(1, room + 1)
        pi[-1, P_NEXT] = -1
        pool_i = np.zeros((n_pools, 7), dtype=np.int64)
        pool_i[:, Q_HEAD] = pool_i[:, Q_TAIL] = -1
        pool_i[:, Q_BEDS] = c.beds0
        pool_f = np.zeros((n_pools, N_STATS))
        pool_f[:, A_MAX_WAIT] = c.pool_max_wait
        pool_f[:, A_END] = float(c.total_days)
        ctr = np.zeros(C_DIRTY + 1 + n_pools, dtype=np.int64)
        return cls(
            pi=pi,
            pf=np.zeros((room, 2)),
            ctr=ctr,
            pool_i=pool_i,
            pool_f=pool_f,
            ht=np.empty(room),
            hc=np.empty(room, dtype=np.int64),
            wt=np.empty(room),
            wl=_free_wheel_entries(0, room),
            wh=np.full(WHEEL_SIZE, -1, dtype=np.int64),
            clock=np.array([0.0, 1.0]),
        )

    def grow(self, headroom: int) -> None:
        """Grow the heap, the wheel or the patient table, whichever the event loop found full."""
        if self.ctr[C_HEAP] + headroom >= self.ht.size:
            self.ht = np.concatenate([self.ht, np.empty(max(self.ht.size, 2 * headroom))])
            self.hc = np.concatenate([self.hc, np.empty(self.ht.size - self.hc.size, dtype=np.int64)])
        if self.ctr[C_PENDING] + headroom >= self.wt.size:
            old = self.wt.size
            self.wt = np.concatenate([self.wt, np.empty(old)])
            extra = _free_wheel_entries(old, 2 * old)
            extra[-1, 1] = self.ctr[C_EFREE]
            self.wl = np.concatenate([self.wl, extra])
            self.ctr[C_EFREE] = old
        if self.ctr[C_FREE] < 0:
            old = self.pi.shape[0]
            extra = np.full((old, 8), -1, dtype=np.int64)
            extra[:, P_NEXT] = np.arange(old + 1, 2 * old + 1)
            extra[-1, P_NEXT] = -1
            self.pi = np.concatenate([self.pi, extra])
            self.pf = np.concatenate([self.pf, np.zeros((old, 2))])
            self.ctr[C_FREE] = old


@kernel()
def _events(
    rng,
    clock,
    pi,
    pf,
    ctr,
    pool_i,
    pool_f,
    ht,
    hc,
    wt,
    wl,
    wh,
    daily,
    counts,
    hist,
    cap_day,
    cap_pool,
    cap_beds,
    day_mix,
    mix_off,
    mix_route,
    mix_cum,
    route_stage_off,
    stage_step_off,
    step_i,
    step_f,
    emp_values,
    emp_cum,
    day_cum,
    day_gap,
    t_end,
    warmup_days,
    headroom,
):
    """Handle events in time order until the horizon ends (DONE) or the heap or patient table is FULL.

    `rng` is the replication's generator state; `clock` holds the next arrival and the next midnight
    between calls. `day_cum[d]` is the cumulative share of each pathway in day d's arrivals, `day_gap[d]`
    the mean gap between them (infinite on a day without arrivals).
    """
    warmup = float(warmup_days)
    last_pathway = day_cum.shape[1] - 1
    next_arrival, next_midnight = clock[0], clock[1]
    while True:
        if ctr[C_HEAP] + headroom >= ht.size or ctr[C_FREE] < 0 or ctr[C_PENDING] + headroom >= wt.size:
            clock[0], clock[1] = next_arrival, next_midnight
            return FULL
        if ctr[C_HEAP] == 0 and ctr[C_PENDING] > 0:
            advance(ht, hc, wt, wl, wh, ctr)
        t_heap = ht[0] if ctr[C_HEAP] > 0 else t_end
        if next_arrival <= t_heap and next_arrival < next_midnight:
            t = next_arrival
            if t >= t_end:
                break
            day = int(t)
            next_arrival = t + exponential(rng, day_gap[day])
            # The pathways' arrivals are one Poisson stream at the day's summed rate: a uniform picks one.
            u = uniform(rng)
            p = 0
            while p < last_pathway and u >= day_cum[day, p]:
                p += 1
            m = day_mix[p, day]
            k = mix_off[m]
            if mix_off[m + 1] - k > 1:
                u = uniform(rng)
                while k < mix_off[m + 1] - 1 and u >= mix_cum[k]:
                    k += 1
            route = mix_route[k]
            step = choose(route_stage_off[route], stage_step_off, step_f, rng)
            if step < 0:
                continue
            slot = ctr[C_FREE]
            ctr[C_FREE] = pi[slot, P_NEXT]
            pi[slot, P_ROUTE] = route
            pi[slot, P_STAGE] = route_stage_off[route]
            pi[slot, P_POOL] = -1
            pi[slot, P_WAIT_POOL] = -1
            pi[slot, P_SERIAL] = 0
            n = step_i[step, S_POOL]
            if pool_i[n, Q_OCC] < pool_i[n, Q_BEDS] and pool_i[n, Q_LEN] == 0:
                # A free bed and nobody waiting: the common admission, handled here for speed.
                touch(pool_i, pool_f, n, t)
                pool_i[n, Q_OCC] += 1
                pi[slot, P_POOL] = n
                pi[slot, P_STEP] = step
                pf[slot, F_ADMIT] = t
                if t >= warmup:
                    pool_f[n, ARRIVALS] += 1.0
                    pool_f[n, ADMITTED] += 1.0
                    pool_f[n, WAIT_COUNT] += 1.0
                    hist[n, 0] += 1
                stay = draw_bed_time(step, n, t, warmup, pool_f, step_i, step_f, emp_values, emp_cum, rng)
                push(ht, hc, wt, wl, wh, ctr, t + stay, (slot << 2) | DEPART)
            else:
                attempt(
                    slot,
                    step,
                    t,
                    warmup,
                    pi,
                    pf,
                    ht,
                    hc,
                    wt,
                    wl,
                    wh,
                    ctr,
                    pool_i,
                    pool_f,
                    hist,
                    step_i,
                    step_f,
                    emp_values,
                    emp_cum,
                    rng,
                )
        elif next_midnight <= t_heap:
            t = next_midnight
            if t >= t_end:
                break
            next_midnight += 1.0
            day = int(t + 0.5)
            next_arrival = t + exponential(rng, day_gap[day]) if day_gap[day] < np.inf else np.inf
            _midnight(day, t, pool_i, pool_f, ctr, daily, counts, warmup_days, cap_day, cap_pool, cap_beds)
        else:
            t = t_heap
            if t >= t_end:
                break
            code = hc[0]
            pop(ht, hc, ctr)
            slot = (code >> 2) & SLOT_MASK
            kind = code & 3
            if kind == CHECK:
                check_waits(
                    slot,
                    t,
                    warmup,
                    pi,
                    pf,
                    ht,
                    hc,
                    wt,
                    wl,
                    wh,
                    ctr,
                    pool_i,
                    pool_f,
                    hist,
                    step_i,
                    step_f,
                    emp_values,
                    emp_cum,
                    rng,
                )
            elif kind == TIMEOUT:
                wait_ends(
                    slot,
                    code >> (SLOT_BITS + 2),
                    t,
                    warmup,
                    pi,
                    pf,
                    ht,
                    hc,
                    wt,
                    wl,
                    wh,
                    ctr,
                    pool_i,
                    pool_f,
                    hist,
                    step_i,
                    step_f,
                    emp_values,
                    emp_cum,
                    rng,
                )
            else:
                stage = pi[slot, P_STAGE] + 1
                step = -1
                if stage < route_stage_off[pi[slot, P_ROUTE] + 1]:
                    step = choose(stage, stage_step_off, step_f, rng)
                if step >= 0:
                    pi[slot, P_STAGE] = stage
                    attempt(
                        slot,
                        step,
                        t,
                        warmup,
                        pi,
                        pf,
                        ht,
                        hc,
                        wt,
                        wl,
                        wh,
                        ctr,
                        pool_i,
                        pool_f,
                        hist,
                        step_i,
                        step_f,
                        emp_values,
                        emp_cum,
                        rng,
                    )
                else:
                    # The patient goes home: the common end of a stay, handled here for speed.
                    n = pi[slot, P_POOL]
                    touch(pool_i, pool_f, n, t)
                    pool_i[n, Q_OCC] -= 1
                    if t >= warmup and pf[slot, F_ADMIT] >= 0.0:
                        pool_f[n, RELEASED] += 1.0
                        pool_f[n, BED_TIME] += t - pf[slot, F_ADMIT]
                    pi[slot, P_POOL] = -1
                    pi[slot, P_NEXT] = ctr[C_FREE]
                    ctr[C_FREE] = slot
                    if pool_i[n, Q_LEN] > 0 and pool_i[n, Q_DIRTY] == 0:
                        pool_i[n, Q_DIRTY] = 1
                        ctr[C_DIRTY + 1 + ctr[C_DIRTY]] = n
                        ctr[C_DIRTY] += 1
        if ctr[C_DIRTY] > 0:
            fill_beds(
                t,
                warmup,
                pi,
                pf,
                ht,
                hc,
                wt,
                wl,
                wh,
                ctr,
                pool_i,
                pool_f,
                hist,
                step_i,
                step_f,
                emp_values,
                emp_cum,
                rng,
            )
    clock[0], clock[1] = next_arrival, next_midnight
    return DONE


def run_block(compiled: CompiledScenario, seeds: npt.NDArray[np.int64]) -> Records:
    """One replication per seed, in order: (stats, daily occupied beds, waits histogram, daily counts).

    Each is indexed by replication first; the daily counts are (replications x 2 x pools x days): the
    arrivals at each pool on each day of the horizon, then the arrivals that found it full.

    Replications are driven from Python: each compiled function is then compiled on its own, which keeps
    the first (uncached) compile short; the calls cost microseconds against milliseconds of simulation.
    """
    c = compiled
    n_pools = c.beds0.size
    day_cum, day_gap = _daily_arrivals(c)
    t_end = float(c.total_days)
    headroom = c.max_total_beds + 8
    stats = np.zeros((len(seeds), n_pools, N_STATS))
    daily = np.zeros((len(seeds), n_pools, c.horizon_days))
    hist = np.zeros((len(seeds), n_pools, WAIT_BINS), dtype=np.int64)
    counts = np.zeros((len(seeds), 2, n_pools, c.horizon_days))
    changes = (c.cap_day, c.cap_pool, c.cap_beds)
    model = (
        c.day_mix,
        c.mix_off,
        c.mix_route,
        c.mix_cum,
        c.route_stage_off,
        c.stage_step_off,
        c.step_i,
        c.step_f,
        c.emp_values,
        c.emp_cum,
        day_cum,
        day_gap,
        t_end,
        c.warmup_days,
        headroom,
    )
    first_step, fallback_mean = _first_steps(c)
    initial = c.initial_occupied
    home_stage = int(c.route_stage_off[1]) - 1
    delayed = (c.initial_delayed, *_initial_delays(c, first_step), float(c.warmup_days))
    if len(seeds) == 0:
        # Load (or compile) every kernel with the real argument types on a horizon that ends at once, so
        # worker processes forked after this inherit them instead of each loading them again.
        s = _Replication.empty(c, 2 * c.max_total_beds + 1024)
        rng = seeded_state(0)
        daily_now = np.zeros((n_pools, c.horizon_days))
        counts_now = np.zeros((2, n_pools, c.horizon_days))
        _midnight(0, 0.0, s.pool_i, s.pool_f, s.ctr, daily_now, counts_now, c.warmup_days, *changes)
        _place_initial(
            np.zeros_like(initial),
            first_step,
            fallback_mean,
            home_stage,
            *delayed,
            s.pi,
            s.pf,
            s.ctr,
            s.pool_i,
            s.pool_f,
            s.ht,
            s.hc,
            s.wt,
            s.wl,
            s.wh,
            c.step_i,
            c.step_f,
            c.emp_values,
            c.emp_cum,
            rng,
        )
        _events(
            rng,
            s.clock,
            s.pi,
            s.pf,
            s.ctr,
            s.pool_i,
            s.pool_f,
            s.ht,
            s.hc,
            s.wt,
            s.wl,
            s.wh,
            daily_now,
            counts_now,
            np.zeros((n_pools, WAIT_BINS), dtype=np.int64),
            *changes,
            *model[:12],
            0.0,
            *model[13:],
        )
    for r, seed in enumerate(seeds):
        s = _Replication.empty(c, 2 * c.max_total_beds + 1024)
        rng = seeded_state(int(seed))
        s.clock[0] = exponential(rng, day_gap[0]) if day_gap[0] < np.inf else np.inf
        _midnight(0, 0.0, s.pool_i, s.pool_f, s.ctr, daily[r], counts[r], c.warmup_days, *changes)
        if initial.any():
            _place_initial(
                initial,
                first_step,
                fallback_mean,
                home_stage,
                *delayed,
                s.pi,
                s.pf,
                s.ctr,
                s.pool_i,
                s.pool_f,
                s.ht,
                s.hc,
                s.wt,
                s.wl,
                s.wh,
                c.step_i,
                c.step_f,
                c.emp_values,
                c.emp_cum,
                rng,
            )
        # The event loop returns FULL when the heap, the wheel or the patient table must grow, then resumes.
        while (
            _events(
                rng,
                s.clock,
                s.pi,
                s.pf,
                s.ctr,
                s.pool_i,
                s.pool_f,
                s.ht,
                s.hc,
                s.wt,
                s.wl,
                s.wh,
                daily[r],
                counts[r],
                hist[r],
                *changes,
                *model,
            )
            == FULL
        ):
            s.grow(headroom)
        _midnight(
            c.total_days, t_end, s.pool_i, s.pool_f, s.ctr, daily[r], counts[r], c.warmup_days, *changes
        )
        stats[r] = s.pool_f
    # Running totals at each midnight become each day's own counts.
    return stats, daily, hist, np.diff(counts, axis=3, prepend=0.0)
