"""`joinedup plan` run, compare and beds: JSON on stdout, one clear line on stderr for bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from joinedup.plan.cli import app

pytestmark = pytest.mark.xdist_group("plan-engine")
Write = Callable[[str, str], Path]
cli = CliRunner()


def test_run_json_prints_one_document_with_intervals(one_pool: Path) -> None:
    result = cli.invoke(
        app, ["run", str(one_pool), "--replications", "4", "--seed", "3", "--json", "--workers", "1"]
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["scenario"], document["replications"], document["seed"]) == ("one pool", 4, 3)
    pool = document["pools"][0]
    assert {"id", "beds", "occupancy", "blocked_fraction"} <= set(pool)
    assert set(pool["occupancy"]) == {"mean", "low", "high"}
    assert pool["occupancy"]["low"] <= pool["occupancy"]["mean"] <= pool["occupancy"]["high"]


def test_run_without_json_shows_a_table_and_writes_the_report(one_pool: Path, tmp_path: Path) -> None:
    report = tmp_path / "out.html"
    args = ["run", str(one_pool), "-n", "2", "--report", str(report), "--workers", "1"]
    result = cli.invoke(app, args, env={"COLUMNS": "100"})  # the table needs about 85 characters
    assert result.exit_code == 0, result.stderr
    assert "occupancy" in result.stdout and "acute" in result.stdout
    assert report.read_text().startswith("<!DOCTYPE html>")


def test_compare_json_has_both_runs_and_the_differences(one_pool: Path) -> None:
    result = cli.invoke(app, ["compare", str(one_pool), str(one_pool), "-n", "3", "--json", "--workers", "1"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["a"]["scenario"] == document["b"]["scenario"] == "one pool"
    assert document["differences"][0]["blocked_fraction"]["mean"] == 0.0


def test_beds_json_is_the_smallest_pool_meeting_the_target() -> None:
    result = cli.invoke(
        app,
        [
            "beds",
            "--arrivals-per-day",
            "40",
            "--mean-stay-days",
            "4.5",
            "--target-blocking",
            "0.01",
            "--json",
        ],
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"beds": 201, "blocking": pytest.approx(0.00916, abs=1e-5)}


BAD_FILES = [
    ('id = "acute"\nbeds = 200', 'id = "acute"\nbeds = -1', "pools[0].beds = -1"),
    ('route = ["acute"]', 'route = ["icu"]', 'route[0][0].pool = "icu"'),
    ("mean_days = 4.5", "mean_days = -4.5", "stay"),
    ("arrivals_per_day = 40.0", "arrivals_per_day = -1.0", "pathways[0].arrivals_per_day = -1"),
    (
        "warmup_days = 60",
        'warmup_days = 60\n[[changes]]\nkind = "close_beds"\npool = "acute"\nbeds = 5\non = 2031-01-01',
        "changes[0].on = 2031-01-01",
    ),
    (
        "warmup_days = 60",
        'warmup_days = 60\n[[changes]]\nkind = "avoid_admissions"\npathway = "frailty"\n'
        "share = 0.1\non = 2024-05-01",
        'changes[0].pathway = "frailty"',
    ),
    ('name = "one pool"', 'name = "one pool', "is not valid TOML"),
]


@pytest.mark.parametrize(("old", "new", "named"), BAD_FILES)
def test_bad_scenario_exits_2_with_one_line_naming_file_field_and_value(
    write_scenario: Write, one_pool: Path, old: str, new: str, named: str
) -> None:
    path = write_scenario(one_pool.read_text().replace(old, new, 1), "bad.toml")
    result = cli.invoke(app, ["run", str(path), "-n", "2", "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert str(path) in result.stderr and named in result.stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["run", "llr-nowhere"], 'scenario = "llr-nowhere"'),
        (["run", "llr-stp-2016", "--replications", "0"], "--replications = 0"),
        (
            ["beds", "--arrivals-per-day", "-3", "--mean-stay-days", "4", "--target-blocking", "0.01"],
            "--arrivals-per-day = -3",
        ),
        (
            ["beds", "--arrivals-per-day", "3", "--mean-stay-days", "0", "--target-blocking", "0.01"],
            "--mean-stay-days = 0",
        ),
        (
            ["beds", "--arrivals-per-day", "3", "--mean-stay-days", "4", "--target-blocking", "1.5"],
            "--target-blocking = 1.5",
        ),
    ],
)
def test_bad_options_exit_2_with_one_line(args: list[str], named: str) -> None:
    result = cli.invoke(app, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and named in result.stderr


def test_beds_example_in_the_docs_prints_what_the_docs_say() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "planner.md").read_text()
    assert "--arrivals-per-day 40 --mean-stay-days 4.5 --target-blocking 0.01 --json" in docs
    assert '{"beds": 201, "blocking": 0.00916' in docs
    result = cli.invoke(
        app,
        [
            "beds",
            "--arrivals-per-day",
            "40",
            "--mean-stay-days",
            "4.5",
            "--target-blocking",
            "0.01",
            "--json",
        ],
    )
    assert result.stdout.startswith('{"beds": 201, "blocking": 0.00916')
