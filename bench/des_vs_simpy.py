"""DESIGN.md's one-pool scenario simulated by joinedup's engine and by an equivalent SimPy model, same run.

Both simulate 60 warm-up days and a 365-day horizon of one 200-bed pool with 40 emergency arrivals a day
(Poisson), lognormal stays (mean 4.5 days, sd 3.0) and refusal when full; a stay counts if it starts in
the horizon. Prints both rates (stays simulated per second, wall clock) and, last, their ratio.
Run: .venv/bin/python bench/des_vs_simpy.py [--replications N] [--simpy-replications M] [--workers W]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import tempfile
import time
from pathlib import Path

import simpy

from joinedup.plan import runner
from joinedup.plan.compiled import compile_scenario
from joinedup.plan.loading import load_scenario

SCENARIO = """
name = "one pool"
horizon_days = 365
warmup_days = 60
[[pools]]
id = "acute"
beds = 200
[[pathways]]
id = "emergency"
arrivals_per_day = 40.0
stay = { distribution = "lognormal", mean_days = 4.5, sd_days = 3.0 }
route = ["acute"]
when_full = "refuse"
"""
BEDS, ARRIVALS_PER_DAY, MEAN, SD, WARMUP, HORIZON = 200, 40.0, 4.5, 3.0, 60.0, 365.0


def simpy_replication(seed: int) -> int:
    """The same pool in SimPy: a Resource of 200 beds; an arrival finding none free is refused."""
    rng = random.Random(seed)
    sigma2 = math.log1p((SD / MEAN) ** 2)
    mu, sigma = math.log(MEAN) - sigma2 / 2, math.sqrt(sigma2)
    env = simpy.Environment()
    ward = simpy.Resource(env, capacity=BEDS)
    stays = [0]

    def patient(env: simpy.Environment) -> simpy.events.ProcessGenerator:
        if ward.count >= BEDS:
            return
        with ward.request() as bed:
            yield bed
            if env.now >= WARMUP:
                stays[0] += 1
            yield env.timeout(rng.lognormvariate(mu, sigma))

    def arrivals(env: simpy.Environment) -> simpy.events.ProcessGenerator:
        while True:
            yield env.timeout(rng.expovariate(ARRIVALS_PER_DAY))
            env.process(patient(env))

    env.process(arrivals(env))
    env.run(until=WARMUP + HORIZON)
    return stays[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replications", type=int, default=2000)
    parser.add_argument("--simpy-replications", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "one-pool.toml"
        path.write_text(SCENARIO, encoding="utf-8")
        compiled = compile_scenario(load_scenario(path))
    runner.warm_up(compiled)  # load (or compile once) the engine before the clock starts
    started = time.perf_counter()
    run = runner.run(compiled, args.replications, seed=1, workers=args.workers)
    joinedup_seconds = time.perf_counter() - started
    joinedup_stays = float(run.figure("acute", "admissions").sum())
    started = time.perf_counter()
    simpy_stays = sum(simpy_replication(seed) for seed in range(args.simpy_replications))
    simpy_seconds = time.perf_counter() - started
    joinedup_rate, simpy_rate = joinedup_stays / joinedup_seconds, simpy_stays / simpy_seconds
    print(f"load average: {os.getloadavg()[0]:.1f} (other work on the machine lowers both rates)")
    print(
        f"joinedup: {args.replications} replications, {args.workers} workers, {joinedup_stays:,.0f} stays "
        f"in {joinedup_seconds:.2f} s: {joinedup_rate:,.0f} stays/s"
    )
    print(
        f"simpy: {args.simpy_replications} replications, 1 process, {simpy_stays:,} stays in "
        f"{simpy_seconds:.2f} s: {simpy_rate:,.0f} stays/s"
    )
    print(f"ratio: {joinedup_rate / simpy_rate:.1f}")


if __name__ == "__main__":
    main()
