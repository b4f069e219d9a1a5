"""Replications give the same numbers whatever runs them: one process, a pool of two, or Dask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from joinedup.plan import runner
from joinedup.plan.compiled import compile_scenario
from joinedup.plan.loading import load_scenario

pytestmark = pytest.mark.xdist_group("plan-engine")


def test_same_seed_same_results_with_one_and_two_workers(one_pool: Path) -> None:
    compiled = compile_scenario(load_scenario(one_pool))
    alone = runner.run(compiled, 12, seed=11, workers=1)
    pooled = runner.run(compiled, 12, seed=11, workers=2)
    assert np.array_equal(alone.figures, pooled.figures, equal_nan=True)
    assert np.array_equal(alone.daily_mean, pooled.daily_mean)


def test_dask_local_cluster_gives_the_same_numbers_as_local(one_pool: Path) -> None:
    from distributed import LocalCluster

    compiled = compile_scenario(load_scenario(one_pool))
    local = runner.run(compiled, 6, seed=5, workers=1)
    with LocalCluster(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as cluster:
        seen: list[int] = []
        on_dask = runner.run(
            compiled,
            6,
            seed=5,
            dask_address=cluster.scheduler_address,
            progress=lambda done, total: seen.append(done),
        )
    assert np.array_equal(local.figures, on_dask.figures, equal_nan=True)
    assert seen[-1] == 6


def test_progress_is_reported_up_to_the_number_of_replications(one_pool: Path) -> None:
    seen: list[tuple[int, int]] = []
    runner.run(
        compile_scenario(load_scenario(one_pool)),
        5,
        seed=1,
        workers=1,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (5, 5)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_replication_seeds_do_not_depend_on_how_many_replications() -> None:
    assert np.array_equal(runner.replication_seeds(9, 3), runner.replication_seeds(9, 10)[:3])


def test_zero_replications_are_refused(one_pool: Path) -> None:
    with pytest.raises(ValueError):
        runner.run(compile_scenario(load_scenario(one_pool)), 0, seed=1)
