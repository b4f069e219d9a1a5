"""A forecast from today's delayed list: patients delayed at time 0 leave as their delay says."""

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
DELAY = 6.0


def ward(write: Write, horizon: int, delays: str = "") -> CompiledScenario:
    text = f"""
name = "from today's delayed list"
start_date = 2024-04-01
horizon_days = {horizon}
warmup_days = 0
[[pools]]
id = "ward"
beds = {BEDS}
[[pathways]]
id = "emergency"
arrivals_per_day = 0.0
stay = {{ distribution = "exponential", mean_days = 1.0 }}
route = ["ward"]
{delays}
"""
    return compile_scenario(load_scenario(write(text, "delayed.toml")))


DELAYS = f"""[[pathways.delays]]
reason = "care-home"
probability = 0.2
days = {{ distribution = "exponential", mean_days = {DELAY} }}
"""


def test_delayed_patients_decay_at_their_delay_and_count_as_delayed_bed_days(write_scenario: Write) -> None:
    horizon = 30
    compiled = dataclasses.replace(
        ward(write_scenario, horizon, DELAYS),
        initial_occupied=np.array([BEDS]),
        initial_delayed=np.array([BEDS]),
    )
    run = runner.run(compiled, 40, seed=5, workers=1)
    # N exp(-t/d), averaged over each day; a stay of mean 1 day would have emptied the ward in a week.
    days = np.arange(horizon)
    theory = BEDS * DELAY * (np.exp(-days / DELAY) - np.exp(-(days + 1) / DELAY))
    half = (run.daily_high[0] - run.daily_low[0]) / 2
    assert np.all(np.abs(run.daily_mean[0] - theory) <= 2.0 * half + 0.25)
    assert run.daily_mean[0, 14] > 5.0  # about 100 exp(-14.5 / 6) = 8.9
    delayed = interval(run.figure("ward", "delayed_bed_days"))
    bed_days = interval(run.figure("ward", "bed_days"))
    expected = BEDS * DELAY * (1 - math.exp(-horizon / DELAY))
    assert delayed["mean"] is not None and delayed["low"] is not None and delayed["high"] is not None
    assert abs(delayed["mean"] - expected) <= 1.5 * (delayed["high"] - delayed["low"]) / 2
    assert delayed["mean"] == pytest.approx(bed_days["mean"], rel=1e-9)
    assert run.delayed_by_reason is not None
    assert run.delayed_by_reason[:, 0, :].sum() == pytest.approx(run.delayed_by_reason[:, 0, 4].sum())


def test_without_a_delay_the_pool_waits_out_the_days_already_waited(write_scenario: Write) -> None:
    horizon = 200  # long: delayed bed-days near N x d
    base = ward(write_scenario, horizon)
    compiled = dataclasses.replace(
        base,
        initial_occupied=np.array([BEDS]),
        initial_delayed=np.array([40]),
        initial_delay_mean=np.array([DELAY]),
    )
    run = runner.run(compiled, 40, seed=9, workers=1)
    delayed = interval(run.figure("ward", "delayed_bed_days"))
    assert delayed["mean"] is not None and delayed["low"] is not None and delayed["high"] is not None
    assert abs(delayed["mean"] - 40 * DELAY) <= 1.5 * (delayed["high"] - delayed["low"]) / 2
    # The other 60 leave at the stay's rate (mean 1 day): bed-days are the delayed ones and about 60 more.
    bed_days = interval(run.figure("ward", "bed_days"))["mean"]
    assert bed_days is not None and 40 < bed_days - delayed["mean"] < 80
    none_delayed = runner.run(dataclasses.replace(compiled, initial_delayed=np.array([0])), 8, 9, workers=1)
    assert np.all(none_delayed.figure("ward", "delayed_bed_days") == 0)


def test_initial_delayed_is_checked(write_scenario: Write) -> None:
    compiled = ward(write_scenario, 10)
    assert compiled.initial_delayed.tolist() == [0]
    assert compiled.initial_delay_mean.tolist() == [0.0]
    with pytest.raises(ValueError, match="initial_delayed"):
        dataclasses.replace(compiled, initial_occupied=np.array([3]), initial_delayed=np.array([4]))
    with pytest.raises(ValueError, match="initial_delayed"):
        dataclasses.replace(compiled, initial_delayed=np.array([1, 2]))
    with pytest.raises(ValueError, match="initial_delay_mean"):
        dataclasses.replace(compiled, initial_delay_mean=np.array([-1.0]))
