"""`joinedup discharge` as a person runs it: JSON on stdout, one line on error, nothing written on error."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from discharge_world import BLABY_TEAM, HOUSING_TEAM, build_world

from joinedup.access import service as access
from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.settings import get_settings

RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A migrated SQLite file with the test hospital, a UHL clinician and a housing officer."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = create_engine(url)
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        world = build_world(session)
        access.create_user(
            session,
            {"username": "ward-doctor", "role": "hospital clinician", "organisation_ods": "RWE"},
            actor=None,
        )
        access.create_user(
            session,
            {"username": "housing-officer", "role": "discharge support", "team_ids": [HOUSING_TEAM]},
            actor=None,
        )
    engine.dispose()
    monkeypatch.setenv("JOINEDUP_DATABASE_URL", url)
    monkeypatch.setenv("JOINEDUP_SECRET_KEY", "discharge-cli-test-secret")
    get_settings.cache_clear()
    yield world
    get_settings.cache_clear()


def test_raise_list_and_delayed(database, run_cli: RunCli) -> None:  # type: ignore[no-untyped-def]
    fit = (datetime.now(UTC) - timedelta(days=5)).date().isoformat()
    number = database.at_lri[0]
    code, out, err = run_cli("discharge", "raise", number, "--pool", "lri-acute", "--kind", "housing",
        "--team", HOUSING_TEAM, "--medically-fit", fit, "--as", "ward-doctor", "--json",
    )  # fmt: skip
    assert code == 0, err
    raised = json.loads(out)
    assert (raised["status"], raised["days_waited"]) == ("raised", 5)
    code, out, _ = run_cli("discharge", "list", "--team", HOUSING_TEAM, "--as", "housing-officer", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [raised["id"]]
    code, out, _ = run_cli("discharge", "list", "--site", "lgh", "--as", "ward-doctor", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run_cli("discharge", "delayed", "--json")
    delayed = json.loads(out)
    assert code == 0 and (delayed["delayed_patients"], delayed["delayed_bed_days"]) == (1, 5)
    assert delayed["pools"][0]["site_id"] == "lri"
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    code, out, _ = run_cli("discharge", "delayed", "--on", yesterday, "--json")
    assert code == 0 and json.loads(out)["delayed_patients"] == 0


def test_bad_input_is_one_line_and_writes_nothing(database, run_cli: RunCli) -> None:  # type: ignore[no-untyped-def]
    args = ["--pool", "lri-acute", "--kind", "housing", "--team", HOUSING_TEAM, "--as", "ward-doctor"]
    code, out, err = run_cli("discharge", "raise", database.at_lgh, *args)
    assert code != 0 and out == "" and "not in hospital at site 'lri'" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run_cli("discharge", "raise", database.at_lri[0], *args[:4], "--team", "nobody", *args[6:])
    assert code != 0 and "no team 'nobody'" in err
    code, _, err = run_cli("discharge", "raise", database.at_lri[0], "--kind", "spa", *args[:2], *args[4:])
    assert code != 0 and "unknown kind 'spa'" in err
    code, _, err = run_cli("discharge", "delayed", "--on", "yesterday")
    assert code != 0 and "not a date" in err
    code, _, err = run_cli("discharge", "list", "--as", "nobody")
    assert code != 0 and "no joinedup user 'nobody'" in err
    code, out, _ = run_cli("discharge", "list", "--team", BLABY_TEAM, "--as", "ward-doctor", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run_cli("discharge", "delayed", "--json")
    assert json.loads(out)["delayed_patients"] == 0
