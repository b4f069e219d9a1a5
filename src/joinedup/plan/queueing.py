"""Queueing theory for bed pools: Erlang loss (B) and delay (C) formulas, M/M/c waits and bed sizing.

Erlang B is computed by its recurrence B(0) = 1, B(n) = a·B(n-1) / (n + a·B(n-1)) (Erlang 1917; Jagerman
1974), which never forms a factorial or a power, so it stays exact for thousands of servers and any real
load. Erlang C and the M/M/c mean wait follow from it (Kleinrock, Queueing Systems vol. 1, 1975, §3.5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class BedSizing:
    """The smallest pool meeting a blocking target, and the blocking it gives."""

    beds: int
    blocking: float
    offered_load: float


def _check(servers: int, offered_load: float) -> None:
    if isinstance(servers, bool) or not isinstance(servers, int):
        raise TypeError(f"servers must be a whole number, got {servers!r}")
    if servers < 0:
        raise ValueError(f"servers must be 0 or more, got {servers}")
    if not math.isfinite(offered_load) or offered_load < 0:
        raise ValueError(f"offered_load must be a finite number 0 or more, got {offered_load}")


def erlang_b(servers: int, offered_load: float) -> float:
    """Probability an arrival finds all `servers` busy and is lost (Erlang B) for a load in erlangs."""
    _check(servers, offered_load)
    if offered_load == 0:
        return 1.0 if servers == 0 else 0.0
    # 1/B(n) = 1 + (n/a)·1/B(n-1): the inverse form never underflows or overflows for large n.
    inverse = 1.0
    for n in range(1, servers + 1):
        inverse = 1.0 + inverse * n / offered_load
    return 1.0 / inverse


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability an arrival has to wait in an M/M/c queue (Erlang C); 1 when the load reaches `servers`."""
    _check(servers, offered_load)
    if offered_load >= servers:
        return 1.0
    if offered_load == 0:
        return 0.0
    blocking = erlang_b(servers, offered_load)
    return servers * blocking / (servers - offered_load * (1.0 - blocking))


def mmc_wait_probability(servers: int, arrivals_per_day: float, mean_stay_days: float) -> float:
    """Probability of waiting for a bed when arrivals are Poisson and stays exponential (M/M/c)."""
    return erlang_c(servers, _load(arrivals_per_day, mean_stay_days))


def mmc_mean_wait_days(servers: int, arrivals_per_day: float, mean_stay_days: float) -> float:
    """Mean wait for a bed in an M/M/c queue, C(c, a) / (c·μ - λ); infinite when the queue is unstable."""
    load = _load(arrivals_per_day, mean_stay_days)
    if load >= servers:
        return math.inf
    service_rate = 1.0 / mean_stay_days
    return erlang_c(servers, load) / (servers * service_rate - arrivals_per_day)


def beds_for_blocking(arrivals_per_day: float, mean_stay_days: float, target_blocking: float) -> BedSizing:
    """Smallest number of beds whose Erlang B blocking is at most `target_blocking`."""
    load = _load(arrivals_per_day, mean_stay_days)
    if not 0.0 < target_blocking <= 1.0:
        raise ValueError(f"target_blocking must be above 0 and at most 1, got {target_blocking}")
    if load == 0:
        return BedSizing(beds=0, blocking=0.0, offered_load=0.0)
    inverse = 1.0
    beds = 0
    # Walk the recurrence upwards, stopping at the first pool size that meets the target.
    while 1.0 / inverse > target_blocking:
        beds += 1
        inverse = 1.0 + inverse * beds / load
    return BedSizing(beds=beds, blocking=1.0 / inverse, offered_load=load)


def _load(arrivals_per_day: float, mean_stay_days: float) -> float:
    if not math.isfinite(arrivals_per_day) or arrivals_per_day < 0:
        raise ValueError(f"arrivals_per_day must be 0 or more, got {arrivals_per_day}")
    if not math.isfinite(mean_stay_days) or mean_stay_days <= 0:
        raise ValueError(f"mean_stay_days must be above 0, got {mean_stay_days}")
    return arrivals_per_day * mean_stay_days
