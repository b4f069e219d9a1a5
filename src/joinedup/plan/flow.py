# mypy: disable-error-code="no-untyped-def,no-untyped-call"
"""Patient flow inside the compiled engine: the event heap, stay draws, queues, admission and diversion.

These are the engine's less frequent paths (a full pool, a step-down, a maximum wait reached) and the
small pieces the event loop uses everywhere. Each takes plain arrays (column numbers are named below) and
is compiled without Numba's reference counting (`_nrt=False`): none allocates, and counting references on
every call cost a quarter of the run time. A compiled call passing twenty arrays costs tens of
nanoseconds, so the paths of a busy pool (a patient who queues, is admitted when a bed frees, or reaches
the maximum wait) are inlined into the event loop (`inline="always"`): 28% less CPU a replication on LLR,
for a first compile about 9 seconds longer. So is the draw of a delayed discharge, made at every admission
to a pool with delays (the Royal Infirmary's): 14% less CPU again.
"""

from __future__ import annotations

import numpy as np

from joinedup.plan.eventqueue import (
    C_DIRTY,
    C_FREE,
    C_SERIAL,
    push,
)
from joinedup.plan.kernelcache import kernel
from joinedup.plan.xoshiro import exponential, gamma, normal, uniform

# Heap event kinds, in the low two bits of a code: a stay ends (patient slot), a pool's longest-waiting
# patient reaches the maximum wait (pool), one patient's own maximum wait ends (slot and serial number).
DEPART, CHECK, TIMEOUT = 0, 1, 2
SLOT_BITS = 32
SLOT_MASK = (1 << SLOT_BITS) - 1
REFUSE, WAIT, DIVERT = 0, 1, 2
LOGNORMAL, GAMMA, EXPONENTIAL = 0, 1, 2

# Per-pool float columns: running areas for the current day, then the record over the reported horizon.
# A_MAX_WAIT is the maximum wait shared by every step queueing for the pool (0 when they differ).
A_AREA, A_QAREA, A_LAST, A_MAX_WAIT = 0, 1, 2, 3
ARRIVALS, BLOCKED, REFUSED, DIVERTED, DIVERTED_IN, ADMITTED = 4, 5, 6, 7, 8, 9
RELEASED, BED_TIME, WAIT_SUM, WAIT_COUNT, QUEUE_AREA = 10, 11, 12, 13, 14
# A_END is the end of the horizon; then, per reason of delay (compiled.DELAY_REASONS order), the delayed
# bed-days inside the horizon, then the patients admitted in the horizon whose discharge was delayed.
A_END = 15
N_REASONS = 6
DELAY_DAYS = 16
DELAYED = DELAY_DAYS + N_REASONS
N_STATS = DELAYED + N_REASONS
# Waits histogram: bin 0 holds waits of exactly zero, then one bin per hour up to 90 days, then the rest.
WAIT_BINS_PER_DAY = 24
WAIT_BINS = 2 + 90 * WAIT_BINS_PER_DAY

# Patient columns (int, float), pool int columns, step columns (int, float).
P_ROUTE, P_STAGE, P_STEP, P_POOL, P_WAIT_POOL, P_NEXT, P_PREV, P_SERIAL = 0, 1, 2, 3, 4, 5, 6, 7
F_ADMIT, F_WAIT_START = 0, 1
Q_OCC, Q_BEDS, Q_HEAD, Q_TAIL, Q_LEN, Q_DIRTY, Q_CHECK = 0, 1, 2, 3, 4, 5, 6
S_POOL, S_DIST, S_EMP_OFF, S_EMP_LEN, S_POLICY, S_DIVERT, S_DELAY_OFF, S_DELAY_LEN = 0, 1, 2, 3, 4, 5, 6, 7
S_REASON = 0  # in a delay's row, in place of the pool
S_P1, S_P2, S_MAX_WAIT, S_CUM = 0, 1, 2, 3


@kernel(inline="always")
def draw_stay(step, step_i, step_f, emp_values, emp_cum, rng):
    """A length of stay in days from the step's distribution (lognormal, gamma, exponential or empirical)."""
    kind = step_i[step, S_DIST]
    if kind == LOGNORMAL:
        return np.exp(step_f[step, S_P1] + step_f[step, S_P2] * normal(rng))
    if kind == GAMMA:
        return gamma(rng, step_f[step, S_P1], step_f[step, S_P2])
    if kind == EXPONENTIAL:
        return exponential(rng, step_f[step, S_P1])
    u = uniform(rng)
    lo = step_i[step, S_EMP_OFF]
    hi = lo + step_i[step, S_EMP_LEN] - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if emp_cum[mid] <= u:
            lo = mid + 1
        else:
            hi = mid
    return emp_values[lo]


@kernel(inline="always")
def _delay(step, n, start, counting, warmup, pool_f, step_i, step_f, emp_values, emp_cum, rng):
    """Days a patient medically fit from `start` keeps the bed (0 when not delayed), each delay taken with
    its probability; the delayed bed-days inside the horizon and the delayed patient are counted."""
    u = uniform(rng)
    first = step_i[step, S_DELAY_OFF]
    for d in range(first, first + step_i[step, S_DELAY_LEN]):
        if u < step_f[d, S_CUM]:
            days = draw_stay(d, step_i, step_f, emp_values, emp_cum, rng)
            reason = step_i[d, S_REASON]
            inside = min(start + days, pool_f[n, A_END]) - max(start, warmup)
            if inside > 0.0:
                pool_f[n, DELAY_DAYS + reason] += inside
            if counting:
                pool_f[n, DELAYED + reason] += 1.0
            return days
    return 0.0


@kernel(inline="always")
def draw_bed_time(step, n, t, warmup, pool_f, step_i, step_f, emp_values, emp_cum, rng):
    """Time in the bed of pool `n` from admission at `t`: the stay, then any delayed discharge."""
    stay = draw_stay(step, step_i, step_f, emp_values, emp_cum, rng)
    if step_i[step, S_DELAY_LEN] > 0:
        counting = t >= warmup
        stay += _delay(step, n, t + stay, counting, warmup, pool_f, step_i, step_f, emp_values, emp_cum, rng)
    return stay


@kernel()
def draw_residual_stay(step, fallback_mean, step_i, step_f, emp_values, emp_cum, rng):
    """The time left in bed of a patient found in a bed at a random moment, for the step's stay.

    That is the stay's forward-recurrence (equilibrium residual) distribution: a length-biased stay L
    (density x f(x) / mean) times an independent uniform (Cox, Renewal Theory, 1962, §5.2). Length-biased
    draws are exact: lognormal(mu + sigma², sigma), gamma(shape + 1, scale), gamma(2, mean) for an
    exponential, and an empirical value accepted with probability value / largest value. Without a step
    (step < 0) the residual is exponential with `fallback_mean` (its own residual distribution).
    """
    if step < 0:
        return exponential(rng, fallback_mean)
    kind = step_i[step, S_DIST]
    if kind == LOGNORMAL:
        sigma = step_f[step, S_P2]
        biased = np.exp(step_f[step, S_P1] + sigma * sigma + sigma * normal(rng))
    elif kind == GAMMA:
        biased = gamma(rng, step_f[step, S_P1] + 1.0, step_f[step, S_P2])
    elif kind == EXPONENTIAL:
        biased = exponential(rng, step_f[step, S_P1]) + exponential(rng, step_f[step, S_P1])
    else:
        lo = step_i[step, S_EMP_OFF]
        hi = lo + step_i[step, S_EMP_LEN]
        largest = 0.0
        for k in range(lo, hi):
            largest = max(largest, emp_values[k])
        if largest <= 0.0:
            return 0.0
        while True:
            biased = draw_stay(step, step_i, step_f, emp_values, emp_cum, rng)
            if uniform(rng) * largest < biased:
                break
    return uniform(rng) * biased


@kernel(inline="always")
def choose(stage, stage_step_off, step_f, rng):
    """The option a patient takes at a route stage, or -1 for home (probabilities add up to at most 1)."""
    lo = stage_step_off[stage]
    hi = stage_step_off[stage + 1]
    if hi - lo == 1 and step_f[lo, S_CUM] >= 1.0:
        return lo
    u = uniform(rng)
    for k in range(lo, hi):
        if u < step_f[k, S_CUM]:
            return k
    return -1


@kernel(inline="always")
def touch(pool_i, pool_f, n, t):
    """Add occupied-bed and waiting-patient time since the pool last changed."""
    dt = t - pool_f[n, A_LAST]
    pool_f[n, A_AREA] += pool_i[n, Q_OCC] * dt
    pool_f[n, A_QAREA] += pool_i[n, Q_LEN] * dt
    pool_f[n, A_LAST] = t


@kernel(inline="always")
def _record_wait(pool_f, hist, n, wait):
    pool_f[n, WAIT_SUM] += wait
    pool_f[n, WAIT_COUNT] += 1.0
    b = 0
    if wait > 0.0:
        b = min(1 + int(wait * WAIT_BINS_PER_DAY), WAIT_BINS - 1)
    hist[n, b] += 1


@kernel(inline="always")
def _mark_for_filling(pool_i, ctr, n):
    if pool_i[n, Q_LEN] > 0 and pool_i[n, Q_DIRTY] == 0:
        pool_i[n, Q_DIRTY] = 1
        ctr[C_DIRTY + 1 + ctr[C_DIRTY]] = n
        ctr[C_DIRTY] += 1


@kernel(inline="always")
def _release(slot, t, warmup, pi, pf, ctr, pool_i, pool_f):
    """Free the bed a patient holds, if any; its pool is then filled from its queue."""
    n = pi[slot, P_POOL]
    if n < 0:
        return
    touch(pool_i, pool_f, n, t)
    pool_i[n, Q_OCC] -= 1
    if t >= warmup:
        pool_f[n, RELEASED] += 1.0
        pool_f[n, BED_TIME] += t - pf[slot, F_ADMIT]
    pi[slot, P_POOL] = -1
    _mark_for_filling(pool_i, ctr, n)


@kernel()
def leave(slot, t, warmup, pi, pf, ctr, pool_i, pool_f):
    """The patient leaves the system (home, or out of area); the slot is free again."""
    _release(slot, t, warmup, pi, pf, ctr, pool_i, pool_f)
    pi[slot, P_NEXT] = ctr[C_FREE]
    ctr[C_FREE] = slot


@kernel(inline="always")
def _admit(
    slot,
    step,
    n,
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
    step_i,
    step_f,
    emp_values,
    emp_cum,
    rng,
):
    """Put a patient in a bed of pool `n`, leaving any bed held elsewhere; schedule the end of the stay."""
    _release(slot, t, warmup, pi, pf, ctr, pool_i, pool_f)
    touch(pool_i, pool_f, n, t)
    pool_i[n, Q_OCC] += 1
    pi[slot, P_POOL] = n
    pi[slot, P_STEP] = step
    pf[slot, F_ADMIT] = t
    if t >= warmup:
        pool_f[n, ADMITTED] += 1.0
    stay = draw_bed_time(step, n, t, warmup, pool_f, step_i, step_f, emp_values, emp_cum, rng)
    push(ht, hc, wt, wl, wh, ctr, t + stay, (slot << 2) | DEPART)


@kernel()
def _divert(
    slot,
    step,
    n,
    t,
    counting,
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
    step_i,
    step_f,
    emp_values,
    emp_cum,
    rng,
):
    """Send a patient to the step's divert pool if it has a free bed, otherwise out of the system."""
    if counting:
        pool_f[n, DIVERTED] += 1.0
    d = step_i[step, S_DIVERT]
    if d >= 0 and pool_i[d, Q_OCC] < pool_i[d, Q_BEDS] and pool_i[d, Q_LEN] == 0:
        if t >= warmup:
            pool_f[d, DIVERTED_IN] += 1.0
        _admit(
            slot,
            step,
            d,
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
            step_i,
            step_f,
            emp_values,
            emp_cum,
            rng,
        )
    else:
        leave(slot, t, warmup, pi, pf, ctr, pool_i, pool_f)


@kernel(inline="always")
def _enqueue(slot, n, t, pi, pool_i, pool_f):
    touch(pool_i, pool_f, n, t)
    tail = pool_i[n, Q_TAIL]
    pi[slot, P_PREV] = tail
    pi[slot, P_NEXT] = -1
    if tail >= 0:
        pi[tail, P_NEXT] = slot
    else:
        pool_i[n, Q_HEAD] = slot
    pool_i[n, Q_TAIL] = slot
    pool_i[n, Q_LEN] += 1
    pi[slot, P_WAIT_POOL] = n


@kernel(inline="always")
def _unlink(slot, n, t, pi, pool_i, pool_f):
    touch(pool_i, pool_f, n, t)
    prev = pi[slot, P_PREV]
    nxt = pi[slot, P_NEXT]
    if prev >= 0:
        pi[prev, P_NEXT] = nxt
    else:
        pool_i[n, Q_HEAD] = nxt
    if nxt >= 0:
        pi[nxt, P_PREV] = prev
    else:
        pool_i[n, Q_TAIL] = prev
    pool_i[n, Q_LEN] -= 1
    pi[slot, P_WAIT_POOL] = -1


@kernel(inline="always")
def attempt(
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
):
    """A patient asks for a bed at a step: admitted, or the step's rule for a full pool applies."""
    n = step_i[step, S_POOL]
    counting = t >= warmup
    if counting:
        pool_f[n, ARRIVALS] += 1.0
    if pool_i[n, Q_OCC] < pool_i[n, Q_BEDS] and pool_i[n, Q_LEN] == 0:
        if counting:
            _record_wait(pool_f, hist, n, 0.0)
        _admit(
            slot,
            step,
            n,
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
            step_i,
            step_f,
            emp_values,
            emp_cum,
            rng,
        )
        return
    if counting:
        pool_f[n, BLOCKED] += 1.0
    policy = step_i[step, S_POLICY]
    if policy == WAIT:
        _enqueue(slot, n, t, pi, pool_i, pool_f)
        pi[slot, P_STEP] = step
        pf[slot, F_WAIT_START] = t
        shared_wait = pool_f[n, A_MAX_WAIT]
        if shared_wait > 0.0:
            # One pending check per pool: the longest-waiting patient is always the first to time out.
            if pool_i[n, Q_CHECK] == 0:
                pool_i[n, Q_CHECK] = 1
                push(ht, hc, wt, wl, wh, ctr, t + shared_wait, (n << 2) | CHECK)
        elif step_f[step, S_MAX_WAIT] < np.inf:
            ctr[C_SERIAL] += 1
            pi[slot, P_SERIAL] = ctr[C_SERIAL]
            code = (ctr[C_SERIAL] << (SLOT_BITS + 2)) | (slot << 2) | TIMEOUT
            push(ht, hc, wt, wl, wh, ctr, t + step_f[step, S_MAX_WAIT], code)
        return
    if counting:
        _record_wait(pool_f, hist, n, 0.0)
    if policy == REFUSE:
        if counting:
            pool_f[n, REFUSED] += 1.0
        leave(slot, t, warmup, pi, pf, ctr, pool_i, pool_f)
    else:
        _divert(
            slot,
            step,
            n,
            t,
            counting,
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
            step_i,
            step_f,
            emp_values,
            emp_cum,
            rng,
        )


@kernel()
def wait_ends(
    slot,
    serial,
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
):
    """A patient reaches the step's maximum wait and is diverted (unless already admitted: a stale event)."""
    n = pi[slot, P_WAIT_POOL]
    if pi[slot, P_SERIAL] != serial or n < 0:
        return
    _unlink(slot, n, t, pi, pool_i, pool_f)
    start = pf[slot, F_WAIT_START]
    counting = start >= warmup
    if counting:
        _record_wait(pool_f, hist, n, t - start)
    _divert(
        slot,
        pi[slot, P_STEP],
        n,
        t,
        counting,
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
        step_i,
        step_f,
        emp_values,
        emp_cum,
        rng,
    )


@kernel(inline="always")
def fill_beds(
    t, warmup, pi, pf, ht, hc, wt, wl, wh, ctr, pool_i, pool_f, hist, step_i, step_f, emp_values, emp_cum, rng
):
    """Admit waiting patients wherever beds have freed; an admission may free a bed elsewhere in turn."""
    while ctr[C_DIRTY] > 0:
        ctr[C_DIRTY] -= 1
        n = ctr[C_DIRTY + 1 + ctr[C_DIRTY]]
        pool_i[n, Q_DIRTY] = 0
        while pool_i[n, Q_OCC] < pool_i[n, Q_BEDS] and pool_i[n, Q_LEN] > 0:
            slot = pool_i[n, Q_HEAD]
            _unlink(slot, n, t, pi, pool_i, pool_f)
            start = pf[slot, F_WAIT_START]
            if start >= warmup:
                _record_wait(pool_f, hist, n, t - start)
            _admit(
                slot,
                pi[slot, P_STEP],
                n,
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
                step_i,
                step_f,
                emp_values,
                emp_cum,
                rng,
            )


@kernel(inline="always")
def check_waits(
    n,
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
):
    """Divert every patient of pool `n`'s queue whose maximum wait has passed; re-arm for the next."""
    pool_i[n, Q_CHECK] = 0
    shared_wait = pool_f[n, A_MAX_WAIT]
    while pool_i[n, Q_LEN] > 0:
        slot = pool_i[n, Q_HEAD]
        start = pf[slot, F_WAIT_START]
        deadline = start + shared_wait
        if deadline > t:
            pool_i[n, Q_CHECK] = 1
            push(ht, hc, wt, wl, wh, ctr, deadline, (n << 2) | CHECK)
            return
        _unlink(slot, n, t, pi, pool_i, pool_f)
        counting = start >= warmup
        if counting:
            _record_wait(pool_f, hist, n, t - start)
        _divert(
            slot,
            pi[slot, P_STEP],
            n,
            t,
            counting,
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
            step_i,
            step_f,
            emp_values,
            emp_cum,
            rng,
        )
