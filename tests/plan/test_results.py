"""Intervals across replications, percentiles of waits, and the JSON document of a run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from joinedup.plan import flow, runner
from joinedup.plan.compiled import compile_scenario
from joinedup.plan.loading import load_scenario
from joinedup.plan.results import FIGURES, comparison, interval, summary, t_quantile_975, wait_percentile

pytestmark = pytest.mark.xdist_group("plan-engine")


# Student t 97.5% quantiles (Abramowitz and Stegun, Table 26.10).
@pytest.mark.parametrize(
    ("df", "quantile"),
    [(1, 12.706), (2, 4.303), (3, 3.182), (5, 2.571), (10, 2.228), (30, 2.042), (120, 1.980)],
)
def test_t_quantile_matches_the_table(df: int, quantile: float) -> None:
    assert t_quantile_975(df) == pytest.approx(quantile, abs=2e-3)


def test_interval_is_symmetric_and_ignores_undefined_values() -> None:
    figure = interval(np.array([1.0, 2.0, 3.0, np.nan]))
    assert figure["mean"] == 2.0
    assert (
        figure["high"] - 2.0
        == pytest.approx(2.0 - figure["low"])
        == pytest.approx(4.303 / np.sqrt(3), abs=1e-3)
    )
    assert interval(np.array([np.nan])) == {"mean": None, "low": None, "high": None}


def test_wait_percentile_reads_the_hourly_histogram() -> None:
    hist = np.zeros((1, 1, flow.WAIT_BINS), dtype=np.int64)
    hist[0, 0, 0] = 90  # no wait
    hist[0, 0, 3] = 10  # between 2 and 3 hours
    assert wait_percentile(hist, 0.5)[0, 0] == 0.0
    assert wait_percentile(hist, 0.95)[0, 0] == pytest.approx(2.5 / 24)


def test_summary_has_every_figure_with_an_interval_and_is_plain_json(one_pool: Path) -> None:
    run = runner.run(compile_scenario(load_scenario(one_pool)), 3, seed=2, workers=1)
    document = json.loads(json.dumps(summary(run), allow_nan=False))
    assert {"scenario", "replications", "seed", "pools", "assumptions"} <= set(document)
    pool = document["pools"][0]
    assert pool["id"] == "acute" and pool["beds"] == 200
    for name in FIGURES:
        assert set(pool[name]) == {"mean", "low", "high"}


def test_comparison_of_a_run_with_itself_is_zero(one_pool: Path) -> None:
    run = runner.run(compile_scenario(load_scenario(one_pool)), 3, seed=2, workers=1)
    difference = comparison(run, run)["differences"][0]
    assert difference["occupancy"] == {"mean": 0.0, "low": 0.0, "high": 0.0}
