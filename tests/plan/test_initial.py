"""A forecast from today: patients already in bed at time 0 leave as renewal theory says they should."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from joinedup.plan import runner
from joinedup.plan.compiled import CompiledScenario, compile_scenario
from joinedup.plan.loading import load_scenario
from joinedup.plan.results import interval

pytestmark = pytest.mark.xdist_group("plan-engine")
Write = Callable[[str, str], Path]
BEDS = 100
HORIZON = 30


def empty_ward(write: Write, stay: str, arrivals: float = 0.0) -> CompiledScenario:
    text = f"""
name = "from today"
start_date = 2024-04-01
horizon_days = {HORIZON}
warmup_days = 0
[[pools]]
id = "ward"
beds = {BEDS}
[[pathways]]
id = "emergency"
arrivals_per_day = {arrivals}
stay = {stay}
route = ["ward"]
"""
    return compile_scenario(load_scenario(write(text, "today.toml")))


def lognormal_survival(x: np.ndarray, mean: float, sd: float) -> np.ndarray:
    sigma2 = math.log1p((sd / mean) ** 2)
    mu, sigma = math.log(mean) - sigma2 / 2, math.sqrt(sigma2)
    with np.errstate(divide="ignore"):
        z = (np.log(x) - mu) / (sigma * math.sqrt(2.0))
    return np.array([0.5 * math.erfc(v) for v in z])


def empirical_survival(x: np.ndarray, values: list[float], weights: list[float]) -> np.ndarray:
    total = sum(weights)
    return np.array([sum(w for v, w in zip(values, weights, strict=True) if v > s) / total for s in x])


def expected_daily(survival: np.ndarray, step: float, mean: float) -> np.ndarray:
    """N x the mean over each day of P(residual > t) = (1/mean) x the integral of the survival beyond t."""
    tail = np.cumsum(survival[::-1])[::-1] * step / mean  # P(residual > t) on the grid
    per_day = round(1.0 / step)
    return BEDS * tail[: HORIZON * per_day].reshape(HORIZON, per_day).mean(axis=1)


@pytest.mark.parametrize("kind", ["lognormal", "empirical"])
def test_initial_patients_leave_as_the_residual_stay_says(write_scenario: Write, kind: str) -> None:
    step = 1e-3
    grid = np.arange(0.0, 400.0, step) + step / 2
    if kind == "lognormal":
        stay = '{ distribution = "lognormal", mean_days = 4.5, sd_days = 3.0 }'
        mean, survival = 4.5, lognormal_survival(grid, 4.5, 3.0)
    else:
        stay = '{ distribution = "empirical", values = [1.0, 2.0, 6.0], weights = [1, 2, 1] }'
        mean, survival = 2.75, empirical_survival(grid, [1.0, 2.0, 6.0], [1.0, 2.0, 1.0])
    compiled = dataclasses.replace(
        empty_ward(write_scenario, stay), initial_occupied=np.array([BEDS], dtype=np.int64)
    )
    run = runner.run(compiled, 40, seed=3, workers=1)
    theory = expected_daily(survival, step, mean)
    assert run.daily_mean[0, 0] > 0.7 * BEDS
    assert np.all(np.diff(run.daily_mean[0, :10]) <= 0)
    half = (run.daily_high[0] - run.daily_low[0]) / 2
    # Rare long stays make the far tail noisy: a quarter of a bed on top of the daily interval.
    assert np.all(np.abs(run.daily_mean[0] - theory) <= 2.0 * half + 0.25)
    bed_days = interval(run.figure("ward", "bed_days"))
    assert bed_days["low"] is not None and bed_days["high"] is not None
    # Within three standard errors (1.5 half-widths of the 95% interval): a miss is a 0.3% event.
    assert bed_days["mean"] is not None
    assert abs(bed_days["mean"] - theory.sum()) <= 1.5 * (bed_days["high"] - bed_days["low"]) / 2
    assert np.all(run.figure("ward", "admissions") == 0)
    assert np.all(run.figure("ward", "arrivals") == 0)


def test_initial_patients_are_capped_at_the_beds_and_default_to_none(write_scenario: Write) -> None:
    stay = '{ distribution = "exponential", mean_days = 50.0 }'
    compiled = empty_ward(write_scenario, stay)
    assert compiled.initial_occupied.tolist() == [0]
    assert np.all(runner.run(compiled, 2, seed=1, workers=1).daily_mean == 0)
    crowded = dataclasses.replace(compiled, initial_occupied=np.array([5 * BEDS]))
    day0 = runner.run(crowded, 4, seed=1, workers=1).daily_mean[0, 0]
    assert BEDS * 0.97 < day0 <= BEDS
    with pytest.raises(ValueError, match="initial_occupied"):
        dataclasses.replace(compiled, initial_occupied=np.array([1, 2]))


def test_initial_patients_give_the_same_numbers_whatever_the_workers(write_scenario: Write) -> None:
    stay = '{ distribution = "gamma", mean_days = 4.0, sd_days = 2.0 }'
    compiled = dataclasses.replace(
        empty_ward(write_scenario, stay, arrivals=15.0), initial_occupied=np.array([80])
    )
    alone = runner.run(compiled, 12, seed=21, workers=1)
    pooled = runner.run(compiled, 12, seed=21, workers=2)
    assert np.array_equal(alone.figures, pooled.figures, equal_nan=True)
    assert np.array_equal(alone.daily_mean, pooled.daily_mean)
    # Admissions count arrivals only, never the patients found in bed.
    without = runner.run(dataclasses.replace(compiled, initial_occupied=np.array([0])), 12, 21, workers=1)
    assert alone.daily_mean[0, 0] > without.daily_mean[0, 0] + 40


def test_a_pool_no_step_uses_empties_with_the_mean_of_all_stays(write_scenario: Write) -> None:
    text = f"""
name = "unused pool"
start_date = 2024-04-01
horizon_days = {HORIZON}
warmup_days = 0
[[pools]]
id = "ward"
beds = 10
[[pools]]
id = "spare"
beds = {BEDS}
[[pathways]]
id = "a"
arrivals_per_day = 0.0
stay = {{ distribution = "exponential", mean_days = 2.0 }}
route = ["ward"]
[[pathways]]
id = "b"
arrivals_per_day = 0.0
stay = {{ distribution = "lognormal", mean_days = 6.0, sd_days = 3.0 }}
route = ["ward"]
"""
    compiled = compile_scenario(load_scenario(write_scenario(text, "unused.toml")))
    run = runner.run(dataclasses.replace(compiled, initial_occupied=np.array([0, BEDS])), 30, 2, workers=1)
    # Exponential residuals with the mean of the two stays' means, 4 days: bed-days N x 4 x (1 - e^(-30/4)).
    bed_days = interval(run.figure("spare", "bed_days"))
    assert bed_days["mean"] is not None and bed_days["low"] is not None and bed_days["high"] is not None
    theory = BEDS * 4.0 * (1.0 - math.exp(-HORIZON / 4.0))
    assert abs(bed_days["mean"] - theory) <= 1.5 * (bed_days["high"] - bed_days["low"]) / 2
    assert np.all(run.figure("ward", "bed_days") == 0)
