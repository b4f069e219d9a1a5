"""The registry's JSON API: reference data; a bad date is 422 and an unknown thing 404, both as {"detail"}."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """Routes are thin adapters over services already tested on both backends: SQLite suffices here."""
    return sqlite_engine


def test_organisations_list_and_filter_by_day_and_kind(client: TestClient, loaded: Session) -> None:
    everyone = client.get("/api/registry/organisations").json()
    assert len(everyone) == 10
    in_1960 = client.get("/api/registry/organisations", params={"on": "1960-06-01"}).json()
    assert {o["id"] for o in in_1960} == {"sheffield-rhb", "south-west-rhb"}
    trusts = client.get("/api/registry/organisations", params={"kind": "nhs trust"}).json()
    assert {o["id"] for o in trusts} == {"uhl", "lpt", "leicester-royal-infirmary-trust"}


def test_an_organisation_comes_with_its_history(client: TestClient, loaded: Session) -> None:
    body = client.get("/api/registry/organisations/uhl").json()
    assert body["organisation"]["ods_code"] == "RWE"
    assert [p["predecessor_id"] for p in body["predecessors"]] == ["leicester-royal-infirmary-trust"]


def test_a_site_comes_with_its_pools_and_steps(client: TestClient, loaded: Session) -> None:
    body = client.get("/api/registry/sites/lri").json()
    assert [s["beds"] for s in body["pools"][0]["steps"]] == [900, 1000]
    assert [o["organisation_id"] for o in body["operators"]] == ["leicester-royal-infirmary-trust", "uhl"]
    assert {s["id"] for s in client.get("/api/registry/sites", params={"on": "2021-01-01"}).json()} == {
        "lri",
        "lgh",
    }


def test_areas_are_listed(client: TestClient, loaded: Session) -> None:
    assert [a["name"] for a in client.get("/api/registry/areas").json()] == [
        "Devon",
        "Leicester",
        "Leicestershire",
        "Rutland",
    ]


def test_responsible_answers_five_fields_per_body(client: TestClient, loaded: Session) -> None:
    response = client.get("/api/registry/responsible", params={"area": "Leicester", "on": "1960-06-01"})
    assert response.status_code == 200
    assert response.json() == [
        {
            "name": "Sheffield Regional Hospital Board",
            "kind": "regional hospital board",
            "start": "1947-07-01",
            "end": "1974-04-01",
            "source": "seed 002",
        }
    ]


def test_snapshot_diff_and_bed_pools(client: TestClient, loaded: Session) -> None:
    snapshot = client.get("/api/registry/snapshot", params={"on": "2018-01-01"}).json()
    assert snapshot["beds_by_setting"] == {"acute": 1330, "virtual": 256}
    diff = client.get("/api/registry/diff", params={"from": "2016-06-01", "to": "2021-01-01"}).json()
    assert {c["pool_id"]: c["change"] for c in diff["changed_size"]} == {
        "lri-acute": 100,
        "lgh-acute": -430,
        "llr-virtual": 256,
    }
    pools = client.get("/api/registry/bed-pools", params={"on": "2018-01-01", "setting": "virtual"}).json()
    assert [(p["id"], p["beds"]) for p in pools] == [("llr-virtual", 256)]
    history = client.get("/api/registry/bed-pools/lgh-acute/history").json()
    assert [(h["start"], h["end"], h["beds"]) for h in history] == [("2016-04-01", "2020-04-01", 430)]


def test_malformed_dates_are_422_with_detail(client: TestClient, loaded: Session) -> None:
    for path, params in [
        ("/api/registry/snapshot", {"on": "2018-13-01"}),
        ("/api/registry/responsible", {"area": "Leicester", "on": "sixties"}),
        ("/api/registry/diff", {"from": "2016-06-01"}),
        ("/api/registry/diff", {"from": "2020-01-01", "to": "2010-01-01"}),
        ("/api/registry/bed-pools", {"setting": "hospital"}),
    ]:
        response = client.get(path, params=params)
        assert response.status_code == 422, path
        assert isinstance(response.json()["detail"], str)


def test_unknown_things_are_404_with_detail(client: TestClient, loaded: Session) -> None:
    for path in (
        "/api/registry/organisations/nobody",
        "/api/registry/sites/nowhere",
        "/api/registry/areas/x",
        "/api/registry/bed-pools/none/history",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "No " in response.json()["detail"]
    response = client.get("/api/registry/responsible", params={"area": "Leicster", "on": "1960-06-01"})
    assert response.status_code == 404
    assert "Did you mean: Leicester" in response.json()["detail"]


def test_every_registry_route_documents_its_errors() -> None:
    from fastapi import FastAPI

    from joinedup.registry import api

    alone = FastAPI()
    alone.include_router(api.router, prefix="/api/registry")
    paths = alone.openapi()["paths"]
    assert len(paths) == 11
    for path, operations in paths.items():
        operation = operations["get"]
        assert operation["description"], path
        assert "422" in operation["responses"], path
        if "{id}" in path:
            assert "404" in operation["responses"], path
        schema = operation["responses"]["422"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Problem"}, path
