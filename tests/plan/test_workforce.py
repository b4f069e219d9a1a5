"""Staff in the planner: ratios, planned FTE by day, staffed beds, and pools that close for want of staff."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joinedup.plan import loading, results, runner, workforce
from joinedup.plan.compiled import compile_scenario
from joinedup.plan.scenario import Scenario, ScenarioInvalid, validate_document

pytestmark = pytest.mark.xdist_group("plan-engine")
Write = Callable[[str, str], Path]

TWO_POOLS = {
    "name": "two pools",
    "horizon_days": 100,
    "warmup_days": 10,
    "start_date": "2024-04-01",
    "pools": [
        {"id": "a", "beds": 100, "setting": "acute"},
        {"id": "b", "beds": 50, "setting": "acute"},
        {"id": "c", "beds": 20, "setting": "community"},
    ],
    "pathways": [
        {
            "id": "p",
            "arrivals_per_day": 1.0,
            "stay": {"distribution": "exponential", "mean_days": 2.0},
            "route": ["a"],
        }
    ],
}


def scenario(**extra: object) -> Scenario:
    return validate_document({**TWO_POOLS, **extra}, "test.toml")


def open_beds(s: Scenario) -> np.ndarray:
    beds = np.array([[p.beds] for p in s.pools], dtype=np.int64)
    return np.repeat(beds, s.warmup_days + s.horizon_days, axis=1)


def test_setting_staff_are_shared_in_proportion_to_the_fte_their_beds_need() -> None:
    s = scenario(
        staffing=[{"setting": "acute", "staff_group": "nurses", "fte_per_occupied_bed": 2.0}],
        workforce=[{"setting": "acute", "staff_group": "nurses", "fte": 200}],
    )
    staffed = workforce.staffed_beds(s, ["a", "b", "c"], open_beds(s), s.warmup_days)
    # 300 FTE staff all 150 beds; 200 FTE: a gets 200 x 200/300 = 133.3 FTE (66 beds), b 66.7 (33 beds).
    assert staffed[:, 0].tolist() == [66, 33, 20]


def test_a_pools_own_plan_stands_apart_from_its_settings() -> None:
    s = scenario(
        staffing=[{"setting": "acute", "staff_group": "nurses", "fte_per_occupied_bed": 2.0}],
        workforce=[
            {"setting": "acute", "staff_group": "nurses", "fte": 40},
            {"pool": "a", "staff_group": "nurses", "fte": 500},
        ],
    )
    staffed = workforce.staffed_beds(s, ["a", "b", "c"], open_beds(s), s.warmup_days)
    assert staffed[:, 0].tolist() == [100, 20, 20]


def test_the_scarcest_staff_group_sets_the_staffed_beds() -> None:
    s = scenario(
        staffing=[
            {"pool": "c", "staff_group": "nurses", "fte_per_occupied_bed": 1.0},
            {"pool": "c", "staff_group": "allied health", "fte_per_occupied_bed": 0.5},
        ],
        workforce=[
            {"pool": "c", "staff_group": "nurses", "fte": 18},
            {"pool": "c", "staff_group": "allied health", "fte": 6},
        ],
    )
    staffed = workforce.staffed_beds(s, ["a", "b", "c"], open_beds(s), s.warmup_days)
    assert staffed[:, 0].tolist() == [100, 50, 12]


def test_planned_fte_changes_on_the_dates_of_add_and_cut_staff() -> None:
    s = scenario(
        workforce=[{"setting": "acute", "staff_group": "nurses", "fte": 100}],
        changes=[
            {"kind": "cut_staff", "on": "2024-04-11", "setting": "acute", "staff_group": "nurses", "fte": 30},
            {"kind": "add_staff", "on": "2024-05-01", "setting": "acute", "staff_group": "nurses", "fte": 5},
        ],
    )
    series = workforce.planned_by_scope(s, 110, 10)[("setting", "acute", "nurses")]
    assert (series[0], series[19], series[20], series[39], series[40]) == (100, 100, 70, 70, 75)


def test_capped_capacity_events_rebuild_the_daily_beds() -> None:
    opened = np.array([[10, 10, 10, 8, 8], [5, 5, 5, 5, 5]], dtype=np.int64)
    staffed = np.array([[10, 7, 7, 7, 9], [5, 5, 5, 5, 5]], dtype=np.int64)
    daily, events = workforce.capped_capacity(opened, staffed)
    assert daily.tolist() == [[10, 7, 7, 7, 8], [5, 5, 5, 5, 5]]
    assert events.tolist() == [[1, 0, 7], [4, 0, 8]]


@settings(max_examples=40, deadline=None)
@given(fte=st.floats(0, 1000), more=st.floats(0, 1000), ratio=st.floats(0.1, 10))
def test_staffed_beds_never_exceed_open_beds_and_rise_with_staff(
    fte: float, more: float, ratio: float
) -> None:
    def staffed(total: float) -> np.ndarray:
        s = scenario(
            staffing=[{"setting": "acute", "staff_group": "all", "fte_per_occupied_bed": ratio}],
            workforce=[{"setting": "acute", "staff_group": "all", "fte": total}],
        )
        return workforce.staffed_beds(s, ["a", "b", "c"], open_beds(s), s.warmup_days)[:, 0]

    low, high = staffed(fte), staffed(fte + more)
    assert (low <= np.array([100, 50, 20])).all()
    assert (low <= high).all()


STAFFED_POOL = """
name = "one staffed pool"
start_date = 2024-04-01
horizon_days = 365
warmup_days = 60
[[pools]]
id = "acute"
beds = 200
setting = "acute"
[[pathways]]
id = "emergency"
arrivals_per_day = 40.0
stay = { distribution = "lognormal", mean_days = 4.5, sd_days = 3.0 }
route = ["acute"]
"""
CUT = """
[[staffing]]
setting = "acute"
staff_group = "nurses"
fte_per_occupied_bed = 1.5
source = "assumption"

[[workforce]]
setting = "acute"
staff_group = "nurses"
fte = 300
source = "assumption"

[[changes]]
kind = "cut_staff"
setting = "acute"
staff_group = "nurses"
fte = 150
on = 2024-10-01
source = "assumption"
"""


def test_a_staff_cut_below_need_closes_beds_and_caps_occupancy(write_scenario: Write) -> None:
    path = write_scenario(STAFFED_POOL + CUT, "cut.toml")
    compiled = compile_scenario(loading.load_scenario(path))
    cut_day = (compiled.scenario.changes[0].on - compiled.scenario.start_date).days
    assert compiled.daily_beds[0, cut_day - 1] == 200 and compiled.daily_beds[0, cut_day] == 100
    run = runner.run(compiled, 4, 7, workers=1)
    # 40 arrivals a day x 4.5 days fill ~180 beds before the cut; after it no more than 100 are used.
    assert run.daily_mean[0, : cut_day - 1].mean() > 150
    assert run.daily_mean[0, cut_day + 30 :].max() <= 100.0 + 1e-9
    document = results.summary(run)
    staff = document["workforce"]
    assert staff["days_unstaffed"] == compiled.horizon_days - cut_day
    assert staff["unstaffed"][0]["beds_staffed"] == 100 and staff["unstaffed"][0]["from"] == "2024-10-01"
    line = staff["lines"][0]
    assert (line["setting"], line["staff_group"]) == ("acute", "nurses")
    assert line["fte_planned"] == {"start": 300.0, "end": 150.0, "mean": pytest.approx(225.2, abs=0.1)}
    occupied = run.figure("acute", "occupied_beds")
    assert line["fte_needed"]["mean"] == pytest.approx(1.5 * occupied.mean())
    assert line["fte_needed"]["low"] < line["fte_needed"]["mean"] < line["fte_needed"]["high"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '[[workforce]]\nsetting = "acute"\nstaff_group = "nurses"\nfte = -5\n',
            r"workforce\[0\]\.fte = -5: must be 0",
        ),
        (
            '[[staffing]]\nsetting = "acute"\nstaff_group = "porters"\nfte_per_occupied_bed = 1\n',
            r"staffing\[0\]\.staff_group = \"porters\": must be one of",
        ),
        (
            '[[staffing]]\nsetting = "theatre"\nstaff_group = "nurses"\nfte_per_occupied_bed = 1\n',
            r"staffing\[0\]\.setting = \"theatre\": is not a setting",
        ),
        (
            '[[workforce]]\npool = "ward-9"\nstaff_group = "nurses"\nfte = 5\n',
            r"workforce\[0\]\.pool = \"ward-9\": is not a pool",
        ),
        (
            '[[changes]]\nkind = "cut_staff"\nsetting = "acute"\nstaff_group = "nurses"\n'
            "fte = 5\non = 2024-05-01\n",
            r"changes\[0\]\.fte = 5: cannot cut more nurses FTE than 'acute' has on 2024-05-01 \(0\)",
        ),
        (
            '[[staffing]]\npool = "acute"\nsetting = "acute"\nstaff_group = "nurses"\nfte_per_caseload = 1\n',
            "give exactly one of pool or setting",
        ),
    ],
)
def test_bad_workforce_input_is_refused_naming_file_field_and_value(
    write_scenario: Write, extra: str, message: str
) -> None:
    path = write_scenario(STAFFED_POOL + extra, "bad.toml")
    with pytest.raises(ScenarioInvalid, match=message) as caught:
        loading.load_scenario(path)
    assert str(caught.value).startswith(f"{path}: ")
