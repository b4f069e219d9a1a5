"""What-if from today (pure): change sentences, the forecast scenario, a start from the census, fans."""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pytest

from joinedup.plan import flow, forecast, loading, whatif
from joinedup.plan.compiled import compile_scenario
from joinedup.plan.queueing import erlang_b
from joinedup.plan.scenario import CloseBeds, OpenBeds, Pathway, Scenario, SetBeds, ShiftActivity

pytestmark = pytest.mark.xdist_group("plan-engine")
DAY = date(2026, 11, 23)


def llr_start(occupancy: float = 0.92) -> whatif.StartState:
    """The LLR pools of the bundled baseline with today's registry beds (256 virtual), each at `occupancy`."""
    base = loading.load_scenario("llr-baseline-2016")
    beds = {pool.id: 256 if pool.id == "llr-virtual" else pool.beds for pool in base.pools}
    return whatif.StartState(
        on=DAY,
        pools=tuple(
            whatif.PoolStart(
                id=pool.id,
                site_id=pool.site or pool.id,
                site_name=(pool.site or pool.id).replace("-", " ").title(),
                setting=pool.setting or "",
                beds=beds[pool.id],
                occupied=round(beds[pool.id] * occupancy),
            )
            for pool in base.pools
        ),
    )


def small_start(acute: int = 190, virtual: int = 10) -> whatif.StartState:
    return whatif.StartState(
        on=DAY,
        pools=(
            whatif.PoolStart("acute", "hospital", "The Hospital", "acute", 200, acute, delayed=12),
            whatif.PoolStart("home", "virtual-hospital", "Virtual Hospital", "virtual", 40, virtual),
        ),
    )


def small_demand() -> Scenario:
    return Scenario(
        name="small",
        start_date=date(2022, 4, 1),
        horizon_days=365,
        pools=[],
        pathways=[
            Pathway.model_validate(
                {
                    "id": "emergency",
                    "arrivals_per_day": 10.0,
                    "stay": {"distribution": "lognormal", "mean_days": 5.0, "sd_days": 3.0},
                    "route": ["acute"],
                    "when_full": "refuse",
                }
            )
        ],
        changes=[
            ShiftActivity.model_validate(
                {
                    "kind": "shift_activity",
                    "pathway": "emergency",
                    "share": 0.2,
                    "route": ["home"],
                    "on": date(2022, 4, 1),
                }
            ),
            OpenBeds(kind="open_beds", pool="acute", beds=999, on=date(2022, 5, 1)),
        ],
    )


def test_close_sentence_names_a_pool_by_setting_at_site_in_any_case() -> None:
    change = whatif.parse_change(
        "Close 30 beds acute@LEICESTER-GENERAL-HOSPITAL from 2026-12-01", llr_start(), 28
    )
    assert change == CloseBeds(
        kind="close_beds",
        pool="lgh-acute",
        beds=30,
        on=date(2026, 12, 1),
        source="what-if: Close 30 beds acute@LEICESTER-GENERAL-HOSPITAL from 2026-12-01",
    )


def test_open_sentence_takes_a_pool_id_and_starts_on_the_first_day_without_a_date() -> None:
    change = whatif.parse_change("open 50 more home beds llr-virtual", llr_start(), 28)
    assert isinstance(change, OpenBeds)
    assert (change.pool, change.beds, change.on) == ("llr-virtual", 50, DAY)


def test_set_sentence_sets_a_pool_to_a_size() -> None:
    change = whatif.parse_change("set lri-acute to 1000 beds on 2026-11-30", llr_start(), 28)
    assert isinstance(change, SetBeds) and (change.beds, change.on) == (1000, date(2026, 11, 30))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("demolish the hospital", "not understood"),
        ("close 30 beds acute@nowhere", "no site 'nowhere'"),
        ("close 30 beds maternity@glenfield-hospital", "no 'maternity' pool at 'glenfield-hospital'"),
        ("close 30 beds lgh", "no pool 'lgh'"),
        ("close 0 beds lgh-acute", "1 or more"),
        ("close 30 beds lgh-acute from 2027-06-01", "outside the forecast (2026-11-23 to 2026-12-20)"),
        ("close 30 beds lgh-acute from 2026-11-22", "outside the forecast"),
        ("close 30 beds lgh-acute from 1-12-2026", "not a date"),
    ],
)
def test_bad_change_is_one_clear_line_naming_the_sentence(text: str, message: str) -> None:
    with pytest.raises(whatif.WhatIfInvalid, match=re.escape(message)) as caught:
        whatif.parse_change(text, llr_start(), 28)
    assert caught.value.detail.startswith(f'--change "{text}"') and "\n" not in caught.value.detail


@pytest.mark.parametrize(("days", "replications"), [(0, 10), (-1, 10), (28, 0), (367, 10)])
def test_no_days_or_no_replications_is_refused(days: int, replications: int) -> None:
    with pytest.raises(whatif.WhatIfInvalid, match=r"--days|--replications"):
        whatif.check_size(days, replications)


def test_forecast_scenario_has_registry_pools_no_warmup_and_the_demand_without_its_bed_changes() -> None:
    scenario = whatif.forecast_scenario(small_demand(), small_start(), 14)
    assert (scenario.start_date, scenario.horizon_days, scenario.warmup_days) == (DAY, 14, 0)
    assert [(p.id, p.beds) for p in scenario.pools] == [("acute", 200), ("home", 40)]
    assert [c.kind for c in scenario.changes] == ["shift_activity"]
    assert scenario.changes[0].on == DAY  # in force from the first day


def test_closing_more_beds_than_a_pool_has_names_the_change() -> None:
    close = CloseBeds(kind="close_beds", pool="home", beds=41, on=DAY, source="what-if: close 41 beds home")
    with pytest.raises(whatif.WhatIfInvalid, match=r'^--change "close 41 beds home": cannot close more'):
        whatif.forecast_scenario(small_demand(), small_start(), 14, [close])


def test_registry_bed_steps_within_the_forecast_become_dated_changes() -> None:
    steps = [
        whatif.RegistryStep("acute", DAY + timedelta(days=5), 150),
        whatif.RegistryStep("acute", DAY + timedelta(days=40), 0),
    ]
    compiled = compile_scenario(
        whatif.forecast_scenario(small_demand(), small_start(), 14, registry_steps=steps)
    )
    assert (
        compiled.daily_beds[0, 4] == 200
        and compiled.daily_beds[0, 5] == 150
        and compiled.daily_beds[0, -1] == 150
    )


def test_forecast_starts_from_the_census_not_an_empty_system() -> None:
    start = small_start(acute=190, virtual=30)
    compiled = compile_scenario(whatif.forecast_scenario(small_demand(), start, 7))
    full = forecast.simulate(whatif.with_start(compiled, start), start, 20, 5)
    empty = forecast.simulate(compiled, start, 20, 5)
    acute_day0 = full.daily[:, 0, 0].mean()
    assert 150 < acute_day0 <= 190  # most of the census is still in bed through the first day
    assert empty.daily[:, 0, 0].mean() < 20
    assert full.daily[:, 1, 0].mean() > 20 > empty.daily[:, 1, 0].mean()
    # Residual stays run out and the pool falls towards its offered load (8 a day x 5 days = 40 beds).
    assert full.daily[:, 0, -1].mean() < acute_day0


def test_summary_has_a_fan_and_levels_per_day_for_system_and_sites() -> None:
    start = small_start()
    compiled = whatif.with_start(compile_scenario(whatif.forecast_scenario(small_demand(), start, 10)), start)
    document = forecast.summary(forecast.simulate(compiled, start, 12, 3), demand="small")
    system = document["system"]
    assert [s["id"] for s in document["sites"]] == ["hospital", "virtual-hospital"]
    assert len(document["dates"]) == len(system["level"]) == len(system["occupancy_bands"]["p50"]) == 10
    bands = system["occupancy_bands"]
    for day in range(10):
        assert (
            bands["p2_5"][day]
            <= bands["p25"][day]
            <= bands["p50"][day]
            <= bands["p75"][day]
            <= bands["p97_5"][day]
        )
    assert system["start"] == {"beds": 240, "occupied": 200, "occupancy": 0.8333, "level": 1, "delayed": 12}
    assert system["beds"] == [240] * 10  # virtual-ward beds count in the system's beds
    occupied = system["occupied"]
    assert all(
        lo <= m <= hi for lo, m, hi in zip(occupied["low"], occupied["mean"], occupied["high"], strict=True)
    )


def test_opening_home_beds_and_closing_acute_beds_move_the_same_system_figures() -> None:
    """Virtual-ward beds are beds: +50 at home and -50 at Leicester General show on one scale."""
    start = llr_start(0.92)
    demand = loading.load_scenario("llr-virtual-ward-2022")
    runs = {}
    for name, text in (
        ("none", None),
        ("open", "open 50 beds llr-virtual"),
        ("close", "close 50 beds acute@leicester-general-hospital"),
    ):
        changes = [whatif.parse_change(text, start, 14)] if text else []
        scenario = whatif.forecast_scenario(demand, start, 14, changes)
        compiled = whatif.with_start(compile_scenario(scenario), start)
        # Closing 50 of a full hospital's beds raises occupancy by about 0.001 only: 40 replications keep
        # that above the noise of the difference.
        runs[name] = forecast.summary(forecast.simulate(compiled, start, 40, 7), changes)["system"]
    beds = {name: run["beds"][0] for name, run in runs.items()}
    assert beds["open"] - beds["none"] == 50 == beds["none"] - beds["close"]
    occupancy = {name: run["occupancy"]["mean"] for name, run in runs.items()}
    assert occupancy["open"] < occupancy["none"] < occupancy["close"]
    assert runs["close"]["blocked_fraction"]["mean"] > runs["none"]["blocked_fraction"]["mean"]
    assert (
        runs["open"]["days_at_level_3_or_worse"]["mean"] <= runs["none"]["days_at_level_3_or_worse"]["mean"]
    )


def test_same_seed_gives_the_same_forecast() -> None:
    start = small_start()
    compiled = whatif.with_start(compile_scenario(whatif.forecast_scenario(small_demand(), start, 5)), start)
    a, b = (forecast.simulate(compiled, start, 4, 11).daily for _ in range(2))
    assert np.array_equal(a, b)


def test_daily_blocked_counts_add_up_to_the_forecast_totals() -> None:
    start = whatif.StartState(
        on=DAY,
        pools=(
            whatif.PoolStart("acute", "hospital", "The Hospital", "acute", 30, 30),
            whatif.PoolStart("home", "virtual-hospital", "Virtual Hospital", "virtual", 5, 5),
        ),
    )
    compiled = whatif.with_start(compile_scenario(whatif.forecast_scenario(small_demand(), start, 30)), start)
    outcome = forecast.simulate(compiled, start, 8, 2)
    assert outcome.counts.shape == (8, 2, len(compiled.pool_ids), 30)
    assert np.array_equal(outcome.counts[:, 0].sum(axis=2), outcome.stats[:, :, flow.ARRIVALS])
    assert np.array_equal(outcome.counts[:, 1].sum(axis=2), outcome.stats[:, :, flow.BLOCKED])
    assert outcome.counts[:, 1].sum() > 0  # 30 beds for an offered load of 32
    daily = forecast.summary(outcome)["system"]["blocked_daily"]
    assert len(daily["mean"]) == 30
    assert all(
        lo <= m <= hi
        for lo, m, hi in zip(daily["low"], daily["mean"], daily["high"], strict=True)
        if m is not None
    )


def test_one_pool_that_refuses_blocks_as_erlang_b_day_by_day() -> None:
    """10 beds, 8 arrivals a day, exponential stays of a day: B(10, 8) = 0.1217 on every day."""
    start = whatif.StartState(on=DAY, pools=(whatif.PoolStart("ward", "site", "Site", "acute", 10, 7),))
    demand = Scenario(
        name="one pool",
        start_date=date(2022, 4, 1),
        horizon_days=365,
        pools=[],
        pathways=[
            Pathway.model_validate(
                {
                    "id": "in",
                    "arrivals_per_day": 8.0,
                    "stay": {"distribution": "exponential", "mean_days": 1.0},
                    "route": ["ward"],
                    "when_full": "refuse",
                }
            )
        ],
    )
    compiled = whatif.with_start(compile_scenario(whatif.forecast_scenario(demand, start, 40)), start)
    outcome = forecast.simulate(compiled, start, 300, 4)
    daily = forecast.summary(outcome)["pools"][0]["blocked_daily"]
    steady = np.array(daily["mean"][5:], dtype=np.float64)  # the census was near the mean: a few days settle
    expected = erlang_b(10, 8.0)
    assert abs(steady.mean() - expected) < 0.01
    # Each day's interval is wide enough to hold Erlang B most days, and no day strays far from it.
    held = [lo <= expected <= hi for lo, hi in zip(daily["low"][5:], daily["high"][5:], strict=True)]
    assert sum(held) >= 0.85 * len(held)
    assert np.abs(steady - expected).max() < 0.05
