"""The discharge JSON API and pages: who may do what, the status codes of bad requests, live capacity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from discharge_world import BLABY_TEAM, HOUSING_TEAM
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.schemas import AuditQuery

Bearer = Callable[[str], dict[str, str]]
URL = "/api/discharge/referrals"


def body(nhs_number: str, **changes: object) -> dict[str, object]:
    fit = (datetime.now(UTC) - timedelta(days=4)).date().isoformat()
    return {"nhs_number": nhs_number, "pool_id": "lri-acute", "kind": "housing", "team_id": HOUSING_TEAM,
            "medically_fit_on": fit, "note": "No fixed abode", **changes}  # fmt: skip


def test_no_token_is_401(client: TestClient, committed_world) -> None:  # type: ignore[no-untyped-def]
    assert client.get(URL).status_code == 401
    assert client.post(URL, json=body(committed_world.at_lri[0])).status_code == 401


def test_the_workflow_over_http_is_audited(  # type: ignore[no-untyped-def]
    client: TestClient, bearer: Bearer, committed_world, session: Session
) -> None:
    clinician, housing = bearer("clinician"), bearer("housing")
    created = client.post(URL, json=body(committed_world.at_lri[0]), headers=clinician)
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    assert created.json()["days_waited"] == 4
    early = client.post(f"{URL}/{rid}/close", json={"outcome": "home"}, headers=housing)
    assert early.status_code == 409 and "accept" in early.json()["detail"]
    assert client.post(f"{URL}/{rid}/accept", json={}, headers=clinician).status_code == 403
    accepted = client.post(f"{URL}/{rid}/accept", json={"note": "On it"}, headers=housing)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    updated = client.post(f"{URL}/{rid}/update", json={"note": "Flat viewed"}, headers=housing)
    assert updated.json()["status"] == "in-progress"
    closed = client.post(
        f"{URL}/{rid}/close", json={"outcome": "home", "note": "Keys handed over"}, headers=housing
    )
    assert closed.status_code == 200 and closed.json()["outcome"] == "home"
    history = client.get(f"{URL}/{rid}", headers=clinician).json()["events"]
    assert [e["action"] for e in history] == ["raised", "accepted", "updated", "closed"]
    entries = access.search_audit(session, AuditQuery(nhs_number=committed_world.at_lri[0], limit=200)).items
    ours = {(e.username, e.action) for e in entries if e.resource_type == "DischargeReferral"}
    assert {("api-clinician", "create"), ("api-housing", "update"), ("api-clinician", "read")} <= ours


def test_unrelated_users_are_refused_403(  # type: ignore[no-untyped-def]
    client: TestClient, bearer: Bearer, committed_world
) -> None:
    rid = client.post(URL, json=body(committed_world.at_lri[0]), headers=bearer("clinician")).json()["id"]
    for who in ("blaby", "lpt-clinician", "analyst"):
        answer = client.get(f"{URL}/{rid}", headers=bearer(who))
        assert answer.status_code == 403, who
        assert answer.json()["detail"]
    assert client.get(URL, headers=bearer("analyst")).status_code == 403
    assert client.get(URL, headers=bearer("blaby")).json() == []
    refused = client.post(URL, json=body(committed_world.at_lri[1]), headers=bearer("lpt-clinician"))
    assert refused.status_code == 403


def test_bad_referrals_are_422_and_write_nothing(  # type: ignore[no-untyped-def]
    client: TestClient, bearer: Bearer, committed_world
) -> None:
    headers = bearer("clinician")
    cases = [
        body(committed_world.at_lgh),  # in hospital, but at the General
        body(committed_world.at_lri[0], team_id="no-such-team"),
        body(committed_world.at_lri[0], kind="spa-break"),
        body("1234567890"),
        body(committed_world.at_lri[0], pool_id="nowhere"),
    ]
    for case in cases:
        answer = client.post(URL, json=case, headers=headers)
        assert answer.status_code == 422, (case, answer.text)
        assert answer.json()["detail"]
    assert client.get(URL, headers=headers).json() == []
    assert client.get(f"{URL}/no-such-id", headers=headers).status_code == 404


def test_list_filters(client: TestClient, bearer: Bearer, committed_world) -> None:  # type: ignore[no-untyped-def]
    headers = bearer("clinician")
    client.post(URL, json=body(committed_world.at_lri[0]), headers=headers)
    other = body(committed_world.at_lri[1], kind="adaptations", team_id=BLABY_TEAM)
    client.post(URL, json=other, headers=headers)
    assert len(client.get(URL, params={"site": "lri"}, headers=headers).json()) == 2
    assert [r["kind"] for r in client.get(URL, params={"team": BLABY_TEAM}, headers=headers).json()] == [
        "adaptations"
    ]
    assert client.get(URL, params={"status": "closed"}, headers=headers).json() == []
    assert client.get(URL, params={"status": "bogus"}, headers=headers).status_code == 422
    mine = client.get(URL, headers=bearer("housing")).json()
    assert [r["team_id"] for r in mine] == [HOUSING_TEAM]


def test_live_capacity_shows_delayed_patients_and_bed_days(  # type: ignore[no-untyped-def]
    client: TestClient, bearer: Bearer, committed_world
) -> None:
    headers = bearer("clinician")
    client.post(URL, json=body(committed_world.at_lri[0]), headers=headers)
    client.post(URL, json=body(committed_world.at_lri[1], medically_fit_on=None), headers=headers)
    state = client.get("/api/capacity/state", headers=bearer("analyst")).json()
    assert (state["delayed_patients"], state["delayed_bed_days"]) == (2, 4)
    lri = next(s for s in state["sites"] if s["site_id"] == "lri")
    assert (lri["delayed_patients"], lri["delayed_bed_days"]) == (2, 4)
    pool = next(p for p in lri["pools"] if p["id"] == "lri-acute")
    assert (pool["delayed_patients"], pool["delayed_bed_days"]) == (2, 4)
    delayed = client.get("/api/discharge/delayed", headers=bearer("analyst")).json()
    assert delayed["pools"][0]["days_waited"] == [4, 0]
    page = client.get("/capacity", headers=headers)
    assert page.status_code == 200 and 'id="delayed-bed-days">4<' in page.text


def test_pages_show_queues_and_raise_from_the_form(  # type: ignore[no-untyped-def]
    client: TestClient, bearer: Bearer, committed_world
) -> None:
    clinician = bearer("clinician")
    form = client.get("/discharge/referrals/new", headers=clinician)
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    bad = client.post(
        "/discharge/referrals/new", data={**body(committed_world.at_home), "note": ""}, headers=clinician
    )
    assert bad.status_code in (403, 422)
    sent = client.post(
        "/discharge/referrals/new",
        data=body(committed_world.at_lri[0]),
        headers=clinician,
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    page = client.get(location, headers=bearer("housing"))
    assert page.status_code == 200 and "Accept this referral" in page.text
    accepted = client.post(
        f"{location}/accept", data={"note": ""}, headers=bearer("housing"), follow_redirects=False
    )
    assert accepted.status_code == 303
    queue = client.get(f"/discharge/teams/{HOUSING_TEAM}", headers=bearer("housing"))
    assert queue.status_code == 200 and "accepted" in queue.text
    site = client.get("/discharge/sites/lri", headers=clinician)
    assert site.status_code == 200 and "4 delayed bed-days" in site.text
    assert client.get("/discharge", headers=clinician).status_code == 200
    assert client.get(location, headers=bearer("blaby")).status_code == 403
    wrong = client.post(
        "/discharge/referrals/new",
        data=body(committed_world.at_lgh),
        headers=clinician,
    )
    assert wrong.status_code == 422 and "not in hospital" in wrong.text
