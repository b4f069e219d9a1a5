"""1,000 replications of one year of the bundled llr-stp-2016 scenario on this machine's cores.

Prints the elapsed time and its ratio to the 15-second limit (a ratio below 1 meets it).
Run: .venv/bin/python bench/llr_year.py [--replications N] [--workers W]
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from joinedup.plan import runner
from joinedup.plan.compiled import compile_scenario
from joinedup.plan.loading import load_scenario

LIMIT_SECONDS = 15.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()
    compiled = compile_scenario(load_scenario("llr-stp-2016"))
    runner.warm_up(compiled)  # load (or compile once) the engine before the clock starts
    load_before = os.getloadavg()[0]
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    run = runner.run(compiled, args.replications, args.seed, workers=args.workers)
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    admissions = float(sum(run.figure(pool, "admissions").sum() for pool in compiled.pool_ids))
    print(
        f"scenario: {compiled.name}, {args.replications} replications of {compiled.horizon_days} days "
        f"(+{compiled.warmup_days} warm-up), {args.workers} workers"
    )
    print(f"admissions simulated in the horizon: {admissions:,.0f}")
    print(
        f"cpu: {cpu:.1f} s in all processes; load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after (other work on the machine slows the elapsed time)"
    )
    print(f"elapsed: {elapsed:.2f} s")
    print(f"ratio to the {LIMIT_SECONDS:.0f} s limit: {elapsed / LIMIT_SECONDS:.2f}")


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
