"""Scenario files: what is accepted, and one clear message naming file, field and value for what is not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from joinedup.plan.loading import bundled_scenarios, load_scenario
from joinedup.plan.scenario import ScenarioInvalid

Write = Callable[[str, str], Path]
LLR = ["llr-2018-actual", "llr-ageing-2038", "llr-baseline-2016", "llr-stp-2016", "llr-virtual-ward-2022"]


def test_smallest_scenario_of_design_md_is_accepted(one_pool: Path) -> None:
    scenario = load_scenario(one_pool)
    assert scenario.pools[0].beds == 200
    assert scenario.pathways[0].route[0][0].pool == "acute"


@pytest.mark.parametrize("name", LLR)
def test_bundled_llr_scenarios_load(name: str) -> None:
    assert name in bundled_scenarios()
    assert load_scenario(name).horizon_days == 365


@pytest.mark.parametrize("name", LLR)
def test_every_bundled_change_cites_a_seed_or_says_assumption(name: str) -> None:
    for change in load_scenario(name).changes:
        assert change.source and ("seed 00" in change.source or "assumption" in change.source)


def test_stp_cuts_acute_beds_from_1940_to_1697() -> None:
    from joinedup.plan.checks import capacity_schedule

    schedule = capacity_schedule(load_scenario("llr-stp-2016"))
    acute = ("lri-acute", "lgh-acute", "glenfield-acute")
    assert sum(schedule[p][0][1] for p in acute) == 1940
    assert sum(schedule[p][-1][1] for p in acute) == 1697


def test_baseline_changes_move_with_the_start_date() -> None:
    ageing = load_scenario("llr-ageing-2038")
    assert {c.on.year for c in ageing.changes} == {2038}


CASES = [
    ('id = "acute"\nbeds = 200', 'id = "acute"\nbeds = -5', "pools[0].beds = -5: must be 0 or more"),
    ('route = ["acute"]', 'route = ["acut"]', 'pathways[0].route[0][0].pool = "acut": is not a pool'),
    ("mean_days = 4.5", "mean_days = 0.0", "must be above 0"),
    (
        "arrivals_per_day = 40.0",
        "arrivals_per_day = -2.0",
        "pathways[0].arrivals_per_day = -2: must be 0 or more",
    ),
    ('when_full = "refuse"', 'when_full = "panic"', 'pathways[0].when_full = "panic": must be one of'),
    ("warmup_days = 60", "warmup_days = 60\nhorizon = 3", "horizon = 3: is not a field"),
]


@pytest.mark.parametrize(("old", "new", "message"), CASES)
def test_bad_scenario_is_refused_naming_file_field_and_value(
    write: Write, one_pool: Path, old: str, new: str, message: str
) -> None:
    path = write(one_pool.read_text().replace(old, new), "bad.toml")
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(str(path) + ": ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.fixture
def write(write_scenario: Write) -> Write:
    return write_scenario


def _with_change(one_pool: Path, change: str) -> str:
    return one_pool.read_text() + "\n[[changes]]\n" + change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            'kind = "close_beds"\npool = "acute"\nbeds = 10\non = 2030-01-01',
            "changes[0].on = 2030-01-01: is outside the horizon",
        ),
        (
            'kind = "close_beds"\npool = "ward9"\nbeds = 10\non = 2024-05-01',
            'changes[0].pool = "ward9": is not a pool',
        ),
        (
            'kind = "close_beds"\npool = "acute"\nbeds = 500\non = 2024-05-01',
            "changes[0].beds = 500: cannot close more beds",
        ),
        (
            'kind = "avoid_admissions"\npathway = "elective"\nshare = 0.1\non = 2024-05-01',
            'changes[0].pathway = "elective": is not a pathway',
        ),
        (
            'kind = "avoid_admissions"\npathway = "emergency"\nshare = 1.5\non = 2024-05-01',
            "changes[0].share = 1.5: must be 1 or less",
        ),
        (
            'kind = "demolish"\npool = "acute"\non = 2024-05-01',
            'changes[0].kind = "demolish": must be one of',
        ),
    ],
)
def test_bad_change_is_refused(write: Write, one_pool: Path, change: str, message: str) -> None:
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(write(_with_change(one_pool, change), "changes.toml"))
    assert message in str(caught.value)


def test_malformed_toml_is_refused_with_its_position(write: Write) -> None:
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(write("name = \n", "broken.toml"))
    assert "broken.toml: is not valid TOML" in str(caught.value)
    assert "line 1" in str(caught.value)


def test_unknown_scenario_name_lists_the_bundled_ones() -> None:
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario("llr-nowhere")
    assert 'scenario = "llr-nowhere"' in str(caught.value)
    assert "llr-stp-2016" in str(caught.value)


def test_probabilities_of_a_stage_cannot_exceed_one(write: Write, one_pool: Path) -> None:
    text = one_pool.read_text().replace(
        'route = ["acute"]',
        'route = ["acute", [{ pool = "acute", probability = 0.7 }, { pool = "acute", probability = 0.4 }]]',
    )
    with pytest.raises(ScenarioInvalid, match=r"route\[1\] = 1.1: probabilities"):
        load_scenario(write(text, "p.toml"))


def test_registry_pools_are_required_when_asked_for(write: Write, one_pool: Path) -> None:
    text = one_pool.read_text().replace(
        '[[pools]]\nid = "acute"\nbeds = 200\n', "pools_from_registry = { on = 2016-04-01 }\n"
    )
    text = text.replace('name = "one pool"', 'name = "one pool"\npools_from_registry = { on = 2024-04-02 }')
    text = text.replace("pools_from_registry = { on = 2016-04-01 }\n", "")
    path = write(text, "registry.toml")
    with pytest.raises(ScenarioInvalid, match="registry"):
        load_scenario(path)

    class Pool:
        id, site_id, setting, specialty, beds = "acute", "lri", "acute", None, 120

    scenario = load_scenario(path, registry=lambda on: [Pool()])
    assert scenario.pools[0].beds == 120
    assert "registry as of 2024-04-02" in (scenario.pools[0].source or "")
