"""The virtual-ward and monitoring HTTP API, as DESIGN.md names it: wards with beds and occupied, admissions
by NHS number and pathway, readings as FHIR Observations, alerts as JSON and as FHIR Flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from wards_world import observation

AT = datetime.now(UTC) - timedelta(minutes=20)


def admit(
    client: TestClient,
    headers: dict[str, str],
    number: str,
    ward: str = "vw-north",
    pathway: str = "covid-19",
):
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    payload = {"nhs_number": number, "pathway": pathway, "admitted_at": since}
    return client.post(f"/api/wards/{ward}/admissions", json=payload, headers=headers)


def test_get_wards_lists_each_ward_with_id_name_beds_and_occupied(client: TestClient, bearer) -> None:
    response = client.get("/api/wards", headers=bearer("analyst"))
    assert response.status_code == 200
    wards = {w["id"]: w for w in response.json()}
    assert {k: wards["vw-north"][k] for k in ("id", "name", "beds", "occupied")} == {
        "id": "vw-north",
        "name": "Virtual ward north",
        "beds": 50,
        "occupied": 0,
    }


def test_no_token_is_401(client: TestClient, committed_world) -> None:
    assert client.get("/api/wards").status_code == 401
    assert client.get("/api/monitoring/alerts").status_code == 401


def test_post_admission_then_occupied_counts_it(client: TestClient, bearer, committed_world) -> None:
    gp = bearer("gp")
    response = admit(client, gp, committed_world.nhs_numbers[0])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["ward_id"] == "vw-north" and body["pathway"] == "covid-19" and body["episode_of_care_id"]
    wards = {w["id"]: w for w in client.get("/api/wards", headers=gp).json()}
    assert wards["vw-north"]["occupied"] == 1


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        ({"nhs_number": "1234567890", "pathway": "frailty"}, 422, "not a valid NHS number"),
        ({"nhs_number": "9434765919", "pathway": "gout"}, 422, "unknown pathway"),
        ({"nhs_number": "9434765919", "pathway": "frailty"}, 404, "no patient"),
    ],
)
def test_bad_admissions_get_a_clear_detail(
    client: TestClient, bearer, payload: dict, status: int, words: str
) -> None:
    response = client.post("/api/wards/vw-north/admissions", json=payload, headers=bearer("gp"))
    assert response.status_code == status and words in response.json()["detail"]


def test_readings_in_alerts_out_as_json_and_fhir_flags(client: TestClient, bearer, committed_world) -> None:
    gp, nurse = bearer("gp"), bearer("nurse")
    number = committed_world.nhs_numbers[0]
    assert admit(client, gp, number).status_code == 201
    device = {"value": "kit-api", "nhs_number": number}
    assert client.post("/api/monitoring/devices", json=device, headers=nurse).status_code == 201
    reading = observation(number, "spo2", 90, at=AT, device="kit-api")
    first = client.post("/api/monitoring/readings", json=reading, headers=nurse)
    again = client.post("/api/monitoring/readings", json=reading, headers=nurse)
    assert (first.status_code, again.status_code) == (201, 200)
    assert (
        again.json()["status"] == "duplicate"
        and again.json()["observation_id"] == first.json()["observation_id"]
    )
    alerts = client.get("/api/monitoring/alerts", headers=nurse).json()
    assert {a["rule_id"] for a in alerts} == {"covid_oximetry.spo2_low", "news2.single_parameter"}
    flags = client.get("/api/monitoring/flags", headers=nurse)
    assert flags.headers["content-type"].startswith("application/fhir+json")
    assert {e["resource"]["resourceType"] for e in flags.json()["entry"]} == {"Flag"}
    alert_id = next(a["id"] for a in alerts if a["severity"] == "emergency")
    escalated = client.post(
        f"/api/monitoring/alerts/{alert_id}/escalate", json={"to": "999-advice"}, headers=nurse
    )
    assert escalated.status_code == 200 and escalated.json()["status"] == "escalated"
    assert client.get("/api/monitoring/alerts", headers=bearer("other-nurse")).json() == []


def test_a_rejected_reading_is_422_with_the_reason(client: TestClient, bearer, committed_world) -> None:
    gp = bearer("gp")
    number = committed_world.nhs_numbers[1]
    reading = observation(number, "temperature", 98.6, at=AT, unit="[degF]")
    response = client.post("/api/monitoring/readings", json=reading, headers=gp)
    assert response.status_code == 422 and "not on a virtual ward" in response.json()["detail"]
    future = observation(number, "pulse", 70, at=datetime.now(UTC) + timedelta(hours=1))
    assert "future" in client.post("/api/monitoring/readings", json=future, headers=gp).json()["detail"]
    broken = client.post(
        "/api/monitoring/readings", content=b"{not json", headers={**gp, "content-type": "application/json"}
    )
    assert broken.status_code == 400
