"""The access JSON API and the bearer-token edge: 401 and 403 with a clear reason, every refusal audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from joinedup.access import service, tokens
from joinedup.access.models import AuditEntry
from joinedup.settings import Settings

from .conftest import MakeUser

Bearer = Callable[..., dict[str, str]]


@pytest.fixture
def bearer(make_user: MakeUser, organisations: Session, test_settings: Settings) -> Bearer:
    """Make a user and return the Authorization header of a fresh token for them."""

    def headers(
        username: str, role: str, org: str | None = None, scopes: list[str] | None = None, **extra: object
    ) -> dict[str, str]:
        make_user(username, role, org, **extra)
        token = service.issue_token(
            organisations, username=username, scopes=scopes, minutes=5, secret=test_settings.signing_key
        )
        organisations.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers


def audit_rows(sessions: sessionmaker[Session]) -> list[AuditEntry]:
    with sessions() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_a_token_identifies_its_caller_and_scopes(client: TestClient, bearer: Bearer) -> None:
    response = client.get(
        "/api/access/me", headers=bearer("gp1", "gp", "Y90001", scopes=["user/Observation.rs"])
    )
    assert response.status_code == 200
    assert response.json() == {
        "username": "gp1",
        "display_name": "gp1",
        "role": "gp",
        "organisation_ods": "Y90001",
        "scopes": ["user/Observation.rs"],
    }
    assert response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Basic Z3AxOnB3", "must be 'Bearer <token>'"),
        ("Bearer not-a-token", "malformed"),
        ("Bearer ", "must be 'Bearer <token>'"),
    ],
)
def test_a_bad_authorization_header_is_401_with_the_reason(
    client: TestClient, header: str, detail: str
) -> None:
    response = client.get("/api/access/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert detail in response.json()["detail"]


def test_expired_and_forged_tokens_are_refused_and_audited(
    client: TestClient, make_user: MakeUser, test_settings: Settings, sessions: sessionmaker[Session]
) -> None:
    make_user("gp1", "gp", "Y90001")
    scopes = ()
    expired = tokens.issue_access_token(
        secret=test_settings.signing_key,
        username="gp1",
        scopes=scopes,
        now=datetime.now(UTC) - timedelta(hours=2),
        lifetime=timedelta(minutes=5),
    )
    forged = tokens.issue_access_token(
        secret="not-the-server-secret-at-all-really",
        username="gp1",
        scopes=scopes,
        now=datetime.now(UTC),
        lifetime=timedelta(minutes=5),
    )
    for token, reason in ((expired, "expired"), (forged, "signature is not valid")):
        request_id = reason.replace(" ", "-")
        headers = {"Authorization": f"Bearer {token}", "X-Request-ID": request_id}
        response = client.get("/api/access/me", headers=headers)
        assert response.status_code == 401
        assert reason in response.json()["detail"]
        refusal = audit_rows(sessions)[-1]
        assert (refusal.event, refusal.outcome, refusal.request_id) == (
            "authentication",
            "refused",
            request_id,
        )
        assert reason in refusal.reason


def test_a_wrongly_scoped_token_is_403_and_audited(
    client: TestClient, bearer: Bearer, sessions: sessionmaker[Session]
) -> None:
    headers = bearer("po1", "privacy officer", scopes=["user/Observation.rs"])
    response = client.get("/api/access/audit", headers=headers)
    assert response.status_code == 403
    assert (
        response.json()["detail"]
        == "the token's scopes (user/Observation.rs) do not allow search of AuditEvent"
    )
    last = audit_rows(sessions)[-1]
    assert (last.username, last.outcome, last.event) == ("po1", "refused", "authorisation")


def test_only_the_privacy_officer_searches_the_audit_log(
    client: TestClient, bearer: Bearer, sessions: sessionmaker[Session]
) -> None:
    gp = client.get("/api/access/audit", headers=bearer("gp1", "gp", "Y90001"))
    assert gp.status_code == 403
    assert "only the privacy officer" in gp.json()["detail"]
    officer = client.get(
        "/api/access/audit", params={"outcome": "refused"}, headers=bearer("po1", "privacy officer")
    )
    assert officer.status_code == 200
    page = officer.json()
    assert page["total"] >= 1 and {e["outcome"] for e in page["items"]} == {"refused"}
    assert any(e["username"] == "gp1" and e["resource_type"] == "AuditEvent" for e in page["items"])


def test_an_audit_entry_is_served_as_a_valid_fhir_r4_audit_event(
    client: TestClient, bearer: Bearer, sessions: sessionmaker[Session]
) -> None:
    auditevent = pytest.importorskip("fhir.resources.R4B.auditevent")
    doctor = bearer("doc1", "hospital clinician", "RWE")
    client.get("/api/test/patients/9990000018", headers={**doctor, "X-Break-Glass-Reason": "cardiac arrest"})
    entry = next(e for e in reversed(audit_rows(sessions)) if e.break_glass)
    officer = bearer("po1", "privacy officer")
    resource = client.get(f"/api/access/audit/{entry.entry_id}/fhir", headers=officer).json()
    parsed = auditevent.AuditEvent.model_validate(resource)
    assert parsed.id == entry.entry_id and parsed.action == "R" and parsed.outcome == "0"
    assert resource["purposeOfEvent"][1]["coding"][0]["code"] == "BTG"
    assert resource["entity"][0]["what"]["identifier"] == {
        "system": "https://fhir.nhs.uk/Id/nhs-number",
        "value": "9990000018",
    }
    assert client.get("/api/access/audit/nope/fhir", headers=officer).status_code == 404


def test_break_glass_header_turns_a_403_into_an_audited_flagged_access(
    client: TestClient, bearer: Bearer, sessions: sessionmaker[Session]
) -> None:
    doctor = bearer("doc1", "hospital clinician", "RWE")
    refused = client.get("/api/test/patients/9990000018", headers=doctor)
    assert refused.status_code == 403
    assert "no legitimate relationship" in refused.json()["detail"]
    allowed = client.get(
        "/api/test/patients/9990000018",
        headers={**doctor, "X-Break-Glass-Reason": "Unconscious in ED", "X-Request-ID": "req-42"},
    )
    assert allowed.status_code == 200 and allowed.json() == {"break_glass": True}
    last = audit_rows(sessions)[-1]
    assert (last.break_glass, last.reason, last.request_id) == (
        True,
        "break-glass: Unconscious in ED",
        "req-42",
    )
    queue = client.get("/api/access/break-glass", headers=bearer("po1", "privacy officer"))
    assert [g["reason"] for g in queue.json()] == ["Unconscious in ED"]


def test_fhir_refusals_are_operation_outcomes(client: TestClient, bearer: Bearer) -> None:
    response = client.get("/fhir/test/patients/9990000018", headers=bearer("an1", "analyst"))
    assert response.status_code == 403
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "aggregates only" in body["issue"][0]["diagnostics"]
    assert client.get("/fhir/test/patients/9990000018").json()["resourceType"] == "OperationOutcome"


def test_the_privacy_officer_reviews_break_glass_through_the_api(client: TestClient, bearer: Bearer) -> None:
    client.get(
        "/api/test/patients/9990000018",
        headers={**bearer("doc1", "hospital clinician", "RWE"), "X-Break-Glass-Reason": "sepsis"},
    )
    officer = bearer("po1", "privacy officer")
    grant = client.get("/api/access/break-glass", headers=officer).json()[0]
    review = {"outcome": "justified", "note": "ED attendance confirmed"}
    done = client.post(f"/api/access/break-glass/{grant['id']}/review", json=review, headers=officer)
    assert done.status_code == 200 and done.json()["review_status"] == "justified"
    again = client.post(f"/api/access/break-glass/{grant['id']}/review", json=review, headers=officer)
    assert again.status_code == 409
    assert client.get("/api/access/break-glass", headers=officer).json() == []
    verify = client.get("/api/access/audit/verify", headers=officer).json()
    assert verify["intact"] is True and verify["entries"] > 0


def test_a_patient_reads_their_own_access_log_only(client: TestClient, bearer: Bearer) -> None:
    client.get("/api/test/patients/9990000018", headers=bearer("gp1", "gp", "Y90001"))
    mine = bearer("pt1", "patient", nhs_number="9990000018")
    response = client.get("/api/access/my-record/access", headers=mine)
    assert response.status_code == 200
    assert [e["username"] for e in response.json() if e["resource_type"] == "Patient"] == ["gp1"]
    other = client.get("/api/access/audit", params={"nhs_number": "9990000026"}, headers=mine)
    assert other.status_code == 403
    assert (
        client.get("/api/access/my-record/access", headers=bearer("gp2", "gp", "Y90001")).status_code == 403
    )
