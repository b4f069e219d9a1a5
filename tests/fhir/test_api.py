"""The FHIR R4 REST surface over HTTP: statuses, headers, OperationOutcomes, paging links, the base rules."""

import json
from collections.abc import Callable

import pytest
import record_builders as b
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.record.models import StoredResource

Headers = Callable[..., dict[str, str]]
BASE = "/fhir/r4"


def create_patient(client: TestClient, headers: dict[str, str], number: str = b.NUMBERS[0], **kw: str) -> str:
    response = client.post(f"{BASE}/Patient", json=b.patient(number, **kw), headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def issue(response: object) -> str:
    body = response.json()  # type: ignore[attr-defined]
    assert body["resourceType"] == "OperationOutcome"
    return str(body["issue"][0]["diagnostics"])


def test_metadata_is_public_and_says_fhir_4_0_1(client: TestClient) -> None:
    response = client.get(f"{BASE}/metadata")
    body = response.json()
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "application/fhir+json"
    )
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"
    types = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert {
        "Patient",
        "Observation",
        "Encounter",
        "EpisodeOfCare",
        "CareTeam",
        "Consent",
        "Flag",
        "Organization",
        "Location",
    } <= set(types)
    patient_params = {p["name"] for p in types["Patient"]["searchParam"]}
    assert {
        "identifier",
        "name",
        "family",
        "given",
        "birthdate",
        "gender",
        "general-practitioner",
    } <= patient_params
    assert {"patient", "subject", "code", "category", "date"} <= {
        p["name"] for p in types["Observation"]["searchParam"]
    }
    assert "_total=accurate" in body["rest"][0]["documentation"]  # when Bundle.total is given


def test_no_token_is_401_as_an_operation_outcome(client: TestClient, fhir_db: Session) -> None:
    response = client.get(f"{BASE}/Patient")
    assert response.status_code == 401
    assert "Bearer" in issue(response)


def test_create_answers_201_with_location_etag_and_last_modified(
    client: TestClient, as_user: Headers
) -> None:
    response = client.post(f"{BASE}/Patient", json=b.patient(b.NUMBERS[0]), headers=as_user("gp-a"))
    pid = response.json()["id"]
    assert response.status_code == 201
    assert response.headers["location"].endswith(f"{BASE}/Patient/{pid}/_history/1")
    assert response.headers["etag"] == 'W/"1"' and "GMT" in response.headers["last-modified"]


def test_conditional_create_returns_the_existing_patient(client: TestClient, as_user: Headers) -> None:
    h = as_user("gp-a")
    pid = create_patient(client, h)
    again = client.post(
        f"{BASE}/Patient",
        json=b.patient(b.NUMBERS[0]),
        headers={**h, "If-None-Exist": f"identifier={b.NHS}|{b.NUMBERS[0]}"},
    )
    assert again.status_code == 200 and again.json()["id"] == pid


def test_conditional_create_matching_more_than_a_page_names_how_many(
    client: TestClient, as_user: Headers
) -> None:
    h = as_user("gp-a")
    pid = create_patient(client, h)
    for minute in range(22):  # more than the 20 of a default page
        reading = b.observation(pid, when=f"2024-05-01T10:{minute:02d}:00Z")
        assert client.post(f"{BASE}/Observation", json=reading, headers=h).status_code == 201
    again = client.post(
        f"{BASE}/Observation",
        json=b.observation(pid, when="2024-05-02T10:00:00Z"),
        headers={**h, "If-None-Exist": f"patient={pid}"},
    )
    assert again.status_code == 412 and "matched 22 resources" in issue(again)


def test_update_with_if_match_then_vread_and_history(client: TestClient, as_user: Headers) -> None:
    h = as_user("gp-a")
    pid = create_patient(client, h)
    body = {**b.patient(b.NUMBERS[0], family="Jones"), "id": pid}
    updated = client.put(f"{BASE}/Patient/{pid}", json=body, headers={**h, "If-Match": 'W/"1"'})
    assert updated.status_code == 200 and updated.headers["etag"] == 'W/"2"'
    stale = client.put(f"{BASE}/Patient/{pid}", json=body, headers={**h, "If-Match": 'W/"1"'})
    assert stale.status_code == 412 and "version 2" in issue(stale)
    old = client.get(f"{BASE}/Patient/{pid}/_history/1", headers=h)
    assert old.json()["name"][0]["family"] == "Smith"
    history = client.get(f"{BASE}/Patient/{pid}/_history", headers=h).json()
    assert history["type"] == "history" and [
        e["resource"]["meta"]["versionId"] for e in history["entry"]
    ] == ["2", "1"]


def test_vread_of_a_non_ascii_digit_version_is_404_not_500(client: TestClient, as_user: Headers) -> None:
    # "²" passes str.isdigit() but int() refuses it; found by schemathesis.
    h = as_user("gp-a")
    pid = create_patient(client, h)
    answer = client.get(f"{BASE}/Patient/{pid}/_history/²", headers=h)
    assert answer.status_code == 404
    assert answer.json()["resourceType"] == "OperationOutcome"


def test_delete_then_read_is_410(client: TestClient, as_user: Headers) -> None:
    h = as_user("gp-a")
    pid = create_patient(client, h)
    oid = client.post(f"{BASE}/Observation", json=b.observation(pid), headers=h).json()["id"]
    assert client.delete(f"{BASE}/Observation/{oid}", headers=h).status_code == 204
    assert client.get(f"{BASE}/Observation/{oid}", headers=h).status_code == 410


@pytest.mark.parametrize(
    ("content", "status", "named"),
    [
        (b'{"resourceType": "Patient", ', 400, "not valid JSON"),
        (b'{"resourceType": "Observation"}', 400, "does not match the endpoint"),
        (b'{"resourceType": "Patient", "colour": "blue"}', 422, "Patient.colour: unknown element"),
        (json.dumps(b.patient("9990000017")).encode(), 422, "not a valid NHS number"),
        (
            json.dumps(b.patient("9990000018", practice="nowhere")).encode(),
            404,
            "Organization/nowhere does not exist",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_problem_and_nothing_is_stored(
    client: TestClient, as_user: Headers, fhir_db: Session, content: bytes, status: int, named: str
) -> None:
    response = client.post(f"{BASE}/Patient", content=content, headers=as_user("gp-a"))
    assert response.status_code == status
    assert named in issue(response)
    assert fhir_db.scalar(select(func.count()).select_from(StoredResource)) == 0


def test_another_practice_gets_403_unless_a_clinician_breaks_glass(
    client: TestClient, as_user: Headers
) -> None:
    pid = create_patient(client, as_user("gp-a"))
    refused = client.get(f"{BASE}/Patient/{pid}", headers=as_user("clinician"))
    assert refused.status_code == 403 and "break glass" in issue(refused)
    allowed = client.get(
        f"{BASE}/Patient/{pid}", headers=as_user("clinician", **{"X-Break-Glass-Reason": "ED"})
    )
    assert allowed.status_code == 200


def _patient_with_five_readings(client: TestClient, h: dict[str, str]) -> str:
    """A new patient with five Observations a minute apart (2024-05-01 10:00 to 10:04); their id."""
    pid = create_patient(client, h)
    for minute in range(5):
        client.post(
            f"{BASE}/Observation", json=b.observation(pid, when=f"2024-05-01T10:0{minute}:00Z"), headers=h
        )
    return pid


def test_search_pages_with_next_links(client: TestClient, as_user: Headers) -> None:
    h = as_user("gp-a")
    pid = _patient_with_five_readings(client, h)
    page = client.get(
        f"{BASE}/Observation", params={"patient": pid, "_count": 2, "_sort": "-date"}, headers=h
    ).json()
    # Bundle.total is optional: not counted unless asked, so the first page has no total and no last link.
    assert "total" not in page and len(page["entry"]) == 2
    assert {link["relation"] for link in page["link"]} == {"self", "first", "next"}
    seen = [e["resource"]["effectiveDateTime"] for e in page["entry"]]
    while following := next((link["url"] for link in page["link"] if link["relation"] == "next"), None):
        page = client.get(following.replace("http://testserver", ""), headers=h).json()
        seen += [e["resource"]["effectiveDateTime"] for e in page["entry"]]
    assert seen == sorted(seen, reverse=True) and len(seen) == 5
    assert page["total"] == 5  # the last page shows it


def test_total_accurate_gives_the_total_and_the_last_link(client: TestClient, as_user: Headers) -> None:
    h = as_user("gp-a")
    pid = _patient_with_five_readings(client, h)
    params = {"patient": pid, "_count": 2, "_sort": "-date", "_total": "accurate"}
    page = client.get(f"{BASE}/Observation", params=params, headers=h).json()
    assert page["total"] == 5 and len(page["entry"]) == 2
    last = next(link["url"] for link in page["link"] if link["relation"] == "last")
    assert "_offset=4" in last
    wrong = client.get(f"{BASE}/Observation", params={**params, "_total": "some"}, headers=h)
    assert wrong.status_code == 400 and "_total" in issue(wrong)


def test_an_unknown_search_parameter_is_400_unless_lenient(client: TestClient, as_user: Headers) -> None:
    h = as_user("gp-a")
    strict = client.get(f"{BASE}/Patient", params={"colour": "blue"}, headers=h)
    assert strict.status_code == 400 and "colour" in issue(strict)
    lenient = client.get(
        f"{BASE}/Patient", params={"colour": "blue"}, headers={**h, "Prefer": "handling=lenient"}
    )
    assert lenient.status_code == 200


def test_prefer_return_minimal_sends_no_body(client: TestClient, as_user: Headers) -> None:
    response = client.post(
        f"{BASE}/Patient",
        json=b.patient(b.NUMBERS[0]),
        headers={**as_user("gp-a"), "Prefer": "return=minimal"},
    )
    assert response.status_code == 201 and response.content == b""


def test_organization_is_a_view_of_the_registry(client: TestClient, as_user: Headers) -> None:
    h = as_user("gp-a")
    org = client.get(f"{BASE}/Organization/uhl", headers=h).json()
    assert org["identifier"] == [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RWE"}]
    found = client.get(f"{BASE}/Organization", params={"identifier": "Y90001"}, headers=h).json()
    assert [e["resource"]["id"] for e in found["entry"]] == ["demo-practice-a"]
    site = client.get(f"{BASE}/Location/lri", headers=h).json()
    assert site["managingOrganization"]["reference"] == "Organization/uhl"
    write = client.post(f"{BASE}/Organization", json={"resourceType": "Organization"}, headers=h)
    assert write.status_code == 405


def test_an_unknown_resource_type_is_404(client: TestClient, as_user: Headers) -> None:
    response = client.get(f"{BASE}/Medication/x", headers=as_user("gp-a"))
    assert response.status_code == 404


def test_the_privacy_officer_reads_the_audit_log_as_audit_events(
    client: TestClient, as_user: Headers
) -> None:
    pid = create_patient(client, as_user("gp-a"))
    client.get(f"{BASE}/Patient/{pid}", headers=as_user("gp-b"))  # refused, and audited
    found = client.get(
        f"{BASE}/AuditEvent", params={"patient": f"Patient/{pid}", "outcome": "4"}, headers=as_user("privacy")
    ).json()
    assert found["total"] >= 1
    event = found["entry"][0]["resource"]
    assert event["resourceType"] == "AuditEvent" and event["outcome"] == "4"
    one = client.get(f"{BASE}/AuditEvent/{event['id']}", headers=as_user("privacy"))
    assert one.status_code == 200 and one.json()["id"] == event["id"]


def test_a_patient_sees_who_looked_at_their_record_but_a_gp_may_not_read_the_log(
    client: TestClient, as_user: Headers
) -> None:
    pid = create_patient(client, as_user("gp-a"))
    mine = client.get(f"{BASE}/AuditEvent", params={"patient": pid}, headers=as_user("patient-a"))
    assert mine.status_code == 200 and mine.json()["total"] >= 1
    assert client.get(f"{BASE}/AuditEvent", headers=as_user("gp-a")).status_code == 403
