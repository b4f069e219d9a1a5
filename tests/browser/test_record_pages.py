"""The shared care record pages in Chromium over the demo: find a patient, the joined-up timeline with
vital-sign charts, a refusal and break-glass, and recording a sharing opt-out."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from joinedup.record.demo import PATIENTS, VIRTUAL_WARD_COHORT
from joinedup.record.demo_people import FIRST_NHS_NUMBER, demo_people

pytestmark = pytest.mark.browser

Page = Any
PASSWORD = "demo-password"


def log_in(page: Page, server: str, username: str) -> None:
    page.goto(server + "/login?next=/record")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url("**/record")


def test_a_gp_finds_a_patient_by_nhs_number_and_sees_their_joined_up_record(
    demo_server: str, page: Page
) -> None:
    log_in(page, demo_server, "demo-gp")
    page.fill("#q", "999 000 0018")
    page.click("button:has-text('Search')")
    assert "1 patient found" in page.locator("#results-heading").inner_text()
    page.locator("#results a").first.click()
    page.wait_for_url(f"**/record/patients/{FIRST_NHS_NUMBER}")
    timeline = page.locator("#timeline-table").inner_text()
    for provider in ("University Hospitals of Leicester", "Leicestershire Partnership", "Demo Practice"):
        assert provider in timeline
    page.wait_for_selector("#chart-8867-4 .main-svg")
    assert page.locator(".joinedup-chart .main-svg").count() >= 4
    page.screenshot(path="/tmp/record-patient.png", full_page=True)


def test_a_name_search_lists_only_patients_the_user_may_see(demo_server: str, page: Page) -> None:
    log_in(page, demo_server, "demo-analyst")
    page.goto(demo_server + "/record?q=smith")
    assert page.locator("h1").inner_text() == "You cannot see this record"
    assert "aggregates only" in page.locator("#refusal").inner_text()
    assert page.locator("textarea#reason").count() == 0  # no break-glass for an analyst


def test_a_clinician_without_a_relationship_is_refused_then_breaks_glass(
    demo_server: str, page: Page
) -> None:
    log_in(page, demo_server, "demo-clinician")
    people = demo_people(PATIENTS, cohort=VIRTUAL_WARD_COHORT, today=date.today())
    for person in people[1:40]:
        page.goto(f"{demo_server}/record/patients/{person.nhs_number}")
        if page.locator("h1").inner_text() == "You cannot see this record":
            break
    else:
        pytest.fail("every demo patient was visible to the hospital clinician")
    assert "No legitimate relationship" in page.locator("#refusal").inner_text()
    page.screenshot(path="/tmp/record-refused.png", full_page=True)
    page.click("button:has-text('Break glass')")
    assert "Enter the reason" in page.locator(".nhsuk-error-summary").inner_text()
    page.fill("#reason", "Brought to ED unconscious; need medication history")
    page.click("button:has-text('Break glass')")
    page.wait_for_url(f"**/record/patients/{person.nhs_number}")
    assert page.locator("h1").inner_text().endswith(f"{person.given} {person.family}")


def test_a_gp_records_a_sharing_opt_out(demo_server: str, page: Page) -> None:
    log_in(page, demo_server, "demo-gp")
    person = demo_people(PATIENTS, cohort=VIRTUAL_WARD_COHORT, today=date.today())[5]
    page.goto(f"{demo_server}/record/patients/{person.nhs_number}")
    page.check("input[value=opt-out]")
    page.click("button:has-text('Record the patient')")
    page.wait_for_url("**saved=opt-out**")
    assert "Opted out of sharing" in page.locator("dl").inner_text()
    page.check("input[value=share]")
    page.click("button:has-text('Record the patient')")
    page.wait_for_url("**saved=share**")
    assert "Shared across the ICS" in page.locator("dl").inner_text()
