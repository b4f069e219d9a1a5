"""You said, we did, in Chromium: the public page (what people said, what was done, whether it moved)
without signing in; a Healthwatch officer recording progress that the public then sees, an internal note
they never see; and a step that cannot be taken, or an action that cannot be recorded, explained in a
focused error summary."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

Page = Any  # playwright.sync_api.Page
PARKING = "Review car parking charges for long outpatient clinics at the Royal"
VIRTUAL_WARD = "Open virtual ward beds so more people can be cared for at home"
PLANNER = "Show what closing Leicester General"


def log_in(page: Page, server: str, username: str, next_path: str) -> None:
    page.goto(f"{server}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", "demo-password")
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{server}{next_path}*")


def _card(page: Page, title: str) -> Any:
    return page.locator(f"article.nhsuk-card:has(h4:text-is('{title}'))")


def _public_card_text(page: Page, server: str, title: str) -> str:
    """The action's card as someone who has not signed in sees it (a fresh browser context)."""
    public = page.context.browser.new_context()
    try:
        other = public.new_page()
        other.goto(f"{server}/voice/you-said-we-did")
        return str(_card(other, title).inner_text())
    finally:
        public.close()


def _wait_for_error_summary_focus(page: Page) -> None:
    page.locator(".nhsuk-error-summary").wait_for()
    page.wait_for_function("document.activeElement.classList.contains('nhsuk-error-summary')")


def test_public_page_shows_what_was_said_and_done(demo_server: str, quiet_page: Page) -> None:
    page = quiet_page
    page.goto(demo_server + "/voice/you-said-we-did")
    assert "/login" not in page.url and page.locator("h1").inner_text() == "You said, we did"
    said = page.locator("section.joinedup-voice-said")
    assert said.count() >= 2
    assert "published stor" in said.first.inner_text() and said.first.locator("blockquote").count() >= 1
    parking = _card(page, PARKING).inner_text()
    assert "Overdue" in parking and "Director of Estates and Facilities" in parking
    home = _card(page, VIRTUAL_WARD)
    assert "The virtual ward is open across LLR." in home.inner_text()
    assert "Staffing rota agreed" not in page.locator("main").inner_text()
    assert "Moved the way people wanted" in home.inner_text()
    chart = home.locator("svg.joinedup-voice-chart")
    assert chart.locator("circle").count() >= 2 and chart.locator("path").get_attribute("d")
    story = page.locator("section.joinedup-voice-said blockquote a:has-text('read the story')").first
    story.click()
    page.wait_for_url("**/voice/stories/*")
    page.go_back()
    page.click("a:has-text('the same as data (JSON)')")
    data = page.evaluate("JSON.parse(document.body.innerText)")
    titles = [a["title"] for theme in data["themes"] for a in theme["actions"]]
    assert PARKING in titles and VIRTUAL_WARD in titles
    page.screenshot(path="/tmp/you-said-we-did.png", full_page=True)


def test_healthwatch_update_reaches_the_public_page_but_an_internal_note_does_not(
    demo_server: str, quiet_page: Page
) -> None:
    page = quiet_page
    log_in(page, demo_server, "demo-healthwatch", "/voice/actions")
    page.click(f"a:has-text('{PARKING}')")
    page.wait_for_url("**/voice/actions/*")
    public_note = "Estates met the outpatient teams; a proposal goes to the trust board in January"
    page.select_option("#status", "in progress")
    page.fill("#note", public_note)
    page.click("button:has-text('Record progress')")
    page.wait_for_url("**?done=update")
    assert "Done: update." in page.locator("main").inner_text()
    assert "In progress" in page.locator("h1 + p").inner_text()
    assert public_note in page.locator("table").first.inner_text()
    internal_note = "Finance want the car park income kept whole"
    page.fill("#note", internal_note)
    page.check("#internal")
    page.click("button:has-text('Record progress')")
    page.wait_for_selector(f"td:has-text('{internal_note}')")
    last = page.locator("table").first.locator("tbody tr").last.inner_text()
    assert internal_note in last and "(internal)" in last
    page.screenshot(path="/tmp/voice-action.png", full_page=True)

    seen = _public_card_text(page, demo_server, PARKING)
    assert public_note in seen and "In progress" in seen
    assert internal_note not in seen


def test_a_step_that_cannot_be_taken_is_explained_and_changes_nothing(
    demo_server: str, quiet_page: Page
) -> None:
    page = quiet_page
    log_in(page, demo_server, "demo-healthwatch", "/voice/actions")
    page.get_by_role("link", name=PLANNER).click()
    page.wait_for_url("**/voice/actions/*")
    updates = page.locator("table").first.locator("tbody tr").count()
    page.select_option("#status", "dropped")
    page.click("button:has-text('Record progress')")
    _wait_for_error_summary_focus(page)
    assert "say why" in page.locator(".nhsuk-error-summary").inner_text()
    assert page.evaluate("window.scrollY") == 0
    assert "In progress" in page.locator("h1 + p").inner_text()
    assert page.locator("table").first.locator("tbody tr").count() == updates
    page.locator(".nhsuk-error-summary a").click()
    assert page.url.endswith("#steps")

    page.goto(demo_server + "/voice/actions")
    page.fill("#title", "Longer opening hours at the Oakham clinic")
    page.select_option("#theme", "access")
    page.fill("#owner", "RT5")
    page.fill("#owner_role", "Head of Community Services")
    page.fill("#due_on", "2001-01-01")
    page.click("button:has-text('Record the action')")
    _wait_for_error_summary_focus(page)
    assert "has passed" in page.locator(".nhsuk-error-summary").inner_text()
    assert page.locator("#title").input_value() == "Longer opening hours at the Oakham clinic"
    assert "Longer opening hours" not in page.locator("table").first.inner_text()
