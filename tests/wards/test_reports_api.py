"""The replay and time-to-acknowledge API and page: aggregate answers, refused without a token or the role."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

TODAY = datetime.now(UTC).date().isoformat()


def test_replay_api_takes_a_rules_document_and_answers_counts(
    client: TestClient, bearer, committed_world
) -> None:
    body = {
        "rules_toml": 'name = "p"\nversion = "1"\n[news2]\nurgent_total = 4\n',
        "from": TODAY,
        "to": TODAY,
    }
    assert client.post("/api/monitoring/replay", json=body).status_code == 401
    response = client.post("/api/monitoring/replay", json=body, headers=bearer("analyst"))
    assert response.status_code == 200, response.text
    assert response.json()["proposed"]["version_id"] == "p@1" and "NOT raised" in response.json()["note"]
    refused = client.post("/api/monitoring/replay", json=body, headers=bearer("gp"))
    assert refused.status_code == 403
    bad = client.post(
        "/api/monitoring/replay", json={**body, "rules_toml": "name = "}, headers=bearer("analyst")
    )
    assert bad.status_code == 422 and "TOML" in bad.json()["detail"]


def test_alerts_summary_api_and_page(client: TestClient, bearer, committed_world) -> None:
    assert client.get("/api/monitoring/alerts/summary").status_code == 401
    response = client.get("/api/monitoring/alerts/summary", headers=bearer("nurse"))
    assert response.status_code == 200 and response.json()["rows"] == []
    page = client.get("/wards/alerts-report", headers=bearer("nurse"))
    assert page.status_code == 200 and "Time to acknowledge alerts" in page.text
    refused = client.get("/wards/alerts-report", follow_redirects=False)
    assert refused.status_code in (401, 302, 303, 307) and "Time to acknowledge" not in refused.text


def test_replay_page_shows_the_form_then_the_counts_beside_live(
    client: TestClient, bearer, committed_world
) -> None:
    nurse = bearer("nurse")
    form = client.get("/wards/replay", headers=nurse)
    assert form.status_code == 200 and "stricter-example" in form.text
    toml = 'name = "p"\nversion = "3"\n[news2]\nurgent_total = 4\n'
    page = client.post("/wards/replay", data={"rules_toml": toml, "from": TODAY, "to": TODAY}, headers=nurse)
    assert page.status_code == 200 and "NOT raised" in page.text and "p@3" in page.text
    assert 'id="replay-by-nurse"' in page.text
    refused = client.post(
        "/wards/replay", data={"rules_toml": toml, "from": TODAY, "to": TODAY}, follow_redirects=False
    )
    assert refused.status_code in (401, 302, 303, 307, 403) and "NOT raised" not in refused.text


def test_a_nurse_admits_to_her_own_ward_over_the_api_but_not_to_another(
    client: TestClient, bearer, committed_world
) -> None:
    number = committed_world.nhs_numbers[4]
    payload = {"nhs_number": number, "pathway": "frailty"}
    other = client.post("/api/wards/vw-north/admissions", json=payload, headers=bearer("other-nurse"))
    assert other.status_code == 403 and "own team" in other.json()["detail"]
    own = client.post("/api/wards/vw-north/admissions", json=payload, headers=bearer("nurse"))
    assert own.status_code == 201, own.text
    episode = own.json()["episode_of_care_id"]
    assert client.get(f"/fhir/r4/EpisodeOfCare/{episode}", headers=bearer("nurse")).status_code == 200
    assert client.get(f"/fhir/r4/EpisodeOfCare/{episode}", headers=bearer("other-nurse")).status_code == 403
