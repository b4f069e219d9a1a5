"""The record pages over HTTP (bearer tokens stand in for a signed-in browser): find, record, consent."""

from collections.abc import Callable

import pytest
import record_builders as b
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.record import service
from joinedup.settings import Settings

Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def as_user(db: Session, test_settings: Settings) -> Headers:
    for username, role, ods in (("gp-a", "gp", "Y90001"), ("clinician", "hospital clinician", "RWE")):
        access.create_user(db, {"username": username, "role": role, "organisation_ods": ods}, actor=None)
    pid = service.create(
        db, actor=b.actor("gp_a"), body=b.patient(b.NUMBERS[0], family="Khan")
    ).version.resource_id
    service.create_many(
        db,
        actor=b.actor("gp_a"),
        bodies=[b.observation(pid, value=v, when=f"2024-05-0{v % 9 + 1}T10:00:00Z") for v in (70, 80, 90)],
    )
    db.commit()

    def headers(username: str) -> dict[str, str]:
        token = access.issue_token(
            db, username=username, scopes=None, minutes=10, secret=test_settings.signing_key
        )
        db.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers


def test_find_a_patient_by_name(client: TestClient, as_user: Headers) -> None:
    page = client.get("/record", params={"q": "kha"}, headers=as_user("gp-a"))
    assert page.status_code == 200
    assert "1 patient found" in page.text and f"/record/patients/{b.NUMBERS[0]}" in page.text


def test_the_record_page_shows_the_timeline_and_a_chart_per_vital_sign(
    client: TestClient, as_user: Headers
) -> None:
    page = client.get(f"/record/patients/{b.NUMBERS[0]}", headers=as_user("gp-a"))
    assert page.status_code == 200
    assert 'id="chart-8867-4"' in page.text and "/static/plotly.min.js" in page.text
    assert "Shared across the ICS" in page.text


def test_a_clinician_without_relationship_sees_why_and_may_break_glass(
    client: TestClient, as_user: Headers
) -> None:
    headers = as_user("clinician")
    refused = client.get(f"/record/patients/{b.NUMBERS[0]}", headers=headers)
    assert refused.status_code == 403 and "No legitimate relationship" in refused.text
    assert 'name="reason"' in refused.text
    empty = client.post(
        "/record/break-glass", data={"nhs_number": b.NUMBERS[0], "reason": " "}, headers=headers
    )
    assert empty.status_code == 422 and "Enter the reason" in empty.text
    opened = client.post(
        "/record/break-glass",
        data={"nhs_number": b.NUMBERS[0], "reason": "in ED"},
        headers=headers,
        follow_redirects=False,
    )
    assert opened.status_code == 303
    assert client.get(opened.headers["location"], headers=headers).status_code == 200


def test_recording_an_opt_out_on_the_page(client: TestClient, as_user: Headers) -> None:
    headers = as_user("gp-a")
    done = client.post(
        f"/record/patients/{b.NUMBERS[0]}/consent",
        data={"choice": "opt-out"},
        headers=headers,
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Opted out of sharing" in client.get(f"/record/patients/{b.NUMBERS[0]}", headers=headers).text
    bad = client.post(f"/record/patients/{b.NUMBERS[0]}/consent", data={"choice": "maybe"}, headers=headers)
    assert bad.status_code == 422


def test_pages_need_a_signed_in_user(client: TestClient, as_user: Headers) -> None:
    assert client.get("/record", follow_redirects=False).status_code == 303
