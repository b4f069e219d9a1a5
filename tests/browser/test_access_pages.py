"""Log-in, log-out, the break-glass review queue and the patient's access page in Chromium, over the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

Page = Any  # playwright.sync_api.Page; the fixture is typed loosely in conftest
PASSWORD = "demo-password"


def log_in(page: Page, server: str, username: str, password: str = PASSWORD, path: str = "/login") -> None:
    page.goto(server + path)
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button:has-text('Log in')")


def test_the_login_page_looks_like_an_nhs_service(
    demo_server: str, page: Page, tmp_path_factory: pytest.TempPathFactory
) -> None:
    page.goto(demo_server + "/login")
    assert page.locator("h1").inner_text() == "Log in to joinedup"
    assert page.locator("header.nhsuk-header").count() == 1
    assert page.locator("input[name=csrf_token]").count() == 1
    shot = tmp_path_factory.mktemp("screens") / "login.png"
    page.screenshot(path=str(shot), full_page=True)
    page.screenshot(path="/tmp/access-login.png", full_page=True)
    assert Path(shot).stat().st_size > 10_000


def test_a_wrong_password_shows_the_error_summary(demo_server: str, page: Page) -> None:
    log_in(page, demo_server, "demo-gp", "not-the-password")
    summary = page.locator(".nhsuk-error-summary")
    assert summary.is_visible()
    assert "There is a problem" in summary.inner_text()
    assert "The username or password is not right." in summary.inner_text()
    assert page.locator("#username").input_value() == "demo-gp"
    page.screenshot(path="/tmp/access-login-error.png", full_page=True)


def test_the_right_password_reaches_the_page_asked_for_and_logout_ends_it(
    demo_server: str, page: Page
) -> None:
    page.goto(demo_server + "/access/audit")
    page.wait_for_url("**/login?next=%2Faccess%2Faudit")
    page.fill("#username", "demo-privacy")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url("**/access/audit")
    assert page.locator("h1").inner_text() == "Audit log"
    assert "Demo Privacy Officer (privacy officer)" in page.locator("header").inner_text()
    page.click("header button:has-text('Log out')")
    page.wait_for_url("**/login?signed_out=true")
    assert "You have logged out." in page.locator("main").inner_text()
    page.goto(demo_server + "/access/audit")
    page.wait_for_url("**/login?next=%2Faccess%2Faudit")


def test_the_privacy_officer_accepts_a_break_glass_access(demo_server: str, page: Page) -> None:
    log_in(page, demo_server, "demo-privacy")
    page.wait_for_url("**/access/break-glass")
    card = page.locator(".nhsuk-card", has_text="demo-clinician").first
    assert "Unconscious in ED" in card.inner_text()
    page.screenshot(path="/tmp/access-break-glass.png", full_page=True)
    card.locator("textarea").fill("Confirmed with the ED consultant")
    card.locator("button:has-text('Accept as justified')").click()
    page.wait_for_url("**/access/break-glass?reviewed=*")
    assert "was recorded" in page.locator("main").inner_text()
    reviewed = page.locator("#reviewed").inner_text()
    assert "Justified" in reviewed and "Confirmed with the ED consultant" in reviewed


def test_a_patient_sees_who_looked_at_their_record(demo_server: str, page: Page) -> None:
    log_in(page, demo_server, "demo-patient")
    page.wait_for_url("**/my-record/access")
    table = page.locator("#record-access").inner_text()
    assert "Dr Demo GP" in table and "Loughborough Demo Practice" in table
    assert "Dr Demo Hospital Clinician" in table and "Emergency access" in table
    assert "Unconscious in ED" in table
    page.screenshot(path="/tmp/access-my-record.png", full_page=True)
