"""`joinedup wards` and `joinedup monitoring` as a person runs them: JSON on stdout, one line on error."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from wards_world import build_world, observation

from joinedup.access import service as access
from joinedup.cli import main
from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.settings import get_settings


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


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    old_argv, sys.argv = sys.argv, ["joinedup", *args]
    old_stdin, sys.stdin = sys.stdin, io.StringIO("")
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv, sys.stdin = old_argv, old_stdin
    out, err = capsys.readouterr()
    return code, out, err


def test_admit_list_and_occupancy(database: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "wards", "admit", "vw-small", database[0], "--pathway", "frailty", "--as", "test-gp", "--json"
    )
    assert code == 0 and json.loads(out)["ward_id"] == "vw-small"
    code, out, _ = run(capsys, "wards", "list", "--json")
    wards = {w["id"]: w for w in json.loads(out)}
    assert code == 0 and wards["vw-small"]["occupied"] == 1 and wards["vw-small"]["beds"] == 3
    code, out, _ = run(capsys, "wards", "occupancy", "--json")
    assert code == 0 and json.loads(out)[-1]["ward_id"] is None


def test_bad_input_is_one_clear_line_and_a_non_zero_exit(
    database: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "wards", "admit", "no-such-ward", database[0], "--pathway", "frailty", "--as", "test-gp"
    )
    assert code != 0 and out == "" and "no virtual ward with id 'no-such-ward'" in err
    code, _, err = run(capsys, "wards", "occupancy", "--month", "May")
    assert code != 0 and "not YYYY-MM" in err
    code, _, err = run(
        capsys, "wards", "admit", "vw-north", database[0], "--pathway", "frailty", "--as", "nobody"
    )
    assert code != 0 and "no joinedup user 'nobody'" in err


def test_rejected_readings_are_listed(database: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from joinedup.monitoring import service as monitoring

    engine = create_engine(get_settings().database_url)
    with transaction(session_factory(engine)) as session:
        reading = observation(database[1], "pulse", 70, at=datetime.now(UTC) - timedelta(minutes=1))
        assert monitoring.record_readings(session, observations=[reading])[0].status == "rejected"
    engine.dispose()
    code, out, _ = run(capsys, "monitoring", "rejected", "--json")
    assert code == 0 and "not on a virtual ward" in json.loads(out)[0]["reason"]
