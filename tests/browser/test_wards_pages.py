"""The virtual-ward pages in Chromium over the demo: the virtual hospital at a glance, a nurse's caseload
board with honest NEWS2 that updates itself when a reading arrives, and a patient's page with charts and
the alert forms."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

pytestmark = pytest.mark.browser

Page = Any
PASSWORD = "demo-password"


def log_in(page: Page, server: str, username: str, target: str) -> None:
    page.goto(f"{server}/login?next={target}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"**{target}")


def spo2_reading(nhs_number: str, percent: int) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "59408-5"}]},
        "subject": {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs_number}},
        "effectiveDateTime": now,
        "valueQuantity": {"value": percent, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"},
        "device": {
            "identifier": {"system": "https://fhir.joinedup.example/Id/device", "value": f"CTV-{nhs_number}"}
        },
    }


def test_the_virtual_hospital_at_a_glance(demo_server: str, page: Page) -> None:
    log_in(page, demo_server, "demo-nurse", "/wards")
    assert page.locator("#total-beds").inner_text() == "256"
    assert page.locator("#wards tbody tr").count() == 5
    page.wait_for_selector("#wards-chart .main-svg")
    clipped = page.evaluate(
        """() => {
            const chart = document.querySelector("#wards-chart .main-svg").getBoundingClientRect();
            return [...document.querySelectorAll("#wards-chart .xtick text")]
                .map((label) => [label.textContent, label.getBoundingClientRect()])
                .filter(([, box]) =>
                    box.bottom > chart.bottom || box.left < chart.left || box.right > chart.right)
                .map(([name]) => name);
        }"""
    )
    assert page.locator("#wards-chart .xtick text").count() == 5
    assert clipped == []  # every ward's name is shown whole under its bar
    assert "Whole virtual hospital" in page.locator("#occupancy").inner_text()
    assert page.locator("#wards a").count() == 1  # the nurse's own team only


def test_the_caseload_board_shows_honest_news2_and_updates_live_when_a_reading_arrives(
    demo_server: str, page: Page
) -> None:
    log_in(page, demo_server, "demo-nurse", "/wards")
    page.locator("#wards a").first.click()
    page.wait_for_selector("#caseload-rows tr[data-nhs-number]")
    assert page.locator("[data-news2='partial']").count() > 0  # heart-failure kits send no breathing rate
    assert page.locator("[data-stale='true']").count() > 0  # the demo patient who stopped sending
    assert "held for review" in page.locator("#caseload-rows").inner_text()
    quiet = page.locator("#caseload-rows tr[data-alert-level='none']").first
    nhs_number = quiet.get_attribute("data-nhs-number")
    row = f"#caseload-rows tr[data-nhs-number='{nhs_number}']"
    page.wait_for_timeout(600)  # let the live stream connect before the reading is sent
    sender = page.context.new_page()
    response = sender.request.post(
        f"{demo_server}/api/monitoring/readings", data=spo2_reading(nhs_number, 84)
    )
    stored_at = time.monotonic()
    assert response.status == 201, response.text()
    page.wait_for_selector(f"{row}:not([data-alert-level='none'])", timeout=5000)
    shown_after = time.monotonic() - stored_at
    assert shown_after < 1.0, f"the board took {shown_after:.2f} s to show the alert"
    page.screenshot(path="/tmp/wards-board.png", full_page=True)
    sender.close()


def test_a_patients_page_charts_every_measure_and_the_nurse_acknowledges_an_alert(
    demo_server: str, page: Page
) -> None:
    log_in(page, demo_server, "demo-nurse", "/wards")
    page.locator("#wards a").first.click()
    page.wait_for_selector("#caseload-rows tr[data-nhs-number]")
    alerted = page.locator("#caseload-rows tr:not([data-alert-level='none']) a").first
    alerted.click()
    page.wait_for_selector("#chart-news2 .main-svg")
    assert page.locator(".vw-measure").count() >= 3
    card = page.locator(".nhsuk-card[data-alert-id]").first
    card.locator("button:has-text('Acknowledge')").click()
    page.wait_for_load_state()
    assert "acknowledged by demo-nurse" in page.locator(".nhsuk-card[data-alert-id]").first.inner_text()
    page.screenshot(path="/tmp/wards-patient.png", full_page=True)
