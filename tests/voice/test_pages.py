"""Public voice pages without a browser: the form's errors, the thanks page, escaping, staff-only pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.voice.intake import FLOOD_LIMITS
from joinedup.voice.models import Feedback
from joinedup.voice.schemas import MAX_TEXT

from .conftest import Tell

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _form(client: TestClient) -> str:
    page = client.get("/voice")
    assert page.status_code == 200
    found = TOKEN.search(page.text)
    assert found
    return found.group(1)


def _send(client: TestClient, **fields: str) -> object:
    data = {
        "csrf_token": _form(client),
        "about": "lri",
        "kind": "feedback",
        "text": "",
        "rating": "",
        **fields,
    }
    return client.post("/voice", data=data)


def _stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Feedback)) or 0


def test_form_labels_every_field_and_lists_the_places(client: TestClient, places: Session) -> None:
    html = client.get("/voice").text
    for field in ("about", "text", "contact_name", "contact_email", "contact_phone"):
        assert f'for="{field}"' in html and f'id="{field}"' in html
    assert "Leicester Royal Infirmary" in html and '<optgroup label="Services">' in html
    assert 'name="website"' in html and "hidden" in html


def test_empty_story_shows_the_error_summary_and_stores_nothing(client: TestClient, places: Session) -> None:
    response = _send(client, text="   ")
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert "There is a problem" in html and 'href="#text"' in html and "Enter your feedback" in html
    assert _stored(places) == 0


def test_missing_place_and_oversize_story_are_both_explained(client: TestClient, places: Session) -> None:
    html = _send(client, about="", text="x" * (MAX_TEXT + 1)).text  # type: ignore[attr-defined]
    assert "Select the hospital, service or organisation" in html
    assert f"{MAX_TEXT:,} characters or fewer" in html
    assert _stored(places) == 0


def test_story_is_thanked_with_its_reference_and_redacted_text(client: TestClient, places: Session) -> None:
    response = _send(client, text="Nurse Adebayo was kind <script>alert(1)</script>", rating="5")
    html = response.text  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Thank you for your feedback" in html and "Adebayo" not in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert _stored(places) == 1


def test_form_without_its_csrf_token_is_refused(client: TestClient, places: Session) -> None:
    _form(client)
    response = client.post("/voice", data={"about": "lri", "text": "hello"})
    assert response.status_code in (400, 403)
    assert _stored(places) == 0


def test_honeypot_story_is_thanked_but_held(client: TestClient, places: Session) -> None:
    assert _send(client, text="great", website="http://spam.example").status_code == 200  # type: ignore[attr-defined]
    assert places.scalar(select(Feedback.status)) == "held"


def test_published_stories_page_escapes_and_shows_the_reply(
    client: TestClient, places: Session, tell: Tell, staff_headers: dict[str, str]
) -> None:
    reference = tell("<img src=x onerror=alert(1)> lovely staff").reference
    client.post(f"/api/voice/feedback/{reference}/publish", headers=staff_headers)
    client.post(
        f"/api/voice/feedback/{reference}/reply",
        headers=staff_headers,
        json={"responder": "UHL Patient Experience", "text": "Thank you, we told the ward."},
    )
    html = client.get("/voice/stories", params={"place": "lri"}).text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    assert "Reply from UHL Patient Experience" in html and "Thank you, we told the ward." in html


def test_staff_pages_send_the_public_to_log_in(client: TestClient, places: Session) -> None:
    for path in ("/voice/moderation", "/voice/trends", "/voice/report"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_flood_from_one_address_is_told_to_wait(client: TestClient, places: Session) -> None:
    limit = FLOOD_LIMITS[0][1]
    codes = [_send(client, text=f"story {i}").status_code for i in range(limit + 1)]  # type: ignore[attr-defined]
    assert codes == [200] * limit + [429]
    html = client.post("/voice", data={"csrf_token": _form(client), "about": "lri", "text": "again"}).text
    assert "There is a problem" in html and "Please wait" in html
    assert _stored(places) == limit
