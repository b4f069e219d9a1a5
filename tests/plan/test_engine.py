"""The simulation against queueing theory where theory has the answer, and the rules of a scenario."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from joinedup.plan import runner
from joinedup.plan.compiled import compile_scenario
from joinedup.plan.loading import load_scenario
from joinedup.plan.queueing import erlang_b, erlang_c, mmc_mean_wait_days
from joinedup.plan.results import Run, interval

pytestmark = pytest.mark.xdist_group("plan-engine")
Write = Callable[[str, str], Path]


def simulate(path: Path | str, replications: int = 20, seed: int = 7) -> Run:
    return runner.run(compile_scenario(load_scenario(path)), replications, seed, workers=1)


def pool_scenario(
    beds: int, arrivals: float, stay: str, when_full: str, horizon: int = 365, extra: str = ""
) -> str:
    return f"""
name = "test"
start_date = 2024-04-01
horizon_days = {horizon}
warmup_days = 60
[[pools]]
id = "ward"
beds = {beds}
[[pathways]]
id = "emergency"
arrivals_per_day = {arrivals}
stay = {stay}
route = ["ward"]
when_full = "{when_full}"
{extra}
"""


def within(theory: float, figure: dict[str, float | None]) -> bool:
    assert figure["low"] is not None and figure["high"] is not None
    return figure["low"] <= theory <= figure["high"]


def test_one_pool_that_refuses_matches_erlang_b(one_pool: Path) -> None:
    run = simulate(one_pool, replications=30)
    blocked = interval(run.figure("acute", "blocked_fraction"))
    # Erlang B holds for any stay distribution with this mean (it is insensitive to all but the mean).
    assert within(erlang_b(200, 40.0 * 4.5), blocked)
    assert run.figure("acute", "refused_fraction") == pytest.approx(run.figure("acute", "blocked_fraction"))


def test_pool_where_patients_wait_matches_erlang_c_mean_wait(write_scenario: Write) -> None:
    text = pool_scenario(10, 8.0, '{ distribution = "exponential", mean_days = 1.0 }', "wait", horizon=1500)
    run = simulate(write_scenario(text, "mmc.toml"), replications=20)
    assert within(mmc_mean_wait_days(10, 8.0, 1.0), interval(run.figure("ward", "wait_mean_days")))
    assert within(erlang_c(10, 8.0), interval(run.figure("ward", "blocked_fraction")))


def test_littles_law_holds_in_every_pool_of_the_llr_baseline() -> None:
    run = simulate("llr-baseline-2016", replications=4)
    for pool_id in run.compiled.pool_ids:
        occupied = run.figure(pool_id, "occupied_beds")
        if np.nanmean(occupied) < 1.0:
            continue
        throughput = run.figure(pool_id, "admissions") / run.compiled.horizon_days
        stay = run.figure(pool_id, "mean_stay_days")
        # Over a one-year window, stays still running at its ends are cut off: the longer the stays, the
        # larger that edge effect (about a month's stays in mental health: allow 5%, else 3%).
        tolerance = 0.05 if np.nanmean(stay) > 14 else 0.03
        assert np.nanmean(throughput * stay) == pytest.approx(np.nanmean(occupied), rel=tolerance), pool_id


def test_waiting_patients_follow_littles_law_too(write_scenario: Write) -> None:
    text = pool_scenario(10, 8.0, '{ distribution = "exponential", mean_days = 1.0 }', "wait", horizon=1500)
    run = simulate(write_scenario(text, "queue.toml"), replications=5)
    waiting = run.figure("ward", "waiting_mean")
    arrivals_per_day = run.figure("ward", "arrivals") / 1500
    assert np.mean(arrivals_per_day * run.figure("ward", "wait_mean_days")) == pytest.approx(
        np.mean(waiting), rel=0.03
    )


def test_closed_pool_refuses_admission_after_closure_date(write_scenario: Write) -> None:
    change = (
        '[[changes]]\nkind = "close_beds"\npool = "ward"\nbeds = 30\non = 2024-07-01\nsource = "assumption"'
    )
    text = pool_scenario(30, 5.0, '{ distribution = "exponential", mean_days = 2.0 }', "refuse", extra=change)
    run = simulate(write_scenario(text, "closure.toml"), replications=3)
    closure_day = 91  # days from 2024-04-01 to 2024-07-01
    assert run.compiled.daily_beds[0, closure_day - 1] == 30 and run.compiled.daily_beds[0, closure_day] == 0
    assert run.daily_mean[0, closure_day + 30 :].max() == 0.0
    assert np.all(run.figure("ward", "refused_fraction") > 0.7)


def test_divert_sends_patients_to_the_divert_pool(write_scenario: Write) -> None:
    text = pool_scenario(
        5,
        10.0,
        '{ distribution = "exponential", mean_days = 2.0 }',
        "divert",
        extra='divert_to = "overflow"\n[[pools]]\nid = "overflow"\nbeds = 100',
    )
    run = simulate(write_scenario(text, "divert.toml"), replications=3)
    assert np.all(run.figure("ward", "diverted_fraction") > 0.5)
    assert np.all(run.figure("overflow", "admissions") > 0)


def test_wait_with_a_maximum_then_diverts(write_scenario: Write) -> None:
    text = pool_scenario(
        5, 10.0, '{ distribution = "exponential", mean_days = 2.0 }', "wait", extra="max_wait_days = 0.25"
    )
    run = simulate(write_scenario(text, "maxwait.toml"), replications=3)
    assert np.all(run.figure("ward", "wait_p95_days") <= 0.25 + 1 / 24)
    assert np.all(run.figure("ward", "diverted_fraction") > 0.3)


def test_step_down_patient_keeps_acute_bed_while_community_is_full(write_scenario: Write) -> None:
    text = pool_scenario(
        50,
        10.0,
        '{ distribution = "exponential", mean_days = 2.0 }',
        "refuse",
        extra="""
[[pools]]
id = "community"
beds = 1
""",
    ).replace(
        'route = ["ward"]',
        'route = ["ward", { pool = "community", probability = 0.5, when_full = "wait", '
        'stay = { distribution = "exponential", mean_days = 20.0 } }]',
    )
    run = simulate(write_scenario(text, "stepdown.toml"), replications=3)
    # Half the patients wait for the one community bed while holding their acute bed: stays grow long.
    assert np.all(run.figure("ward", "mean_stay_days") > 4.0)
    assert np.all(run.figure("community", "occupancy") > 0.95)


def test_avoided_admissions_reduce_arrivals_from_their_date(write_scenario: Write) -> None:
    change = (
        '[[changes]]\nkind = "avoid_admissions"\npathway = "emergency"\nshare = 0.5\non = 2024-04-01\n'
        'source = "assumption"'
    )
    base = pool_scenario(100, 20.0, '{ distribution = "exponential", mean_days = 1.0 }', "refuse")
    full = simulate(write_scenario(base, "full.toml"), replications=3).figure("ward", "arrivals")
    halved = simulate(write_scenario(base + change, "half.toml"), replications=3).figure("ward", "arrivals")
    assert np.mean(halved) / np.mean(full) == pytest.approx(0.5, abs=0.03)


def test_weekday_profile_shapes_arrivals(write_scenario: Write) -> None:
    text = pool_scenario(
        500,
        20.0,
        '{ distribution = "exponential", mean_days = 0.05 }',
        "refuse",
        extra="weekday = [1, 1, 1, 1, 1, 0, 0]",
    )
    run = simulate(write_scenario(text, "weekday.toml"), replications=2)
    start = run.compiled.scenario.start_date.weekday()
    weekend = [d for d in range(run.compiled.horizon_days) if (start + d) % 7 >= 5]
    assert run.daily_mean[0, weekend].max() < 0.5 < 0.9 < run.daily_mean[0].mean()
    assert np.mean(run.figure("ward", "arrivals")) / 365 == pytest.approx(20.0, rel=0.03)


@pytest.mark.parametrize(
    "stay",
    [
        '{ distribution = "gamma", mean_days = 3.0, sd_days = 2.0 }',
        '{ distribution = "lognormal", mean_days = 3.0, sd_days = 2.0 }',
        '{ distribution = "empirical", values = [1.0, 2.0, 6.0], weights = [1, 2, 1] }',
    ],
)
def test_each_stay_distribution_has_its_mean(write_scenario: Write, stay: str) -> None:
    run = simulate(write_scenario(pool_scenario(500, 20.0, stay, "refuse"), "stay.toml"), replications=2)
    assert np.mean(run.figure("ward", "mean_stay_days")) == pytest.approx(
        2.75 if "empirical" in stay else 3.0, rel=0.03
    )


def test_same_seed_gives_the_same_numbers(one_pool: Path) -> None:
    first, second = simulate(one_pool, 4, seed=3), simulate(one_pool, 4, seed=3)
    assert np.array_equal(first.figures, second.figures, equal_nan=True)
    assert not np.array_equal(first.figures, simulate(one_pool, 4, seed=4).figures, equal_nan=True)


def test_each_patient_keeps_their_own_maximum_wait_when_pathways_differ(write_scenario: Write) -> None:
    second = """
[[pathways]]
id = "elective"
arrivals_per_day = 5.0
stay = { distribution = "exponential", mean_days = 2.0 }
route = ["ward"]
when_full = "wait"
max_wait_days = 2.0
"""
    text = pool_scenario(
        5,
        5.0,
        '{ distribution = "exponential", mean_days = 2.0 }',
        "wait",
        extra="max_wait_days = 0.25\n" + second,
    )
    run = simulate(write_scenario(text, "mixed.toml"), replications=3)
    assert run.compiled.pool_max_wait[0] == 0.0  # no shared maximum: one timeout per waiting patient
    waits = run.figure("ward", "wait_p95_days")
    assert np.all(waits <= 2.0 + 1 / 24) and np.all(waits > 0.25)
    assert np.all(run.figure("ward", "diverted_fraction") > 0.1)
