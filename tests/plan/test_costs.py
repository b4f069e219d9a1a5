"""Money in the planner: pool costs, care outside the pools, CHC cuts as demand, and B against A."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from joinedup.plan import chc, costs, loading, results, runner
from joinedup.plan.cli import app
from joinedup.plan.compiled import compile_scenario
from joinedup.plan.scenario import ScenarioInvalid, validate_document

pytestmark = pytest.mark.xdist_group("plan-engine")
Write = Callable[[str, str], Path]
cli = CliRunner()

POOLS = """
name = "costed"
start_date = 2024-04-01
horizon_days = 200
warmup_days = 30
gap_pence = 100_000_000
[[pools]]
id = "acute"
beds = 60
setting = "acute"
[[pools]]
id = "rehab"
beds = 20
setting = "community"
[[pathways]]
id = "emergency"
arrivals_per_day = 10.0
stay = { distribution = "exponential", mean_days = 4.0 }
route = ["acute"]
[[costs]]
setting = "acute"
per_bed_day_pence = BED_DAY
per_contact_pence = 10_000
source = "assumption"
[[costs]]
setting = "community"
per_bed_day_pence = 25_000
source = "assumption"
[[costs]]
setting = "home-care"
per_bed_day_pence = 6_000
per_contact_pence = 2_000
source = "assumption"
"""

CUT = """
[[changes]]
kind = "cut_chc"
on = 2024-07-10
caseload = 1300
share = 0.4
saving_pence = 2_900_000_000
source = "seed 002"
[[changes.destinations]]
share = 0.5
setting = "home-care"
contacts_per_person_day = 2
source = "assumption"
[[changes.destinations]]
share = 0.25
pool = "rehab"
admissions_per_person_year = 2.0
stay = { distribution = "exponential", mean_days = 10.0 }
source = "assumption"
"""


def test_pool_cost_is_bed_days_times_rate_plus_admissions_times_contact() -> None:
    s = validate_document(
        {
            "name": "x",
            "horizon_days": 10,
            "pools": [{"id": "a", "beds": 5, "setting": "acute"}, {"id": "b", "beds": 5, "setting": "other"}],
            "pathways": [
                {
                    "id": "p",
                    "arrivals_per_day": 1,
                    "stay": {"distribution": "exponential", "mean_days": 1},
                    "route": ["a"],
                }
            ],
            "costs": [{"setting": "acute", "per_bed_day_pence": 40_000, "per_contact_pence": 5_000}],
        },
        "x.toml",
    )
    bed_days = np.array([[10.0, 7.0], [20.0, 3.0]])
    admissions = np.array([[2.0, 1.0], [4.0, 1.0]])
    got = costs.pool_costs(s, ["a", "b"], bed_days, admissions)
    assert got.tolist() == [[10 * 40_000 + 2 * 5_000, 0.0], [20 * 40_000 + 4 * 5_000, 0.0]]


def test_chc_cut_sends_its_people_where_the_destinations_say(write_scenario: Write) -> None:
    s = loading.load_scenario(write_scenario(POOLS.replace("BED_DAY", "40_000") + CUT, "chc.toml"))
    assert (date(2024, 4, 1) + timedelta(days=200) - date(2024, 7, 10)).days == 100
    found = chc.destinations(s)
    home, rehab = found
    assert (home.people, home.person_days, home.contacts) == (260.0, 260.0 * 100, 2 * 260.0 * 100)
    assert rehab.admissions_a_year == pytest.approx(130 * 2.0)
    lines = costs.care_lines(s)
    assert lines[0].cost_pence == pytest.approx(260 * 100 * 6_000 + 2 * 260 * 100 * 2_000)
    assert lines[1].cost_pence == pytest.approx(-2_900_000_000 * 100 / 365)


def test_chc_pool_destination_is_a_pathway_starting_on_the_cut(write_scenario: Write) -> None:
    s = loading.load_scenario(write_scenario(POOLS.replace("BED_DAY", "40_000") + CUT, "chc.toml"))
    compiled = compile_scenario(s)
    p = compiled.pathway_ids.index(chc.pathway_id(0, 1, "rehab"))
    assert compiled.arrivals_per_day[p] == pytest.approx(520 * 0.25 * 2.0 / 365)
    cut_day = compiled.warmup_days + (date(2024, 7, 10) - date(2024, 4, 1)).days
    assert compiled.day_factor[p, :cut_day].max() == 0.0
    assert compiled.day_factor[p, cut_day:].min() > 0.0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '[[costs]]\nsetting = "acute"\nper_bed_day_pence = -1\n',
            r"costs\[0\]\.per_bed_day_pence = -1: must be 0 or more",
        ),
        (
            '[[costs]]\nsetting = "spa"\nper_bed_day_pence = 1\n',
            r"costs\[0\]\.setting = \"spa\": is not a setting",
        ),
        ('[[costs]]\nsetting = "acute"\n', "give per_bed_day_pence, per_contact_pence or both"),
        ("gap_pence = -5\n", r"gap_pence = -5: must be 0 or more"),
        (
            '[[costs]]\nsetting = "acute"\nper_bed_day_pence = 12.5\n',
            r"costs\[0\]\.per_bed_day_pence = 12.5: must be a whole number of pence",
        ),
        (
            '[[costs]]\nsetting = "acute"\nper_contact_pence = 12.0\n',
            r"costs\[0\]\.per_contact_pence = 12: must be a whole number of pence",
        ),
        (
            '[[costs]]\nsetting = "acute"\nper_bed_day_pence = "1250"\n',
            r"costs\[0\]\.per_bed_day_pence = \"1250\": must be a whole number of pence",
        ),
        ("gap_pence = true\n", r"gap_pence = true: must be a whole number of pence"),
        ("gap_gbp = 5\n", r"gap_gbp = 5: money is in whole pence: use gap_pence"),
    ],
)
def test_bad_costs_are_refused(write_scenario: Write, extra: str, message: str) -> None:
    head = 'name = "x"\nhorizon_days = 10\n'
    body = '[[pools]]\nid = "a"\nbeds = 1\nsetting = "acute"\n[[pathways]]\nid = "p"\narrivals_per_day = 1\n'
    body += 'stay = { distribution = "exponential", mean_days = 1 }\nroute = ["a"]\n'
    text = head + extra + body if extra.startswith("gap") else head + body + extra
    with pytest.raises(ScenarioInvalid, match=message):
        loading.load_scenario(write_scenario(text, "bad.toml"))


def test_bundled_money_is_whole_pence_and_reads_as_pounds() -> None:
    from joinedup.plan.resources import scenario_assumptions, scenario_sources

    s = loading.load_scenario("llr-chc-cut-2016")
    rates = costs.by_setting(s)
    assert rates["chc-package"].per_bed_day_pence == 15_279  # £152.79 a person a day (seed 002)
    assert rates["out-of-area"].per_contact_pence == 300_000
    assert s.gap_pence == 39_900_000_000
    assert all(
        isinstance(v, int)
        for row in s.costs
        for v in (row.per_bed_day_pence, row.per_contact_pence)
        if v is not None
    )
    assert "financial gap £399,000,000.00: seed 000" in "\n".join(scenario_sources(s))
    assumed = "\n".join(scenario_assumptions(s))
    assert "costs acute: £400.00 a bed-day:" in assumed
    assert "costs out-of-area: £3,000.00 a contact:" in assumed
    # The cut runs the whole 365-day horizon, so it saves its full £29m a year.
    assert [saving for _, saving in chc.savings_pence(s)] == [pytest.approx(2_900_000_000)]


def test_chc_cut_without_a_saving_needs_a_chc_package_cost(write_scenario: Write) -> None:
    text = POOLS.replace("BED_DAY", "40_000") + CUT.replace("saving_pence = 2_900_000_000\n", "")
    with pytest.raises(
        ScenarioInvalid, match=r"changes\[0\]\.saving_pence: is required unless \[\[costs\]\] gives"
    ):
        loading.load_scenario(write_scenario(text, "bad.toml"))
    package = '[[costs]]\nsetting = "chc-package"\nper_bed_day_pence = 15_279\n'
    s = loading.load_scenario(write_scenario(text + package, "ok.toml"))
    assert chc.savings_pence(s) == [(0, pytest.approx(520 * 100 * 15_279))]


def test_chc_destinations_sharing_more_than_everyone_are_refused(write_scenario: Write) -> None:
    text = POOLS.replace("BED_DAY", "40_000") + CUT.replace("share = 0.25", "share = 0.75")
    with pytest.raises(
        ScenarioInvalid, match=r"changes\[0\]\.destinations = 1.25: shares add up to more than 1"
    ):
        loading.load_scenario(write_scenario(text, "bad.toml"))


def test_chc_destination_in_an_unknown_pool_is_refused(write_scenario: Write) -> None:
    text = POOLS.replace("BED_DAY", "40_000") + CUT.replace('pool = "rehab"', 'pool = "ward-9"')
    with pytest.raises(
        ScenarioInvalid, match=r"changes\[0\]\.destinations\[1\]\.pool = \"ward-9\": is not a pool"
    ):
        loading.load_scenario(write_scenario(text, "bad.toml"))


def test_compare_reports_the_cost_change_paired_by_replication(write_scenario: Write) -> None:
    a = write_scenario(POOLS.replace("BED_DAY", "40_000"), "a.toml")
    b = write_scenario(POOLS.replace("BED_DAY", "50_000"), "b.toml")
    run_a = runner.run(compile_scenario(loading.load_scenario(a)), 5, 11, workers=1)
    run_b = runner.run(compile_scenario(loading.load_scenario(b)), 5, 11, workers=1)
    document = results.comparison(run_a, run_b)
    # Same seed, same demand: only the price of an acute bed-day differs, by £100 (10,000 pence).
    expected = 10_000 * run_a.figure("acute", "bed_days").mean()
    change = document["costs"]["change_pence"]
    assert change["mean"] == pytest.approx(expected)
    assert change["low"] <= change["mean"] <= change["high"]
    assert document["costs"]["gap_pence"] == 100_000_000
    assert document["costs"]["change_share_of_gap"] == pytest.approx(
        -change["mean"] * 365 / 200 / 100_000_000
    )


def test_run_json_has_workforce_and_costs_beside_the_old_keys(write_scenario: Write) -> None:
    path = write_scenario(POOLS.replace("BED_DAY", "40_000") + CUT, "chc.toml")
    result = cli.invoke(app, ["run", str(path), "-n", "3", "--json", "--workers", "1"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert {"scenario", "replications", "seed", "pools", "system", "workforce", "costs"} <= set(document)
    money = document["costs"]
    assert money["gap_pence"] == 100_000_000
    assert isinstance(money["gap_pence"], int)
    assert set(money["total_pence"]) == {"mean", "low", "high"}
    assert money["rates"][0]["per_bed_day_pence"] == 40_000
    assert [d["to"] for d in money["continuing_healthcare"]] == ["home-care", "rehab"]
    assert money["outside_pools"][1]["cost_pence"] == pytest.approx(-2_900_000_000 * 100 / 365)


def test_compare_json_has_the_cost_change_beside_the_gap(write_scenario: Write) -> None:
    a = write_scenario(POOLS.replace("BED_DAY", "40_000"), "a.toml")
    b = write_scenario(POOLS.replace("BED_DAY", "40_000") + CUT, "b.toml")
    result = cli.invoke(app, ["compare", str(a), str(b), "-n", "3", "--json", "--workers", "1"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert {"change_pence", "change_per_year_pence", "gap_pence", "change_share_of_gap"} <= set(
        document["costs"]
    )
    assert document["costs"]["change_pence"]["mean"] < 0  # the £29m a year saving outweighs the care it moves


def test_bad_cost_on_the_command_line_is_one_line_and_exit_2(write_scenario: Write) -> None:
    path = write_scenario(POOLS.replace("BED_DAY", "-4"), "neg.toml")
    result = cli.invoke(app, ["run", str(path), "-n", "2", "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.endswith("neg.toml: costs[0].per_bed_day_pence = -4: must be 0 or more\n")


def test_report_shows_beds_staff_and_money_and_where_chc_people_go(write_scenario: Write) -> None:
    from joinedup.plan.report import render, render_comparison

    staffed = POOLS.replace("BED_DAY", "40_000") + CUT
    staffed += '[[staffing]]\nsetting = "acute"\nstaff_group = "nurses"\nfte_per_occupied_bed = 1.5\n'
    staffed += '[[workforce]]\nsetting = "acute"\nstaff_group = "nurses"\nfte = 30\n'
    run = runner.run(
        compile_scenario(loading.load_scenario(write_scenario(staffed, "r.toml"))), 3, 2, workers=1
    )
    html = render(run)
    for heading in ("Beds, staff and money", "Staff", "Money"):
        assert f"<h2>{heading}</h2>" in html
    assert "Continuing Healthcare: where the people no longer funded go" in html
    assert "Pools open but unstaffed" in html  # 30 FTE at 1.5 a bed staff 20 of the 60 acute beds
    assert 'id="staff-0"' in html and "FTE planned" in html
    assert "<td>£400.00</td><td>£100.00</td>" in html  # the acute rates, given in pence
    assert "financial gap (a year)</td><td></td><td>£1.00m" in html
    compared = render_comparison(run, run)
    assert "<h2>Money (B minus A)</h2>" in compared and "share of the gap closed a year" in compared
