"""Honest NEWS2 on the pages: a partial set says what is missing, an old one says it is stale, on the caseload
board and on the patient's page; never a plain total."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from wards_world import observation


def test_board_and_patient_page_show_partial_and_stale_scores(
    client: TestClient, bearer, committed_world
) -> None:
    gp, nurse = bearer("gp"), bearer("nurse")
    number = committed_world.nhs_numbers[0]
    since = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    admission = {"nhs_number": number, "pathway": "covid-19", "admitted_at": since}
    assert client.post("/api/wards/vw-north/admissions", json=admission, headers=gp).status_code == 201
    device = {"value": "kit-honest", "nhs_number": number}
    assert client.post("/api/monitoring/devices", json=device, headers=nurse).status_code == 201
    old = datetime.now(UTC) - timedelta(hours=30)  # COVID-19 readings are expected every 12 hours
    reading = observation(number, "pulse", 95, at=old, device="kit-honest")
    assert client.post("/api/monitoring/readings", json=reading, headers=nurse).status_code == 201
    for url in ("/wards/teams/vw-north/rows", f"/wards/patients/{number}"):
        page = client.get(url, headers=nurse)
        assert page.status_code == 200, url
        assert 'data-news2="partial"' in page.text and 'data-news2="complete"' not in page.text
        assert 'data-stale="true"' in page.text and "stale: 30 h old" in page.text
        assert "missing: respiration rate" in page.text
