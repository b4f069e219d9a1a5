"""`joinedup voice actions`, `action-add` and `action-update`: one JSON document with --json, one clear line
and a non-zero exit for bad input, and nothing written then."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from joinedup.access import service as access
from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.registry import service as registry
from joinedup.settings import get_settings

from .conftest import PLACES

DUE = (date.today() + timedelta(days=30)).isoformat()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file with the test places, a Healthwatch officer and a nurse."""
    url = f"sqlite:///{tmp_path_factory.mktemp('voice-actions-cli') / 'voice.db'}"
    engine = create_engine(url)
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        registry.load_file(session, PLACES)
        access.create_user(session, {"username": "hw", "role": "healthwatch staff"}, actor=None)
        access.create_user(
            session,
            {"username": "nurse", "role": "virtual-ward nurse", "organisation_ods": "RT5"},
            actor=None,
        )
    engine.dispose()
    return url


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(
    database: str, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., tuple[int, str, str]]
) -> Callable[..., Ran]:
    """Run `joinedup voice ...` in this process, as the console script would, over the test database."""
    monkeypatch.setenv("JOINEDUP_DATABASE_URL", database)

    def invoke(*args: str) -> Ran:
        get_settings.cache_clear()
        try:
            return Ran(*run_cli("voice", *args))
        finally:
            get_settings.cache_clear()

    return invoke


def _count(run: Callable[..., Ran]) -> int:
    listed = run("actions", "--json")
    assert listed.returncode == 0, listed.stderr
    return len(json.loads(listed.stdout))


ADD = (
    "action-add", "--title", "Publish waits every month", "--owner", "RWE",
    "--role", "Chief Operating Officer", "--theme", "waiting", "--as", "hw",
)  # fmt: skip


def test_an_action_is_recorded_listed_and_moved_along(run: Callable[..., Ran]) -> None:
    before = _count(run)
    added = run(*ADD, "--due", DUE, "--measure", "waiting", "--label", "People waiting over 18 weeks",
                "--unit", "people waiting", "--baseline-on", "2025-04-01", "--baseline-value", "1200",
                "--baseline-source", "UHL board papers", "--json")  # fmt: skip
    assert added.returncode == 0, added.stderr
    action = json.loads(added.stdout)
    assert action["owner"]["ods_code"] == "RWE" and action["measure"]["baseline"]["value"] == 1200
    assert _count(run) == before + 1
    moved = run("action-update", str(action["id"]), "--as", "hw", "--status", "done", "--json")
    assert moved.returncode == 0 and json.loads(moved.stdout)["status"] == "done"
    refused = run("action-update", str(action["id"]), "--as", "hw", "--status", "planned")
    assert refused.returncode != 0 and "can go to in progress" in refused.stderr
    text = run("actions", "--as", "hw")
    assert "Publish waits every month" in text.stdout and "done" in text.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--due", "2001-01-01"), "has passed"),
        (("--due", "soon"), "due_on"),
        (("--due", DUE, "--owner", "ZZZ99"), "owner"),
        (("--due", DUE, "--theme", "nonsense"), "unknown theme"),
        (("--due", DUE, "--measure", "waiting", "--label", "Waits", "--unit", "weeks",
          "--baseline-value", "-3", "--baseline-source", "a paper"), "0 or more"),
        (("--due", DUE, "--measure", "planner", "--label", "Blocking", "--scenario", "no-such-plan",
          "--pool", "lri-acute", "--figure", "occupancy"), "no bundled scenario"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_a_non_zero_exit_and_nothing_written(
    run: Callable[..., Ran], args: tuple[str, ...], message: str
) -> None:
    before = _count(run)
    done = run(*ADD, *args)
    assert done.returncode != 0 and done.stdout == ""
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert _count(run) == before


def test_only_healthwatch_staff_or_an_administrator_may_use_them(run: Callable[..., Ran]) -> None:
    for args in (("actions", "--as", "nurse"), ("actions", "--as", "nobody")):
        done = run(*args)
        assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1
