"""A device reading POSTed to the FHIR API for a patient on a virtual ward goes through monitoring, exactly as
an MQTT reading does: rules run, alerts are raised, a retry is stored once; other Observations are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from wards_world import observation

AT = datetime.now(UTC) - timedelta(minutes=20)
FHIR = {"Content-Type": "application/fhir+json"}


def on_ward_with_kit(client: TestClient, bearer, number: str, kit: str = "kit-fhir") -> None:
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    payload = {"nhs_number": number, "pathway": "covid-19", "admitted_at": since}
    assert (
        client.post("/api/wards/vw-north/admissions", json=payload, headers=bearer("gp")).status_code == 201
    )
    device = {"value": kit, "nhs_number": number}
    assert client.post("/api/monitoring/devices", json=device, headers=bearer("nurse")).status_code == 201


def test_a_fhir_device_reading_runs_the_rules_and_a_retry_is_stored_once(
    client: TestClient, bearer, committed_world
) -> None:
    number, nurse = committed_world.nhs_numbers[0], bearer("nurse")
    on_ward_with_kit(client, bearer, number)
    reading = observation(number, "spo2", 90, at=AT, device="kit-fhir")
    first = client.post("/fhir/r4/Observation", json=reading, headers={**nurse, **FHIR})
    again = client.post("/fhir/r4/Observation", json=reading, headers={**nurse, **FHIR})
    assert (first.status_code, again.status_code) == (201, 200), first.text
    body = first.json()
    assert body["resourceType"] == "Observation" and body["id"] == again.json()["id"]
    assert first.headers["location"].endswith(f"/Observation/{body['id']}/_history/1")
    alerts = client.get("/api/monitoring/alerts", headers=nurse).json()
    assert {a["rule_id"] for a in alerts} == {"covid_oximetry.spo2_low", "news2.single_parameter"}
    assert all(a["occurrences"] == 1 for a in alerts)
    read = client.get(f"/fhir/r4/Observation/{body['id']}", headers=nurse)
    assert read.status_code == 200 and read.json()["device"]["identifier"]["value"] == "kit-fhir"


def test_a_fhir_reading_from_a_device_not_issued_to_the_patient_is_refused_with_the_reason(
    client: TestClient, bearer, committed_world
) -> None:
    number = committed_world.nhs_numbers[1]
    on_ward_with_kit(client, bearer, number, kit="kit-own")
    reading = observation(number, "spo2", 90, at=AT, device="kit-stranger")
    response = client.post("/fhir/r4/Observation", json=reading, headers={**bearer("nurse"), **FHIR})
    assert response.status_code == 422
    assert response.json()["resourceType"] == "OperationOutcome" and "unknown device" in response.text
    assert client.get("/api/monitoring/alerts", headers=bearer("nurse")).json() == []


def test_an_observation_of_a_patient_not_on_a_ward_is_stored_by_the_record_without_rules(
    client: TestClient, bearer, committed_world
) -> None:
    number = committed_world.nhs_numbers[2]
    reading = observation(number, "spo2", 85, at=AT, device="clinic-oximeter")
    reading["subject"] = {"reference": f"Patient/{committed_world.patient_ids[number]}"}
    response = client.post("/fhir/r4/Observation", json=reading, headers={**bearer("gp"), **FHIR})
    assert response.status_code == 201, response.text
    assert client.get("/api/monitoring/alerts", headers=bearer("nurse")).json() == []


def _bundle(*readings: dict, kind: str = "transaction") -> dict:
    entries = [{"request": {"method": "POST", "url": "Observation"}, "resource": r} for r in readings]
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def test_device_readings_in_a_transaction_bundle_run_the_rules_and_a_retry_is_stored_once(
    client: TestClient, bearer, committed_world
) -> None:
    number, nurse = committed_world.nhs_numbers[3], bearer("nurse")
    on_ward_with_kit(client, bearer, number, kit="kit-bundle")
    low = observation(number, "spo2", 90, at=AT, device="kit-bundle")
    pulse = observation(number, "pulse", 72, at=AT, device="kit-bundle")
    first = client.post("/fhir/r4", json=_bundle(low, pulse), headers={**nurse, **FHIR})
    assert first.status_code == 200, first.text
    assert [e["response"]["status"][:3] for e in first.json()["entry"]] == ["201", "201"]
    alerts = client.get("/api/monitoring/alerts", headers=nurse).json()
    assert "covid_oximetry.spo2_low" in {a["rule_id"] for a in alerts}
    again = client.post("/fhir/r4", json=_bundle(low), headers={**nurse, **FHIR})
    assert again.json()["entry"][0]["response"]["status"][:3] == "200"
    assert again.json()["entry"][0]["response"]["etag"] == first.json()["entry"][0]["response"]["etag"]


def test_a_refused_reading_fails_its_whole_transaction_bundle(
    client: TestClient, bearer, committed_world
) -> None:
    number, nurse = committed_world.nhs_numbers[4], bearer("nurse")
    on_ward_with_kit(client, bearer, number, kit="kit-own-2")
    good = observation(number, "pulse", 72, at=AT, device="kit-own-2")
    stranger = observation(number, "spo2", 90, at=AT, device="kit-stranger-2")
    response = client.post("/fhir/r4", json=_bundle(good, stranger), headers={**nurse, **FHIR})
    assert response.status_code == 422 and "unknown device" in response.text
    patient = committed_world.patient_ids[number]
    count = {"patient": patient, "_summary": "count"}
    stored = client.get("/fhir/r4/Observation", params=count, headers=nurse)
    assert stored.json()["total"] == 0  # the good reading went with the refused one
    assert client.get("/api/monitoring/alerts", headers=nurse).json() == []
