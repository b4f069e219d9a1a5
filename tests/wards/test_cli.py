"""`joinedup wards` and `joinedup monitoring` as a person runs them: JSON on stdout, one line on error."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from wards_world import build_world, observation

from joinedup.access import service as access
from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.settings import get_settings

RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A migrated SQLite file with the test virtual hospital and a GP user; the patients' NHS numbers."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = create_engine(url)
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        numbers = build_world(session).nhs_numbers
        access.create_user(
            session, {"username": "test-gp", "role": "gp", "organisation_ods": "Y99991"}, actor=None
        )
    engine.dispose()
    monkeypatch.setenv("JOINEDUP_DATABASE_URL", url)
    monkeypatch.setenv("JOINEDUP_SECRET_KEY", "wards-cli-test-secret")
    get_settings.cache_clear()
    yield numbers
    get_settings.cache_clear()


def test_admit_list_and_occupancy(database: list[str], run_cli: RunCli) -> None:
    code, out, _ = run_cli(
        "wards", "admit", "vw-small", database[0], "--pathway", "frailty", "--as", "test-gp", "--json"
    )
    assert code == 0 and json.loads(out)["ward_id"] == "vw-small"
    code, out, _ = run_cli("wards", "list", "--json")
    wards = {w["id"]: w for w in json.loads(out)}
    assert code == 0 and wards["vw-small"]["occupied"] == 1 and wards["vw-small"]["beds"] == 3
    code, out, _ = run_cli("wards", "occupancy", "--json")
    assert code == 0 and json.loads(out)[-1]["ward_id"] is None


def test_bad_input_is_one_clear_line_and_a_non_zero_exit(database: list[str], run_cli: RunCli) -> None:
    code, out, err = run_cli(
        "wards", "admit", "no-such-ward", database[0], "--pathway", "frailty", "--as", "test-gp"
    )
    assert code != 0 and out == "" and "no virtual ward with id 'no-such-ward'" in err
    code, _, err = run_cli("wards", "occupancy", "--month", "May")
    assert code != 0 and "not YYYY-MM" in err
    code, _, err = run_cli(
        "wards", "admit", "vw-north", database[0], "--pathway", "frailty", "--as", "nobody"
    )
    assert code != 0 and "no joinedup user 'nobody'" in err


def test_rejected_readings_are_listed(database: list[str], run_cli: RunCli) -> None:
    from joinedup.monitoring import service as monitoring

    engine = create_engine(get_settings().database_url)
    with transaction(session_factory(engine)) as session:
        reading = observation(database[1], "pulse", 70, at=datetime.now(UTC) - timedelta(minutes=1))
        assert monitoring.record_readings(session, observations=[reading])[0].status == "rejected"
    engine.dispose()
    code, out, _ = run_cli("monitoring", "rejected", "--json")
    assert code == 0 and "not on a virtual ward" in json.loads(out)[0]["reason"]


def test_replay_and_alerts_report_print_one_json_document_and_refuse_bad_input(
    database: list[str], run_cli: RunCli, tmp_path: Path
) -> None:
    engine = create_engine(get_settings().database_url)
    with transaction(session_factory(engine)) as session:
        access.create_user(session, {"username": "test-analyst", "role": "analyst"}, actor=None)
    engine.dispose()
    rules = tmp_path / "stricter.toml"
    rules.write_text('name = "stricter"\nversion = "2"\n[news2]\nurgent_total = 4\nemergency_total = 6\n')
    today = datetime.now(UTC).date().isoformat()
    args = (
        "monitoring",
        "replay",
        "--rules",
        str(rules),
        "--from",
        today,
        "--to",
        today,
        "--as",
        "test-analyst",
    )
    code, out, _ = run_cli(*args, "--json")
    report = json.loads(out)
    assert code == 0 and report["proposed"]["version_id"] == "stricter@2" and "NOT raised" in report["note"]
    assert report["totals"] == {"key": "all", "live": 0, "current": 0, "proposed": 0} | {
        k: None for k in ("name", "nurses", "teams")
    }
    rules.write_text('name = "x"\nversion = "1"\n[news2]\nurgent_total = 30\n')
    code, out, err = run_cli(*args)
    assert code != 0 and out == "" and "urgent_total" in err and len(err.strip().splitlines()) == 1
    code, out, err = run_cli(*args[:3], str(tmp_path / "missing.toml"), *args[4:])
    assert code != 0 and "cannot read rule set" in err
    code, out, _ = run_cli("monitoring", "alerts-report", "--as", "test-analyst", "--json")
    assert code == 0 and json.loads(out)["rows"] == []
    code, out, err = run_cli(
        "monitoring", "alerts-report", "--as", "test-gp", "--from", today, "--to", "2000-01-01"
    )
    assert code != 0 and out == "" and "period" in err


def test_rules_shows_the_rule_set_in_force_and_fails_when_its_version_was_used_for_other_thresholds(
    database: list[str], run_cli: RunCli
) -> None:
    from joinedup.monitoring.models import RuleSetVersion

    code, out, _ = run_cli("monitoring", "rules", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["version_id"] == "joinedup-default@1" and shown["drift"] is None
    engine = create_engine(get_settings().database_url)
    with transaction(session_factory(engine)) as session:
        session.add(
            RuleSetVersion(
                version_id="joinedup-default@1",
                name="joinedup-default",
                version="1",
                content_sha256="0" * 64,
                document="{}",
                first_used_at=datetime.now(UTC),
            )
        )
    engine.dispose()
    code, _, err = run_cli("monitoring", "rules")
    assert code == 1 and "give it a new version" in err
