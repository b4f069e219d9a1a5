"""Public voice over HTTP: an open door for stories, 4xx for bad input, staff routes closed to others."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.voice.intake import FLOOD_LIMITS
from joinedup.voice.models import Feedback
from joinedup.voice.schemas import MAX_TEXT


def _stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Feedback)) or 0


def test_feedback_needs_no_login_and_answers_with_the_redacted_record(
    client: TestClient, places: Session
) -> None:
    response = client.post(
        "/api/voice/feedback",
        json={
            "text": "Dr Patel was kind. My NHS number is 943 476 5919.",
            "about": "RWE",
            "rating": 5,
            "contact": {"email": "jo@example.org"},
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["text"] == "Dr [name] was kind. My NHS number is [NHS number]."
    assert body["about"] == {
        "kind": "organisation",
        "id": "uhl",
        "name": "University Hospitals of Leicester NHS Trust",
        "ods_code": "RWE",
    }
    assert "jo@example.org" not in response.text
    assert _stored(places) == 1


def test_bad_feedback_gets_a_4xx_and_nothing_is_stored(client: TestClient, places: Session) -> None:
    bad = [
        {"text": "", "about": "lri"},
        {"text": "   ", "about": "lri"},
        {"text": "x" * (MAX_TEXT + 1), "about": "lri"},
        {"text": "fine", "about": "nowhere"},
        {"text": "fine"},
        {"text": "fine", "about": "lri", "rating": 6},
        {"text": "fine", "about": "lri", "admin": True},
        {"text": "fine", "about": "lri", "contact": {"email": "not an email"}},
    ]
    for body in bad:
        response = client.post("/api/voice/feedback", json=body)
        assert response.status_code == 422, body
        assert response.json()["detail"]
    assert _stored(places) == 0


def test_script_in_a_story_comes_back_as_text(client: TestClient, places: Session) -> None:
    text = "<script>alert(1)</script><b>bold</b> the ward"
    assert client.post("/api/voice/feedback", json={"text": text, "about": "lri"}).json()["text"] == text


def test_a_flood_from_one_address_gets_429(client: TestClient, places: Session) -> None:
    limit = FLOOD_LIMITS[0][1]
    codes = [
        client.post("/api/voice/feedback", json={"text": "ok", "about": "lri"}).status_code
        for _ in range(limit + 1)
    ]
    assert codes == [201] * limit + [429]
    assert _stored(places) == limit


def test_staff_routes_refuse_the_public_and_other_roles(
    client: TestClient, places: Session, staff_headers: dict[str, str], nurse_headers: dict[str, str]
) -> None:
    reference = client.post("/api/voice/feedback", json={"text": "ok", "about": "lri"}).json()["reference"]
    for method, path in [
        ("get", "/api/voice/moderation"),
        ("post", f"/api/voice/feedback/{reference}/publish"),
        ("get", f"/api/voice/feedback/{reference}/private"),
    ]:
        assert client.request(method, path, json={} if method == "post" else None).status_code == 401
        assert client.request(method, path, headers=nurse_headers).status_code == 403
        assert client.request(method, path, headers=staff_headers).status_code == 200


def test_published_story_and_reply_are_public(
    client: TestClient, places: Session, staff_headers: dict[str, str]
) -> None:
    reference = client.post("/api/voice/feedback", json={"text": "Kind nurses", "about": "lri"}).json()[
        "reference"
    ]
    assert client.get(f"/api/voice/stories/{reference}").status_code == 404
    assert client.post(f"/api/voice/feedback/{reference}/publish", headers=staff_headers).status_code == 200
    reply = {"responder": "UHL Patient Experience", "text": "Thank you, we have told the ward."}
    assert (
        client.post(f"/api/voice/feedback/{reference}/reply", json=reply, headers=staff_headers).status_code
        == 200
    )
    story = client.get(f"/api/voice/stories/{reference}").json()
    assert story["reply"]["text"] == "Thank you, we have told the ward."
    assert [s["reference"] for s in client.get("/api/voice/stories", params={"place": "lri"}).json()] == [
        reference
    ]


def test_themes_are_confirmed_and_unknown_themes_refused(
    client: TestClient, places: Session, staff_headers: dict[str, str]
) -> None:
    reference = client.post("/api/voice/feedback", json={"text": "Long wait", "about": "lri"}).json()[
        "reference"
    ]
    path = f"/api/voice/feedback/{reference}/themes"
    bad = client.put(
        path, json={"themes": [{"theme": "weather", "polarity": "negative"}]}, headers=staff_headers
    )
    assert bad.status_code == 422
    good = client.put(
        path, json={"themes": [{"theme": "waiting", "polarity": "negative"}]}, headers=staff_headers
    )
    assert ("waiting", "negative", "confirmed") in {
        (t["theme"], t["polarity"], t["status"]) for t in good.json()["themes"]
    }


def test_board_report_api_needs_dates_and_a_known_organisation(
    client: TestClient, places: Session, staff_headers: dict[str, str]
) -> None:
    ok = client.get(
        "/api/voice/report",
        params={"org": "RWE", "from": "2025-01-01", "to": "2025-12-31"},
        headers=staff_headers,
    )
    assert ok.status_code == 200 and ok.json()["organisation"]["ods_code"] == "RWE"
    assert (
        client.get(
            "/api/voice/report",
            params={"org": "ZZZ", "from": "2025-01-01", "to": "2025-12-31"},
            headers=staff_headers,
        ).status_code
        == 404
    )
    assert (
        client.get(
            "/api/voice/report",
            params={"org": "RWE", "from": "2025-12-31", "to": "2025-01-01"},
            headers=staff_headers,
        ).status_code
        == 422
    )
