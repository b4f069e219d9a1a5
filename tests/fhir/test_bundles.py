"""Transaction and batch Bundles at the base: urn:uuid references resolved; a transaction all or nothing."""

from collections.abc import Callable
from typing import Any

import record_builders as b
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.record.models import StoredResource

Headers = Callable[..., dict[str, str]]
PATIENT_URN = "urn:uuid:8f1e2a64-1f0e-4c3b-9a55-3d2f1c0b7e01"


def entry(resource: dict[str, Any], full_url: str | None = None, **request: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"], **request},
    }
    if full_url:
        item["fullUrl"] = full_url
    return item


def new_patient_bundle(kind: str = "transaction") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            entry(b.observation("placeholder") | {"subject": {"reference": PATIENT_URN}}),
            entry(b.patient(b.NUMBERS[0]), PATIENT_URN),
            entry(b.episode("placeholder", "uhl") | {"patient": {"reference": PATIENT_URN}}),
        ],
    }


def count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(StoredResource)) or 0)


def test_a_transaction_resolves_urn_uuid_references(client: TestClient, as_user: Headers) -> None:
    response = client.post("/fhir/r4", json=new_patient_bundle(), headers=as_user("gp-a"))
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in reply["entry"]]
    assert statuses == ["201 Created"] * 3
    patient_id = reply["entry"][1]["response"]["location"].split("/")[1]
    observation_id = reply["entry"][0]["response"]["location"].split("/")[1]
    observation = client.get(f"/fhir/r4/Observation/{observation_id}", headers=as_user("gp-a")).json()
    assert observation["subject"]["reference"] == f"Patient/{patient_id}"


def test_the_base_also_answers_with_a_trailing_slash(client: TestClient, as_user: Headers) -> None:
    assert client.post("/fhir/r4/", json=new_patient_bundle(), headers=as_user("gp-a")).status_code == 200


def test_a_transaction_with_one_bad_entry_stores_nothing(
    client: TestClient, as_user: Headers, fhir_db: Session
) -> None:
    bundle = new_patient_bundle()
    bundle["entry"][2]["resource"]["status"] = "open"
    response = client.post("/fhir/r4", json=bundle, headers=as_user("gp-a"))
    assert response.status_code == 422
    assert "Bundle.entry[2]" in response.json()["issue"][0]["diagnostics"]
    assert count(fhir_db) == 0


def test_a_reference_to_no_entry_fails_the_transaction(
    client: TestClient, as_user: Headers, fhir_db: Session
) -> None:
    bundle = new_patient_bundle()
    bundle["entry"][0]["resource"]["subject"]["reference"] = "urn:uuid:00000000-0000-4000-8000-000000000000"
    response = client.post("/fhir/r4", json=bundle, headers=as_user("gp-a"))
    assert response.status_code == 404 and count(fhir_db) == 0


def test_a_refused_entry_fails_the_transaction(
    client: TestClient, as_user: Headers, fhir_db: Session
) -> None:
    created = client.post("/fhir/r4/Patient", json=b.patient(b.NUMBERS[1]), headers=as_user("gp-a")).json()
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [entry(b.observation(created["id"])), entry(b.patient(b.NUMBERS[2]))],
    }
    response = client.post("/fhir/r4", json=bundle, headers=as_user("gp-b"))
    assert response.status_code == 403 and count(fhir_db) == 1


def test_conditional_create_inside_a_transaction_reuses_the_patient(
    client: TestClient, as_user: Headers
) -> None:
    h = as_user("gp-a")
    existing = client.post("/fhir/r4/Patient", json=b.patient(b.NUMBERS[0]), headers=h).json()["id"]
    bundle = new_patient_bundle()
    bundle["entry"][1]["request"]["ifNoneExist"] = f"identifier={b.NHS}|{b.NUMBERS[0]}"
    reply = client.post("/fhir/r4", json=bundle, headers=h).json()
    assert reply["entry"][1]["response"]["status"] == "200 OK"
    observation_id = reply["entry"][0]["response"]["location"].split("/")[1]
    observation = client.get(f"/fhir/r4/Observation/{observation_id}", headers=h).json()
    assert observation["subject"]["reference"] == f"Patient/{existing}"


def test_a_transaction_can_update_read_and_delete(client: TestClient, as_user: Headers) -> None:
    h = as_user("gp-a")
    pid = client.post("/fhir/r4/Patient", json=b.patient(b.NUMBERS[0]), headers=h).json()["id"]
    oid = client.post("/fhir/r4/Observation", json=b.observation(pid), headers=h).json()["id"]
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"request": {"method": "GET", "url": f"Patient/{pid}"}},
            {
                "resource": {**b.patient(b.NUMBERS[0], family="Jones"), "id": pid},
                "request": {"method": "PUT", "url": f"Patient/{pid}", "ifMatch": 'W/"1"'},
            },
            {"request": {"method": "DELETE", "url": f"Observation/{oid}"}},
        ],
    }
    reply = client.post("/fhir/r4", json=bundle, headers=h).json()
    assert [e["response"]["status"] for e in reply["entry"]] == ["200 OK", "200 OK", "204 No Content"]
    assert reply["entry"][0]["resource"]["name"][0]["family"] == "Jones"  # GETs run after PUTs


def test_a_batch_keeps_the_good_entries(client: TestClient, as_user: Headers, fhir_db: Session) -> None:
    bundle = new_patient_bundle("batch")
    bundle["entry"][2]["resource"]["status"] = "open"
    response = client.post("/fhir/r4", json=bundle, headers=as_user("gp-a"))
    assert response.status_code == 200
    statuses = [e["response"]["status"] for e in response.json()["entry"]]
    assert statuses[:2] == ["201 Created", "201 Created"] and statuses[2].startswith("422")
    assert response.json()["entry"][2]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert count(fhir_db) == 2


def test_only_transactions_and_batches_are_taken_at_the_base(client: TestClient, as_user: Headers) -> None:
    response = client.post(
        "/fhir/r4", json={"resourceType": "Bundle", "type": "collection"}, headers=as_user("gp-a")
    )
    assert (
        response.status_code == 400 and "transaction or batch" in response.json()["issue"][0]["diagnostics"]
    )
