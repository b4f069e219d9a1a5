"""Delayed discharges: medically fit patients who keep their bed, against Little's law; and bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from joinedup.plan import runner
from joinedup.plan.cli import app
from joinedup.plan.compiled import compile_scenario
from joinedup.plan.loading import load_scenario
from joinedup.plan.results import interval, summary
from joinedup.plan.scenario import ScenarioInvalid

pytestmark = pytest.mark.xdist_group("plan-engine")
Write = Callable[[str, str], Path]
ARRIVALS, STAY, P_HOUSING, HOUSING_DAYS, P_CARE, CARE_DAYS, HORIZON = 20.0, 3.0, 0.15, 5.0, 0.05, 8.0, 365

HOUSING = f'{{ distribution = "exponential", mean_days = {HOUSING_DAYS} }}'
CARE = f'{{ distribution = "exponential", mean_days = {CARE_DAYS} }}'
WARD = f"""
name = "delays"
start_date = 2024-04-01
horizon_days = {HORIZON}
warmup_days = 60
[[pools]]
id = "ward"
beds = 1000
[[pathways]]
id = "emergency"
arrivals_per_day = {ARRIVALS}
stay = {{ distribution = "exponential", mean_days = {STAY} }}
route = ["ward"]
delays = [
  {{ reason = "housing", probability = {P_HOUSING}, days = {HOUSING}, source = "assumption" }},
  {{ reason = "care-home", probability = {P_CARE}, days = {CARE} }},
]
"""


def within(theory: float, figure: dict[str, float | None]) -> bool:
    """Theory within three standard errors of the mean (1.5 half-widths of the 95% interval)."""
    assert figure["mean"] is not None and figure["low"] is not None and figure["high"] is not None
    return abs(figure["mean"] - theory) <= 1.5 * (figure["high"] - figure["low"]) / 2


def test_delays_hold_beds_as_littles_law_says(write_scenario: Write) -> None:
    run = runner.run(compile_scenario(load_scenario(write_scenario(WARD, "ward.toml"))), 12, 5, workers=1)
    delayed_days = P_HOUSING * HOUSING_DAYS + P_CARE * CARE_DAYS
    # No one is ever refused (1,000 beds for about 80 patients): an infinite-server queue.
    assert np.all(run.figure("ward", "blocked_fraction") == 0)
    assert within(ARRIVALS * (STAY + delayed_days), interval(run.figure("ward", "occupied_beds")))
    assert within(ARRIVALS * delayed_days * HORIZON, interval(run.figure("ward", "delayed_bed_days")))
    assert within(ARRIVALS * (P_HOUSING + P_CARE) * HORIZON, interval(run.figure("ward", "delayed_patients")))
    pool = summary(run)["pools"][0]
    assert set(pool["delayed_by_reason"]) == {"housing", "care-home"}
    assert within(ARRIVALS * P_HOUSING * HOUSING_DAYS * HORIZON, pool["delayed_by_reason"]["housing"])
    assert within(ARRIVALS * P_CARE * CARE_DAYS * HORIZON, pool["delayed_by_reason"]["care-home"])
    assert pool["delayed_bed_days"]["mean"] == pytest.approx(
        pool["delayed_by_reason"]["housing"]["mean"] + pool["delayed_by_reason"]["care-home"]["mean"]
    )
    json.dumps(summary(run))


def test_a_step_of_its_own_overrides_the_pathways_delays(write_scenario: Write) -> None:
    text = WARD.replace('route = ["ward"]', 'route = [{ pool = "ward", delays = [] }]')
    run = runner.run(compile_scenario(load_scenario(write_scenario(text, "none.toml"))), 3, 5, workers=1)
    assert np.all(run.figure("ward", "delayed_bed_days") == 0)
    assert summary(run)["pools"][0]["delayed_by_reason"] == {}


def test_a_scenario_without_delays_gives_the_same_numbers_as_before(one_pool: Path) -> None:
    run = runner.run(compile_scenario(load_scenario(one_pool)), 3, 5, workers=1)
    assert np.all(run.figure("acute", "delayed_bed_days") == 0)


def test_the_bundled_baseline_delays_patients_waiting_for_a_home() -> None:
    scenario = load_scenario("llr-baseline-2016")
    delays = {p.id: [d.reason for d in p.delays] for p in scenario.pathways if p.delays}
    assert "housing" in delays["mental-health"]
    lri = next(p for p in scenario.pathways if p.id == "lri-emergency")
    step_delays = lri.route[0][0].delays or []
    assert [d.reason for d in step_delays] == ["housing"]
    for delay in [*step_delays, *(d for p in scenario.pathways for d in p.delays)]:
        assert delay.source and "seed 002" in delay.source and "assumption" in delay.source


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            f"probability = {P_HOUSING}",
            "probability = -0.1",
            "pathways[0].delays[0].probability = -0.1: must be 0 or more",
        ),
        (
            f"probability = {P_HOUSING}",
            "probability = 0.99",
            "pathways[0].delays = 1.04: probabilities of delayed discharge add up to more than 1",
        ),
        (
            'reason = "housing"',
            'reason = "hosing"',
            'pathways[0].delays[0].reason = "hosing": must be one of',
        ),
        ("mean_days = 5.0", "mean_days = -5.0", "pathways[0].delays[0].days: mean_days must be above 0"),
    ],
)
def test_bad_delays_are_refused_with_one_clear_line(
    write_scenario: Write, old: str, new: str, message: str
) -> None:
    path = write_scenario(WARD.replace(old, new), "bad.toml")
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}: ") or str(caught.value).startswith("bad.toml")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_delays_on_a_step_are_checked_too(write_scenario: Write) -> None:
    text = WARD.replace(
        'route = ["ward"]',
        'route = [{ pool = "ward", delays = [{ reason = "other", probability = 0.7, days = '
        '{ distribution = "exponential", mean_days = 1.0 } }, { reason = "other", probability = 0.7, days = '
        '{ distribution = "exponential", mean_days = 1.0 } }] }]',
    )
    with pytest.raises(ScenarioInvalid, match=r"pathways\[0\]\.route\[0\]\[0\]\.delays = 1\.4: "):
        load_scenario(write_scenario(text, "step.toml"))


def test_report_and_json_show_delayed_bed_days_by_pool_and_reason(write_scenario: Write) -> None:
    from joinedup.plan import report

    run = runner.run(compile_scenario(load_scenario(write_scenario(WARD, "ward.toml"))), 3, 5, workers=1)
    html = report.render(run)
    assert "<h2>Delayed discharges</h2>" in html
    section = html[html.index("<h2>Delayed discharges</h2>") :]
    assert "<th>housing</th>" in section and "<th>care-home</th>" in section
    document = summary(run)
    assert document["system"]["delayed_bed_days"]["mean"] > 0
    assert any("delayed discharge (housing, probability 0.15" in item for item in document["assumptions"])


def test_delays_give_the_same_numbers_whatever_the_workers(write_scenario: Write) -> None:
    compiled = compile_scenario(load_scenario(write_scenario(WARD, "ward.toml")))
    alone, pooled = runner.run(compiled, 6, 8, workers=1), runner.run(compiled, 6, 8, workers=2)
    assert np.array_equal(alone.figures, pooled.figures, equal_nan=True)
    assert alone.delayed_by_reason is not None and pooled.delayed_by_reason is not None
    assert np.array_equal(alone.delayed_by_reason, pooled.delayed_by_reason)


def test_run_table_shows_delayed_bed_days_with_an_interval(write_scenario: Write) -> None:
    path = write_scenario(WARD.replace(f"horizon_days = {HORIZON}", "horizon_days = 30"), "delays.toml")
    wide = {"COLUMNS": "100"}  # the table needs about 85 characters
    result = CliRunner().invoke(app, ["run", str(path), "-n", "3", "--workers", "1"], env=wide)
    assert result.exit_code == 0, result.stderr
    assert "delayed" in result.stdout and "bed-days" in result.stdout
    document = json.loads(
        CliRunner().invoke(app, ["run", str(path), "-n", "3", "--workers", "1", "--json"]).stdout
    )
    shown = document["pools"][0]["delayed_bed_days"]
    assert shown["mean"] > 0
    assert f" {shown['mean']:.0f} │" in result.stdout  # the mean, its interval on the line below
    assert f"({shown['low']:.0f}–{shown['high']:.0f}) │" in result.stdout
