# mypy: disable-error-code="no-untyped-def,no-untyped-call"
"""Exact discrete-event simulation of bed pools, compiled with Numba; arrays in, flat records out.

Ends of stays and ends of waits are kept in a timing wheel with a small heap for the current bucket; the
arrival stream and the midnights beside them.
Events are handled in time order; arrivals follow a non-homogeneous Poisson process sampled by thinning
(Lewis and Shedler, 1979). A patient who waits for the next pool of a route keeps the bed they are in until
one frees (blocking after service), so a full community pool shows up as occupied acute beds. Everything
the kernel reads was checked when the scenario was loaded; it trusts its inputs.

The event loop is compiled without reference counting (`_nrt=False`), so it cannot allocate: when the heap
or the patient table is full it returns, the caller grows them and calls it again. The common events (an
arrival that finds a bed, a stay that ends with the patient going home) are handled inside the loop itself;
rarer ones (queues, step-down, diversion) call helpers in joinedup.plan.flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

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
    A_MAX_WAIT,
    A_QAREA,
    ADMITTED,
    ARRIVALS,
    BED_TIME,
    CHECK,
    DEPART,
    F_ADMIT,
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
    S_POOL,
    SLOT_BITS,
    SLOT_MASK,
    TIMEOUT,
    WAIT_BINS,
    WAIT_COUNT,
    attempt,
    check_waits,
    choose,
    draw_stay,
    fill_beds,
    touch,
    wait_ends,
)
from joinedup.plan.xoshiro import WITHOUT_REFCOUNTS, exponential, seeded_state, uniform

Records = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]
DONE, FULL = 0, 1


@njit(**WITHOUT_REFCOUNTS)
def _midnight(day, t, pool_i, pool_f, ctr, daily, warmup_days, cap_day, cap_pool, cap_beds):
    """Close the day ending at `t` (its mean occupied beds) and apply the bed changes dated `day`."""
    for n in range(pool_i.shape[0]):
        touch(pool_i, pool_f, n, t)
        if day - 1 >= warmup_days:
            daily[n, day - 1 - warmup_days] = pool_f[n, A_AREA]
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
        ctr = np.zeros(C_DIRTY + 1 + n_pools, dtype=np.int64)
        return cls(pi=pi, pf=np.zeros((room, 2)), ctr=ctr, pool_i=pool_i, pool_f=pool_f, ht=np.empty(room),
                   hc=np.empty(room, dtype=np.int64), wt=np.empty(room), wl=_free_wheel_entries(0, room),
                   wh=np.full(WHEEL_SIZE, -1, dtype=np.int64), clock=np.array([0.0, 1.0]))

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


@njit(**WITHOUT_REFCOUNTS)
def _events(rng, clock, pi, pf, ctr, pool_i, pool_f, ht, hc, wt, wl, wh, daily, hist, cap_day, cap_pool,
            cap_beds, day_factor, day_mix, mix_off, mix_route, mix_cum, route_stage_off, stage_step_off,
            step_i, step_f, emp_values, emp_cum, pathway_cum, mean_gap, t_end, warmup_days, headroom):
    """Handle events in time order until the horizon ends (DONE) or the heap or patient table is FULL.

    `rng` is the replication's generator state; `clock` holds the next arrival and the next midnight
    between calls.
    """
    warmup = float(warmup_days)
    last_pathway = pathway_cum.size - 1
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
            next_arrival = t + exponential(rng, mean_gap)
            # The pathways' arrivals are one Poisson stream at their summed peak rate: one uniform picks the
            # pathway and, rescaled within its share, keeps the arrival with its day's probability.
            u = uniform(rng)
            p = 0
            while p < last_pathway and u >= pathway_cum[p]:
                p += 1
            below = pathway_cum[p - 1] if p > 0 else 0.0
            day = int(t)
            keep = day_factor[p, day]
            if keep < 1.0 and (u - below) >= keep * (pathway_cum[p] - below):
                continue
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
                stay = draw_stay(step, step_i, step_f, emp_values, emp_cum, rng)
                push(ht, hc, wt, wl, wh, ctr, t + stay, (slot << 2) | DEPART)
            else:
                attempt(slot, step, t, warmup, pi, pf, ht, hc, wt, wl, wh, ctr, pool_i, pool_f, hist, step_i,
                        step_f, emp_values, emp_cum, rng)
        elif next_midnight <= t_heap:
            t = next_midnight
            if t >= t_end:
                break
            next_midnight += 1.0
            _midnight(int(t + 0.5), t, pool_i, pool_f, ctr, daily, warmup_days, cap_day, cap_pool, cap_beds)
        else:
            t = t_heap
            if t >= t_end:
                break
            code = hc[0]
            pop(ht, hc, ctr)
            slot = (code >> 2) & SLOT_MASK
            kind = code & 3
            if kind == CHECK:
                check_waits(slot, t, warmup, pi, pf, ht, hc, wt, wl, wh, ctr, pool_i, pool_f, hist, step_i,
                            step_f, emp_values, emp_cum, rng)
            elif kind == TIMEOUT:
                wait_ends(slot, code >> (SLOT_BITS + 2), t, warmup, pi, pf, ht, hc, wt, wl, wh, ctr, pool_i,
                          pool_f, hist, step_i, step_f, emp_values, emp_cum, rng)
            else:
                stage = pi[slot, P_STAGE] + 1
                step = -1
                if stage < route_stage_off[pi[slot, P_ROUTE] + 1]:
                    step = choose(stage, stage_step_off, step_f, rng)
                if step >= 0:
                    pi[slot, P_STAGE] = stage
                    attempt(slot, step, t, warmup, pi, pf, ht, hc, wt, wl, wh, ctr, pool_i, pool_f, hist,
                            step_i, step_f, emp_values, emp_cum, rng)
                else:
                    # The patient goes home: the common end of a stay, handled here for speed.
                    n = pi[slot, P_POOL]
                    touch(pool_i, pool_f, n, t)
                    pool_i[n, Q_OCC] -= 1
                    if t >= warmup:
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
            fill_beds(t, warmup, pi, pf, ht, hc, wt, wl, wh, ctr, pool_i, pool_f, hist, step_i, step_f,
                      emp_values, emp_cum, rng)
    clock[0], clock[1] = next_arrival, next_midnight
    return DONE


def run_block(compiled: CompiledScenario, seeds: npt.NDArray[np.int64]) -> Records:
    """One replication per seed, in order: (stats, daily occupied beds, waits histogram), by replication.

    Replications are driven from Python: each compiled function is then compiled on its own, which keeps
    the first (uncached) compile short; the calls cost microseconds against milliseconds of simulation.
    """
    c = compiled
    n_pools, total_rate = c.beds0.size, float(c.rate_max.sum())
    pathway_cum = np.cumsum(c.rate_max) / max(total_rate, 1e-300)
    mean_gap = 1.0 / total_rate if total_rate > 0 else np.inf
    t_end = float(c.total_days)
    headroom = c.max_total_beds + 8
    stats = np.zeros((len(seeds), n_pools, N_STATS))
    daily = np.zeros((len(seeds), n_pools, c.horizon_days))
    hist = np.zeros((len(seeds), n_pools, WAIT_BINS), dtype=np.int64)
    changes = (c.cap_day, c.cap_pool, c.cap_beds)
    model = (c.day_factor, c.day_mix, c.mix_off, c.mix_route, c.mix_cum, c.route_stage_off, c.stage_step_off,
             c.step_i, c.step_f, c.emp_values, c.emp_cum, pathway_cum, mean_gap, t_end, c.warmup_days,
             headroom)
    for r, seed in enumerate(seeds):
        s = _Replication.empty(c, 2 * c.max_total_beds + 1024)
        rng = seeded_state(int(seed))
        s.clock[0] = exponential(rng, mean_gap) if total_rate > 0 else t_end
        _midnight(0, 0.0, s.pool_i, s.pool_f, s.ctr, daily[r], c.warmup_days, *changes)
        # The event loop returns FULL when the heap, the wheel or the patient table must grow, then resumes.
        while _events(rng, s.clock, s.pi, s.pf, s.ctr, s.pool_i, s.pool_f, s.ht, s.hc, s.wt, s.wl, s.wh,
                      daily[r], hist[r], *changes, *model) == FULL:
            s.grow(headroom)
        _midnight(c.total_days, t_end, s.pool_i, s.pool_f, s.ctr, daily[r], c.warmup_days, *changes)
        stats[r] = s.pool_f
    return stats, daily, hist
