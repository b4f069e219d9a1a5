"""Public voice in Chromium: the feedback form used with the keyboard alone, its error summary, the
published stories with the provider's reply, and a staff member's moderation queue and board report."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

Page = Any  # playwright.sync_api.Page


def _focused_id(page: Page) -> str:
    return str(
        page.evaluate(
            "document.activeElement && (document.activeElement.id || document.activeElement.tagName)"
        )
    )


def _tab_to(page: Page, target: str, limit: int = 40) -> None:
    for _ in range(limit):
        if _focused_id(page) == target:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{target} (stopped at {_focused_id(page)})")


def test_feedback_form_is_sent_with_the_keyboard_alone(demo_server: str, page: Page) -> None:
    page.goto(demo_server + "/voice")
    page.screenshot(path="/tmp/voice-form.png", full_page=True)
    page.locator("#about").focus()
    page.keyboard.type("Rutland Memorial")
    assert page.locator("#about").input_value() == "rutland"
    _tab_to(page, "text")
    page.keyboard.type(
        "The physios at Rutland Memorial got my dad walking again. Thank you to Sarah and Tom."
    )
    _tab_to(page, "contact_email")
    page.keyboard.type("jo@example.org")
    for _ in range(40):
        if page.evaluate("document.activeElement.type === 'submit'"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Thank you for your feedback')")
    body = page.locator("main").inner_text()
    assert "Your reference is" in body and "Rutland Memorial Hospital" in body
    assert "Sarah" not in body and "[name]" in body
    page.screenshot(path="/tmp/voice-thanks.png", full_page=True)


def test_empty_story_shows_the_error_summary(demo_server: str, page: Page) -> None:
    page.goto(demo_server + "/voice")
    page.locator("#about").select_option("lri")
    page.locator("button:has-text('Send your feedback')").focus()
    page.keyboard.press("Enter")
    summary = page.locator(".nhsuk-error-summary")
    summary.wait_for()
    assert "There is a problem" in summary.inner_text() and "Enter your feedback" in summary.inner_text()
    assert page.title().startswith("Error:")
    page.locator(".nhsuk-error-summary a:has-text('Enter your feedback')").click()
    assert _focused_id(page) == "text"
    page.screenshot(path="/tmp/voice-error.png", full_page=True)


def test_published_stories_show_the_providers_reply(demo_server: str, page: Page) -> None:
    page.goto(demo_server + "/voice/stories")
    page.locator("#place").select_option("glenfield-childrens-heart-surgery")
    page.locator("button:has-text('Show stories')").click()
    story = page.locator(".joinedup-voice-story").first
    assert "saved our daughter's life" in story.inner_text()
    assert "Reply from Head of Patient Experience" in story.inner_text()


def test_healthwatch_officer_moderates_and_prints_a_board_report(demo_server: str, page: Page) -> None:
    page.goto(demo_server + "/login?next=/voice/moderation")
    page.fill("#username", "demo-healthwatch")
    page.fill("#password", "demo-password")
    page.click("button:has-text('Log in')")
    page.wait_for_url("**/voice/moderation")
    held = page.locator("table a").first
    reference = held.inner_text()
    held.click()
    page.fill("#reason", "not about care")
    page.click("button:has-text('Reject')")
    page.wait_for_url(f"**/voice/moderation/{reference}?done=reject")
    assert "rejected: not about care" in page.locator("main").inner_text()
    page.goto(demo_server + "/voice/report?org=RWE")
    page.wait_for_selector("#trend-chart .main-svg")
    assert (
        "What the public said about University Hospitals of Leicester NHS Trust"
        in page.locator("h1").inner_text()
    )
    page.screenshot(path="/tmp/voice-report.png", full_page=True)
