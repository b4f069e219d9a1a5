"""What-if from today against a database (SQLite and PostgreSQL): live start state, API, CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from joinedup.access import service as access
from joinedup.capacity import service as capacity
from joinedup.capacity.demo import create_demo_census
from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.discharge import service as discharge
from joinedup.plan import whatif, whatif_service
from joinedup.plan.cli import app as plan_app
from joinedup.registry import service as registry
from joinedup.settings import Settings, get_settings
from joinedup.wards import service as wards

pytestmark = pytest.mark.xdist_group("plan-engine")
DAY = date(2026, 11, 23)
cli = CliRunner()


@pytest.fixture
def live(session: Session) -> Session:
    """The LLR registry with four weeks of census up to DAY."""
    registry.load_reference_data(session)
    create_demo_census(session, today=DAY)
    session.commit()
    return session


def test_start_state_is_the_census_with_virtual_wards_from_their_caseloads(live: Session) -> None:
    start = whatif_service.start_state(live, on=DAY)
    census = capacity.latest_census(live, on=DAY)
    caseload = wards.occupied_by_pool(live, at=datetime.combine(DAY, time.max, tzinfo=UTC))
    assert {p.id for p in start.pools} == {p.id for p in registry.list_bed_pools(live, on=DAY)}
    for pool in start.pools:
        expected = caseload.get(pool.id, census[pool.id].occupied if pool.id in census else None)
        assert pool.occupied == expected, pool.id
    delayed = discharge.delayed_by_pool(live, on=DAY)
    for pool in start.pools:
        assert pool.delayed == delayed.get(pool.id, (0, 0))[0], pool.id
    assert start.pool("llr-virtual").beds == 256  # type: ignore[union-attr]


def test_forecast_starts_from_the_live_occupancy_of_every_pool(live: Session) -> None:
    state = capacity.live_bed_state(live, on=DAY)
    document = whatif_service.run_whatif(live, on=DAY, days=3, replications=6, seed=2)
    assert document["system"]["start"]["occupied"] == state.occupied
    assert document["system"]["start"]["level"] == state.level
    lri = next(p for p in document["pools"] if p["id"] == "lri-acute")
    census = lri["start"]["occupied"]
    assert census > 900
    # Day one's median is within a few percent of the census (an empty start would be near zero).
    assert abs(lri["occupied_bands"]["p50"][0] - census) < 0.05 * census
    assert document["from_census"] == DAY.isoformat() and len(document["dates"]) == 3


def test_a_day_without_census_is_refused_naming_the_pools(live: Session) -> None:
    with pytest.raises(
        whatif.WhatIfInvalid, match=r"no census on that day or the day before for .*lri-acute"
    ):
        whatif_service.run_whatif(live, on=date(2025, 1, 1), days=3, replications=2)


def test_registry_bed_changes_dated_within_the_forecast_are_applied(live: Session, tmp_path: Path) -> None:
    start = whatif_service.start_state(live, on=DAY)
    assert whatif_service.registry_steps(live, start, 28) == []  # LLR's registry dates nothing after 2017
    cut = DAY + timedelta(days=5)
    registry.load_file(live, _capacity_file(tmp_path, cut))
    assert whatif_service.registry_steps(live, start, 28) == [whatif.RegistryStep("lgh-acute", cut, 400)]
    document = whatif_service.run_whatif(live, on=DAY, days=7, replications=2)
    lgh = next(s for s in document["sites"] if s["id"] == "lgh")
    assert lgh["beds"] == [490] * 5 + [460] * 2  # 430 acute + 60 maternity, then 400 acute


def _capacity_file(folder: Path, cut: date) -> Path:
    path = folder / "cut.toml"
    path.write_text(
        '[meta]\ntitle = "test"\nsource = "test"\n'
        '[[bed_capacity]]\npool = "lgh-acute"\nbeds = 430\nstart = 2016-04-01\n'
        f'end = {cut.isoformat()}\nsource = "test"\n'
        f'[[bed_capacity]]\npool = "lgh-acute"\nbeds = 400\nstart = {cut.isoformat()}\nsource = "test"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def bearer(live: Session, test_settings: Settings) -> Callable[[str], dict[str, str]]:
    def headers(role: str) -> dict[str, str]:
        username = f"whatif-{role.replace(' ', '-')}"
        extra = {"nhs_number": "9434765919"} if role == "patient" else {}
        access.create_user(live, {"username": username, "role": role, **extra}, actor=None)
        token = access.issue_token(
            live, username=username, scopes=None, minutes=5, secret=test_settings.signing_key
        )
        live.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers


def test_api_refuses_callers_without_a_token(client: TestClient, live: Session) -> None:
    assert client.get("/api/plan/whatif").status_code == 401
    assert client.post("/api/plan/whatif", json={}).status_code == 401


def test_api_refuses_a_patient(client: TestClient, bearer: Callable[[str], dict[str, str]]) -> None:
    assert client.get("/api/plan/whatif", headers=bearer("patient")).status_code == 403


def test_api_gives_an_analyst_the_forecast_with_changes(
    client: TestClient, bearer: Callable[[str], dict[str, str]]
) -> None:
    body = {
        "from_census": DAY.isoformat(),
        "changes": ["close 30 beds acute@LGH"],
        "days": 3,
        "replications": 3,
    }
    response = client.post("/api/plan/whatif", json=body, headers=bearer("analyst"))
    assert response.status_code == 200, response.text
    document = response.json()
    lgh = next(s for s in document["sites"] if s["id"] == "lgh")
    assert lgh["beds"][0] == lgh["start"]["beds"] - 30
    assert document["changes"][0]["pool"] == "lgh-acute"
    for group in [document["system"], lgh, *document["pools"]]:
        daily = group["blocked_daily"]
        assert len(daily["mean"]) == len(daily["low"]) == len(daily["high"]) == 3
        assert all(
            lo <= m <= hi
            for lo, m, hi in zip(daily["low"], daily["mean"], daily["high"], strict=True)
            if m is not None
        )


def test_api_bad_change_is_422_with_one_line(
    client: TestClient, bearer: Callable[[str], dict[str, str]]
) -> None:
    params = {"from_census": DAY.isoformat(), "change": "close 30 beds acute@Nowhere", "days": "3"}
    response = client.get("/api/plan/whatif", params=params, headers=bearer("analyst"))
    assert response.status_code == 422
    assert "no site 'nowhere'" in response.json()["detail"]


def test_page_shows_the_fan_chart_data_and_the_sites(
    client: TestClient, bearer: Callable[[str], dict[str, str]]
) -> None:
    params = {"from_census": DAY.isoformat(), "days": "3", "replications": "3"}
    response = client.get("/plan/whatif", params=params, headers=bearer("analyst"))
    assert response.status_code == 200
    assert 'id="fan-chart"' in response.text and 'id="whatif-data"' in response.text
    assert 'id="blocking-chart"' in response.text and 'id="whatif-blocking"' in response.text
    assert response.text.count('<th scope="row" class="nhsuk-table__header">2026-') >= 3  # a row a day
    assert "Leicester Royal Infirmary" in response.text


@pytest.fixture
def database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file with the LLR registry and census, named by JOINEDUP_DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'whatif.db'}"
    engine = create_engine(url)
    upgrade(engine)
    with transaction(session_factory(engine)) as s:
        registry.load_reference_data(s)
        create_demo_census(s, today=DAY)
    engine.dispose()
    monkeypatch.setenv("JOINEDUP_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_cli_json_is_one_document(database_file: str) -> None:
    args = ["whatif", "--from-census", DAY.isoformat(), "--days", "2", "-n", "2", "--json"]
    result = cli.invoke(plan_app, [*args, "--change", "open 50 beds llr-virtual"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    virtual = next(s for s in document["sites"] if s["id"] == "llr-virtual-hospital")
    assert virtual["beds"] == [306, 306]
    assert len(document["system"]["blocked_daily"]["mean"]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "--days = 0"),
        (["--replications", "0"], "--replications = 0"),
        (["--from-census", "someday"], "must be today or a date"),
        (["--from-census", "2020-01-01"], "no census"),
        (["--change", "close 30 beds acute@Nowhere"], "no site 'nowhere'"),
        (["--change", "close 30 beds lgh-acute from 2030-01-01"], "outside the forecast"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(database_file: str, args: list[str], message: str) -> None:
    result = cli.invoke(plan_app, ["whatif", "--from-census", DAY.isoformat(), "-n", "2", "--json", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_terminal_table_names_the_worst_day_of_blocking() -> None:
    from rich.console import Console

    from joinedup.plan.whatif_cli import forecast_table

    group = {
        "id": "lgh", "beds": [100, 100], "start": {"occupancy": 0.9, "level": 2},
        "occupancy_bands": {"p50": [0.9, 0.95], "p2_5": [0.85, 0.9], "p97_5": [0.95, 1.0]},
        "days_at_level_3_or_worse": {"mean": 1.0, "low": 0.0, "high": 2.0},
        "blocked_fraction": {"mean": 0.1, "low": 0.05, "high": 0.15},
        "blocked_daily": {"mean": [0.05, 0.3, None], "low": [0.0, 0.2, None], "high": [0.1, 0.4, None]},
        "level": [2, 3, 3],
    }  # fmt: skip
    document = {
        "dates": ["2026-11-23", "2026-11-24", "2026-11-25"], "from_census": "2026-11-23",
        "replications": 2, "seed": 1, "changes": [], "system": {**group, "id": "system"}, "sites": [group],
    }  # fmt: skip
    console = Console(width=250, record=True)
    console.print(forecast_table(document))
    text = console.export_text()
    assert "30.0% (20.0–40.0) on 2026-11-24" in text
