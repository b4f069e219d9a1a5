"""Bundled scenarios are read once and kept until their file or a baseline it builds on changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.plan import loading, scenario_cache
from joinedup.plan.scenario import ScenarioInvalid
from joinedup.settings import Settings

ONE_POOL = """
name = "one pool"
horizon_days = 365
warmup_days = 60
[[pools]]
id = "acute"
beds = 200
[[pathways]]
id = "emergency"
arrivals_per_day = 40.0
stay = { distribution = "lognormal", mean_days = 4.5, sd_days = 3.0 }
route = ["acute"]
when_full = "refuse"
"""
BASE = ONE_POOL.replace('name = "one pool"', 'name = "base"')
CHILD = 'baseline = "base"\nname = "child"\n[[pools]]\nid = "acute"\nbeds = 150\n'
FROM_REGISTRY = ONE_POOL.replace(
    '[[pools]]\nid = "acute"\nbeds = 200\n', "pools_from_registry = { on = 2024-04-02 }\n"
)


class RegistryPool:
    id, site_id, setting, specialty, beds = "acute", "lri", "acute", None, 120


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty bundled-scenario folder in place of joinedup's own, with a fresh process cache."""
    monkeypatch.setattr(loading, "SCENARIO_FOLDER", tmp_path)
    monkeypatch.setattr(scenario_cache, "BUNDLED", scenario_cache.ScenarioCache())
    return tmp_path


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every scenario file read from now on (read_document reads one file and calls itself for baselines)."""
    sources: list[str] = []
    read_document = loading.read_document

    def counting(source: str, *args: Any, **kwargs: Any) -> tuple[str, dict[str, Any]]:
        sources.append(Path(source).stem)
        return read_document(source, *args, **kwargs)

    monkeypatch.setattr(loading, "read_document", counting)
    return sources


def _touch(path: Path) -> None:
    """Move the file's modification time on by a second (file systems with coarse clocks still see it)."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))


def test_an_unchanged_scenario_is_not_read_again(folder: Path, reads: list[str]) -> None:
    (folder / "base.toml").write_text(BASE, encoding="utf-8")
    (folder / "child.toml").write_text(CHILD, encoding="utf-8")
    cache = scenario_cache.ScenarioCache()
    first = cache.load("child")
    assert reads == ["child", "base"]
    assert cache.load("child") is first
    assert reads == ["child", "base"]


def test_touching_the_file_or_its_baseline_reads_it_again(folder: Path, reads: list[str]) -> None:
    (folder / "base.toml").write_text(BASE, encoding="utf-8")
    (folder / "child.toml").write_text(CHILD, encoding="utf-8")
    cache = scenario_cache.ScenarioCache()
    assert cache.load("child").pools[0].beds == 150
    (folder / "child.toml").write_text(CHILD.replace("beds = 150", "beds = 175"), encoding="utf-8")
    _touch(folder / "child.toml")
    assert cache.load("child").pools[0].beds == 175
    assert reads == ["child", "base"] * 2
    _touch(folder / "base.toml")
    cache.load("child")
    assert reads == ["child", "base"] * 3
    cache.load("child")
    assert len(reads) == 6


def test_a_scenario_taking_pools_from_the_registry_is_never_kept(folder: Path, reads: list[str]) -> None:
    (folder / "registry.toml").write_text(FROM_REGISTRY, encoding="utf-8")
    asked: list[object] = []

    def lookup(on: object) -> list[RegistryPool]:
        asked.append(on)
        return [RegistryPool()]

    cache = scenario_cache.ScenarioCache()
    assert cache.load("registry", registry=lookup).pools[0].beds == 120
    RegistryPool.beds = 90
    try:
        assert cache.load("registry", registry=lookup).pools[0].beds == 90
    finally:
        RegistryPool.beds = 120
    assert reads == ["registry", "registry"] and len(asked) == 2


def test_a_broken_file_is_refused_each_time_and_a_removed_one_is_not_served(folder: Path) -> None:
    path = folder / "one.toml"
    path.write_text(ONE_POOL, encoding="utf-8")
    cache = scenario_cache.ScenarioCache()
    cache.load("one")
    path.write_text("name = \n", encoding="utf-8")
    _touch(path)
    for _ in range(2):
        with pytest.raises(ScenarioInvalid, match="not valid TOML"):
            cache.load("one")
    path.unlink()
    with pytest.raises(ScenarioInvalid, match="neither a file nor a bundled scenario"):
        cache.load("one")


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """The cache sits behind thin routes over a service: one backend is enough for the requests."""
    return sqlite_engine


@pytest.fixture
def bundled(folder: Path) -> Path:
    """A copy of joinedup's bundled scenarios, so a test may touch them."""
    for path in (
        Path(scenario_cache.__file__).resolve().parents[1].joinpath("data", "scenarios").glob("*.toml")
    ):
        shutil.copy2(path, folder / path.name)
    return folder


@pytest.fixture
def analyst(session: Session, test_settings: Settings) -> dict[str, str]:
    access.create_user(session, {"username": "cache-analyst", "role": "analyst"}, actor=None)
    token = access.issue_token(
        session, username="cache-analyst", scopes=None, minutes=5, secret=test_settings.signing_key
    )
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_scenario_requests_read_each_file_once_until_one_changes(
    client: TestClient, analyst: dict[str, str], bundled: Path, reads: list[str]
) -> None:
    first = client.get("/api/plan/scenarios", headers=analyst)
    assert first.status_code == 200 and len(first.json()) == len(loading.bundled_scenarios()) > 1
    assert "llr-stp-2016" in reads
    count = len(reads)
    again = client.get("/api/plan/scenarios", headers=analyst)
    page = client.get("/plan", headers=analyst)
    assert again.json() == first.json() and page.status_code == 200 and "llr-stp-2016" in page.text
    assert len(reads) == count
    _touch(bundled / "llr-stp-2016.toml")
    client.get("/api/plan/scenarios", headers=analyst)
    # The touched file and the one building on it are read again, each with the baselines under it.
    assert reads[count:] == [
        "llr-ageing-2038",
        "llr-stp-2016",
        "llr-baseline-2016",
        "llr-stp-2016",
        "llr-baseline-2016",
    ]
