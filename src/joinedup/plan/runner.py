"""Monte Carlo replications: in a local process pool by default, on a Dask cluster when an address is given.

Replication i always gets the seed drawn from SeedSequence([seed, i]) and replications are grouped in
blocks whose size depends only on how many there are, so the same seed gives the same numbers whatever the
number of workers or where they run.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from joinedup.plan import engine
from joinedup.plan.compiled import CompiledScenario
from joinedup.plan.results import BlockFigures, Run, block_figures, merge_blocks

Progress = Callable[[int, int], None]
MAX_BLOCK = 25
TARGET_BLOCKS = 16


@dataclass(frozen=True)
class Block:
    """A run of consecutive replications simulated together."""

    index: int
    seeds: npt.NDArray[np.int64]


def replication_seeds(seed: int, replications: int) -> npt.NDArray[np.int64]:
    """One 32-bit seed per replication, each from SeedSequence([seed, i]) alone."""
    return np.array(
        [int(np.random.SeedSequence([seed, i]).generate_state(1)[0]) for i in range(replications)],
        dtype=np.int64,
    )


def blocks(seed: int, replications: int) -> list[Block]:
    """Replications cut into blocks of a size fixed by their number (never by the number of workers)."""
    size = max(1, min(MAX_BLOCK, math.ceil(replications / TARGET_BLOCKS)))
    seeds = replication_seeds(seed, replications)
    return [Block(i, seeds[start : start + size]) for i, start in enumerate(range(0, replications, size))]


def simulate(compiled: CompiledScenario, block: Block) -> BlockFigures:
    """Simulate one block and reduce it to per-replication figures and daily sums."""
    stats, daily, hist, _ = engine.run_block(compiled, block.seeds)
    return block_figures(compiled, stats, daily, hist)


def warm_up(compiled: CompiledScenario) -> None:
    """Load (or compile, the first time) the engine before any worker starts."""
    engine.run_block(compiled, np.zeros(0, dtype=np.int64))


def run(
    compiled: CompiledScenario,
    replications: int,
    seed: int,
    *,
    workers: int | None = None,
    dask_address: str | None = None,
    progress: Progress | None = None,
) -> Run:
    """Replicate a compiled scenario; locally with `workers` processes, or on the Dask scheduler given."""
    if replications < 1:
        raise ValueError(f"replications must be 1 or more, got {replications}")
    work = blocks(seed, replications)
    if dask_address:
        results = _on_dask(compiled, work, dask_address, replications, progress)
    else:
        results = _locally(compiled, work, workers or os.cpu_count() or 1, replications, progress)
    return merge_blocks(compiled, replications, seed, [results[b.index] for b in work])


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def _locally(
    compiled: CompiledScenario, work: list[Block], workers: int, total: int, progress: Progress | None
) -> dict[int, BlockFigures]:
    warm_up(compiled)
    results: dict[int, BlockFigures] = {}
    done = 0
    if workers <= 1 or len(work) == 1:
        for block in work:
            results[block.index] = simulate(compiled, block)
            done += block.seeds.size
            _report(progress, done, total)
        return results
    for block, figures in _in_processes(compiled, work, workers):
        results[block.index] = figures
        done += block.seeds.size
        _report(progress, done, total)
    return results


# The scenario a worker process simulates, set once per process by the pool's initializer.
_SHARED: dict[str, CompiledScenario] = {}


def _share(compiled: CompiledScenario) -> None:
    _SHARED["scenario"] = compiled


def _simulate_shared(block: Block) -> BlockFigures:
    return simulate(_SHARED["scenario"], block)


def _in_processes(
    compiled: CompiledScenario, work: list[Block], workers: int
) -> Iterator[tuple[Block, BlockFigures]]:
    # Forked children inherit the loaded engine and get the scenario without pickling; elsewhere, spawn.
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    with ProcessPoolExecutor(
        max_workers=min(workers, len(work)),
        mp_context=multiprocessing.get_context(method),
        initializer=_share,
        initargs=(compiled,),
    ) as pool:
        futures = {pool.submit(_simulate_shared, block): block for block in work}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _on_dask(
    compiled: CompiledScenario, work: list[Block], address: str, total: int, progress: Progress | None
) -> dict[int, BlockFigures]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    results: dict[int, BlockFigures] = {}
    done = 0
    with Client(address) as client:  # type: ignore[no-untyped-call]
        shared = client.scatter(compiled, broadcast=True)
        futures = {client.submit(simulate, shared, block, pure=False): block for block in work}
        for future in dask_completed(list(futures)):  # type: ignore[no-untyped-call]
            block = futures[future]
            results[block.index] = future.result()
            done += block.seeds.size
            _report(progress, done, total)
    return results
