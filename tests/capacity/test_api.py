"""The capacity JSON API: who may post a census, what bad input gets back."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

Bearer = Callable[[str], dict[str, str]]
BODY = {"date": "2021-03-01", "pools": [{"pool_id": "lri-acute", "occupied": 940, "delayed": 30}]}


def test_census_needs_a_signed_in_caller(client: TestClient, bearer: Bearer) -> None:
    assert client.post("/api/capacity/census", json=BODY).status_code == 401


def test_clinician_posts_census_and_state_shows_it(client: TestClient, bearer: Bearer) -> None:
    headers = bearer("hospital clinician")
    posted = client.post("/api/capacity/census", json=BODY, headers=headers)
    assert posted.status_code == 201, posted.text
    state = client.get("/api/capacity/state", params={"on": "2021-03-01"}, headers=headers).json()
    lri = next(p for s in state["sites"] for p in s["pools"] if p["id"] == "lri-acute")
    assert (lri["occupied"], lri["delayed"], lri["level"]) == (940, 30, 3)


def test_analyst_reads_state_but_may_not_post(client: TestClient, bearer: Bearer) -> None:
    headers = bearer("analyst")
    assert client.post("/api/capacity/census", json=BODY, headers=headers).status_code == 403
    assert client.get("/api/capacity/state", headers=headers).status_code == 200


def test_bad_census_is_422_with_detail(client: TestClient, bearer: Bearer) -> None:
    headers = bearer("administrator")
    negative = {"date": "2021-03-01", "pools": [{"pool_id": "lri-acute", "occupied": -1}]}
    unknown = {"date": "2021-03-01", "pools": [{"pool_id": "nowhere", "occupied": 1}]}
    for body in (negative, unknown, {"date": "not-a-date", "pools": []}):
        answer = client.post("/api/capacity/census", json=body, headers=headers)
        assert answer.status_code == 422
        assert answer.json()["detail"]
