""" "You said, we did" over HTTP: the staff API (401/403 for others, 409/422 for bad steps, nothing written),
the staff pages' forms, and the public page and its JSON, which show only what is published."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.voice.models import Action, ActionUpdate, Measure, MeasureReading
from joinedup.voice.schemas import ThemeChoice

from .conftest import Tell

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "a-long-test-password"
DUE = (date.today() + timedelta(days=60)).isoformat()
ACTION = {
    "title": "Publish how many people wait over 18 weeks, every month",
    "theme": "waiting",
    "owner": "RWE",
    "owner_role": "Chief Operating Officer",
    "due_on": DUE,
    "measure": {
        "kind": "waiting",
        "label": "People waiting over 18 weeks",
        "desired": "down",
        "unit": "people waiting",
        "baseline": {"on": "2025-04-01", "value": 1200, "source": "UHL board papers, April 2025"},
    },
}


def _written(session: Session) -> int:
    return sum(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Action, ActionUpdate, Measure, MeasureReading)
    )


def _create(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = client.post("/api/voice/actions", json={**ACTION, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_staff_record_move_and_measure_an_action(
    client: TestClient, places: Session, staff_headers: dict[str, str]
) -> None:
    action = _create(client, staff_headers)
    path = f"/api/voice/actions/{action['id']}"
    assert action["owner"]["name"] == "University Hospitals of Leicester NHS Trust"
    moved = client.post(f"{path}/updates", json={"status": "in progress", "note": "Data team asked"},
                        headers=staff_headers)  # fmt: skip
    assert moved.status_code == 200 and moved.json()["status"] == "in progress"
    reading = {"on": "2025-10-01", "value": 900, "source": "UHL board papers, October 2025"}
    measured = client.post(f"{path}/measure/readings", json=reading, headers=staff_headers).json()
    assert measured["measure"]["verdict"] == "better" and measured["measure"]["current"]["value"] == 900
    assert client.post(f"{path}/publish", headers=staff_headers).status_code == 200
    assert client.post(f"{path}/publish", headers=staff_headers).status_code == 409
    listed = client.get("/api/voice/actions", params={"open_only": True}, headers=staff_headers).json()
    assert [a["id"] for a in listed] == [action["id"]]


def test_bad_steps_get_409_or_422_and_write_nothing(
    client: TestClient, places: Session, staff_headers: dict[str, str]
) -> None:
    bad = [
        {"theme": "no-such-theme"},
        {"owner": "ZZZ99"},
        {"due_on": "2001-01-01"},
        {"measure": {**ACTION["measure"], "baseline": {"on": "2025-01-01", "value": -1, "source": "board"}}},  # type: ignore[dict-item]
        {"measure": {**ACTION["measure"], "kind": "planner", "scenario": "no-such-plan", "pool": "x",  # type: ignore[dict-item]
                     "figure": "occupancy", "unit": None, "baseline": {}}},
    ]  # fmt: skip
    for fields in bad:
        response = client.post("/api/voice/actions", json={**ACTION, **fields}, headers=staff_headers)
        assert response.status_code == 422, (fields, response.text)
        assert response.json()["detail"]
    assert _written(places) == 0
    action = _create(client, staff_headers)
    before = _written(places)
    path = f"/api/voice/actions/{action['id']}"
    done = client.post(f"{path}/updates", json={"status": "done"}, headers=staff_headers)
    assert done.status_code == 200
    refused = client.post(f"{path}/updates", json={"status": "planned"}, headers=staff_headers)
    assert refused.status_code == 409 and "can go to in progress" in refused.json()["detail"]
    assert (
        client.post(f"{path}/measure/readings", json={"value": 5}, headers=staff_headers).status_code == 422
    )
    assert client.put(f"{path}/measure", json=ACTION["measure"], headers=staff_headers).status_code == 409
    assert client.get("/api/voice/actions/999999", headers=staff_headers).status_code == 404
    assert _written(places) == before + 1


def test_the_action_api_refuses_the_public_and_other_roles(
    client: TestClient, places: Session, staff_headers: dict[str, str], nurse_headers: dict[str, str]
) -> None:
    action_id = _create(client, staff_headers)["id"]
    routes = [
        ("GET", "/api/voice/actions", None),
        ("POST", "/api/voice/actions", ACTION),
        ("GET", f"/api/voice/actions/{action_id}", None),
        ("POST", f"/api/voice/actions/{action_id}/updates", {"note": "hello"}),
        ("POST", f"/api/voice/actions/{action_id}/publish", {}),
        ("PUT", f"/api/voice/actions/{action_id}/measure", ACTION["measure"]),
        ("POST", f"/api/voice/actions/{action_id}/measure/readings", {"value": 3, "source": "a board paper"}),
    ]
    for method, path, body in routes:
        assert client.request(method, path, json=body).status_code == 401, path
        assert client.request(method, path, json=body, headers=nurse_headers).status_code == 403, path
    assert _written(places) == 4  # the one action, its first update, its measure and the measure's reading


def _log_in(client: TestClient, session: Session, username: str, role: str) -> None:
    access.create_user(session, {"username": username, "role": role, "password": PASSWORD}, actor=None)
    session.commit()
    token = CSRF.search(client.get("/login").text)
    assert token is not None
    data = {"username": username, "password": PASSWORD, "next": "", "csrf_token": token.group(1)}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found is not None
    return found.group(1)


def test_staff_pages_record_and_move_an_action_through_forms(client: TestClient, places: Session) -> None:
    _log_in(client, places, "hw-pages", "healthwatch staff")
    form = {"title": "Extend the Oakham clinic's hours", "theme": "access", "owner": "RT5",
            "owner_role": "Head of Community Services", "due_on": DUE, "publish": "yes"}  # fmt: skip
    bad = client.post(
        "/voice/actions", data={**form, "due_on": "2001-01-01", "csrf_token": _csrf(client, "/voice/actions")}
    )
    assert bad.status_code == 422 and "There is a problem" in bad.text and "has passed" in bad.text
    assert _written(places) == 0
    made = client.post("/voice/actions", data={**form, "csrf_token": _csrf(client, "/voice/actions")},
                       follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    page = made.headers["location"].split("?")[0]
    token = _csrf(client, page)
    moved = client.post(
        f"{page}/update", data={"status": "done", "note": "Open until 8pm", "csrf_token": token}
    )
    assert moved.status_code == 200 and "Open until 8pm" in moved.text
    again = client.post(f"{page}/update", data={"status": "planned", "csrf_token": token})
    assert "There is a problem" in again.text and "not planned" in again.text
    measure = {
        "kind": "registry", "label": "Births at St Mary's", "desired": "up", "service": "st-marys-births",
        "baseline_on": "2020-01-01", "csrf_token": token,
    }  # fmt: skip
    assert "Did it make a difference?" in client.post(f"{page}/measure", data=measure).text


def test_staff_action_pages_send_the_public_to_log_in(client: TestClient, places: Session) -> None:
    for path in ("/voice/actions", "/voice/actions/1"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_public_page_shows_what_was_said_done_and_measured_and_nothing_private(
    client: TestClient, places: Session, staff_headers: dict[str, str], tell: Tell
) -> None:
    from joinedup.voice import service

    story = tell("I waited eleven hours in A&E with my dad.", about="lri")
    staff = access.principal_of(access.get_user(places, "hw-api"))  # type: ignore[arg-type]
    waiting = [ThemeChoice(theme="waiting", polarity="negative")]
    service.confirm_themes(places, story.reference, choices=waiting, actor=staff)
    service.publish(places, story.reference, actor=staff)
    concern = tell("Call me on 07700 900461 about my mum's ward.", about="lri", kind="concern",
                   contact={"email": "private@example.org"})  # fmt: skip
    action = _create(client, staff_headers, concern=concern.reference, publish=True)
    path = f"/api/voice/actions/{action['id']}"
    reading = {"on": "2025-10-01", "value": 900, "source": "UHL board papers"}
    client.post(f"{path}/measure/readings", json=reading, headers=staff_headers)
    internal = {"note": "Chief executive briefed privately", "public": False}
    client.post(f"{path}/updates", json=internal, headers=staff_headers)
    _create(client, staff_headers, title="A draft plan nobody has agreed")
    html = client.get("/voice/you-said-we-did").text
    assert "You said, we did" in html and "Waiting times" in html and "eleven hours" in html
    assert ACTION["title"] in html and "Chief Operating Officer" in html
    assert "Moved the way people wanted" in html and "<svg" in html and "1,200 people waiting" in html
    data = client.get("/voice/you-said-we-did.json").json()
    theme = next(t for t in data["themes"] if t["theme"] == "waiting")
    assert theme["stories"] == 1 and [a["title"] for a in theme["actions"]] == [ACTION["title"]]
    for shown in (html, str(data)):
        for secret in ("07700", "private@example.org", "Chief executive briefed", "draft plan", "hw-api",
                       concern.reference, "my mum"):  # fmt: skip
            assert secret not in shown
