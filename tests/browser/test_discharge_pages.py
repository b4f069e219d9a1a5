"""Delayed discharges in Chromium: the live capacity page and the discharge overview agree, a site's list is
longest wait first, a ward raises a referral (its mistakes, a duplicate among them, shown in an error
summary), and a housing officer accepts one, adds a note and closes one (a step's mistake shown on the
referral's page); a form whose CSRF token was tampered with is refused and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

Page = Any  # playwright.sync_api.Page
HOUSING = "Housing support officers at Leicester Royal Infirmary"
HOUSING_TEAM = "lri-housing-support-officers"


def log_in(page: Page, server: str, username: str, next_path: str) -> None:
    page.goto(f"{server}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", "demo-password")
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{server}{next_path}*")


def _status(page: Page) -> str:
    return str(page.locator("#referral .nhsuk-summary-list__row:has-text('Status') dd strong").inner_text())


def _history(page: Page) -> list[list[str]]:
    rows = page.locator("#history tbody tr").all()
    return [[cell.strip() for cell in row.inner_text().split("\t")] for row in rows]


def _summary_items(page: Page) -> list[str]:
    return [t.strip() for t in page.locator(".nhsuk-error-summary li").all_inner_texts()]


def _field_error(page: Page, field_id: str) -> str:
    group = page.locator(f".nhsuk-form-group--error:has(#{field_id})")
    return str(group.locator(".nhsuk-error-message").inner_text()).removeprefix("Error:").strip()


def _site_totals(page: Page) -> dict[str, list[int]]:
    """Delayed patients and bed-days per site, summed over its pools, from the overview's table."""
    return dict(
        page.evaluate(
            """() => {
              const totals = {}; let site = null;
              for (const row of document.querySelectorAll("#sites tbody tr")) {
                const head = row.querySelector("th a");
                if (head) { site = head.textContent.trim(); totals[site] = [0, 0]; continue; }
                const cells = row.querySelectorAll("td");
                if (site && cells.length === 5) {
                  totals[site][0] += Number(cells[1].textContent);
                  totals[site][1] += Number(cells[2].textContent);
                }
              }
              return totals;
            }"""
        )
    )


def test_capacity_and_discharge_pages_agree_on_delays(demo_server: str, quiet_page: Page) -> None:
    page = quiet_page
    log_in(page, demo_server, "demo-clinician", "/capacity")
    on_capacity = page.locator("#delayed-patients").inner_text()
    bed_days = page.locator("#delayed-bed-days").inner_text()
    page.click("#delayed-patients a")
    page.wait_for_url(f"{demo_server}/discharge")
    patients = int(page.locator("#delayed-patients").inner_text())
    assert patients > 0 and on_capacity == f"{patients:,} patients"
    assert page.locator("#delayed-bed-days").inner_text() == bed_days.replace(",", "")
    totals = _site_totals(page)
    assert sum(p for p, _ in totals.values()) == patients
    assert "Leicester Royal Infirmary" in totals
    page.click("#sites a:has-text('Leicester Royal Infirmary')")
    page.wait_for_url("**/discharge/sites/*")
    lri = totals["Leicester Royal Infirmary"]
    assert page.locator("#site-bed-days").inner_text() == (
        f"{lri[0]} patients you may see, {lri[1]} delayed bed-days so far."
    )
    waits = [int(t.split()[0]) for t in page.locator("#referrals tbody td:last-child").all_inner_texts()]
    assert len(waits) >= lri[0] and waits == sorted(waits, reverse=True)
    page.screenshot(path="/tmp/discharge-site.png", full_page=True)


def test_a_ward_raises_a_referral_and_is_told_what_to_put_right(demo_server: str, quiet_page: Page) -> None:
    page = quiet_page
    log_in(page, demo_server, "demo-clinician", "/discharge/sites/lri")
    number = page.locator("#referrals tbody tr a").first.inner_text()
    page.click("a:has-text('Raise a referral')")
    page.wait_for_url("**/discharge/referrals/new")
    page.select_option("#pool_id", "lri-acute")
    page.click("button:has-text('Raise referral')")
    summary = page.locator(".nhsuk-error-summary")
    summary.wait_for()
    assert page.title().startswith("Error:")
    assert _summary_items(page) == [
        "Enter the patient's NHS number",
        "Choose what the patient needs to leave hospital",
        "Choose the receiving team",
    ]
    page.wait_for_function("document.activeElement.classList.contains('nhsuk-error-summary')")
    summary.locator("a").first.click()
    assert page.evaluate("document.activeElement.id") == "nhs_number"
    assert page.locator("#pool_id").input_value() == "lri-acute"
    page.keyboard.type(number.replace(" ", ""))
    page.select_option("#kind", "community-bed")
    page.select_option(
        "#team_id", label="Adult social care hospital discharge team at Leicester Royal Infirmary"
    )
    page.fill("#note", "Needs a rehabilitation bed near her daughter in Oadby")
    page.click("button:has-text('Raise referral')")
    page.wait_for_url("**/discharge/referrals/*-*")
    assert page.locator("h1").inner_text().startswith("A community hospital bed")
    assert number in page.locator("h1").inner_text()
    assert _status(page) == "raised" and page.locator("#days-waited").inner_text() == "0 days"
    assert _history(page)[-1][1:] == [
        "raised",
        "demo-clinician",
        "Needs a rehabilitation bed near her daughter in Oadby",
    ]
    assert page.locator("button:has-text('Accept this referral')").count() == 0
    page.screenshot(path="/tmp/discharge-raised.png", full_page=True)


def test_housing_officer_accepts_a_referral_and_adds_a_note(demo_server: str, quiet_page: Page) -> None:
    page = quiet_page
    log_in(page, demo_server, "demo-housing", "/discharge")
    page.click(f"a:has-text('{HOUSING}')")
    page.wait_for_url("**/discharge/teams/lri-housing-support-officers")
    raised = page.locator("#referrals tbody tr:has(strong:text-is('raised'))").first
    number = raised.locator("a").inner_text()
    raised.locator("a").click()
    page.wait_for_url("**/discharge/referrals/*")
    assert _status(page) == "raised"
    steps, referral_url = len(_history(page)), page.url

    page.locator("form[action$='/accept'] input[name=csrf_token]").evaluate("e => e.value = 'forged'")
    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        page.click("button:has-text('Accept this referral')")
    assert refused.value.status == 403
    # Opened afresh rather than by going back: going back while the refusal page is still being attached
    # fails in Chromium under load ("Not attached to an active page").
    page.goto(referral_url)
    assert _status(page) == "raised" and len(_history(page)) == steps

    page.fill("#accept-note", "Met the patient on the ward; looking at flats in Braunstone")
    page.click("button:has-text('Accept this referral')")
    page.wait_for_selector("#update-note")
    assert _status(page) == "accepted"
    assert _history(page)[-1][1:] == [
        "accepted",
        "demo-housing",
        "Met the patient on the ward; looking at flats in Braunstone",
    ]
    page.fill("#update-note", "Flat offered by the council; viewing on Friday")
    page.click("button:has-text('Add note')")
    page.wait_for_function(f"document.querySelectorAll('#history tbody tr').length === {steps + 2}")
    assert _status(page) == "in-progress"
    assert _history(page)[-1][1:] == [
        "updated",
        "demo-housing",
        "Flat offered by the council; viewing on Friday",
    ]
    page.screenshot(path="/tmp/discharge-accepted.png", full_page=True)
    page.click(f"a:has-text('{HOUSING}')")
    row = page.locator(f"#referrals tbody tr:has(a:text-is('{number}'))")
    assert "in-progress" in row.inner_text()


def test_a_duplicate_referral_is_shown_on_the_form(demo_server: str, quiet_page: Page) -> None:
    page = quiet_page
    log_in(page, demo_server, "demo-clinician", "/discharge/sites/lri")
    row = page.locator("#referrals tbody tr").first
    number = row.locator("a").inner_text()
    need = row.locator("td").nth(1).inner_text()
    page.goto(f"{demo_server}/discharge/referrals/new")
    page.fill("#nhs_number", number)
    page.select_option("#pool_id", "lri-acute")
    page.select_option("#kind", label=need)
    page.select_option("#team_id", index=1)
    page.fill("#note", "Asked for twice")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.click("button:has-text('Raise referral')")
    assert sent.value.status == 409
    page.locator(".nhsuk-error-summary").wait_for()
    page.wait_for_function("document.activeElement.classList.contains('nhsuk-error-summary')")
    message = f"This patient already has an open referral for {need.lower()}"
    assert page.title().startswith("Error:") and _summary_items(page) == [message]
    assert _field_error(page, "kind") == message
    assert page.locator("#nhs_number").input_value() == number and page.locator("#note").input_value() == (
        "Asked for twice"
    )
    page.click('a:has-text("See the patient\'s open referral")')
    page.wait_for_url("**/discharge/referrals/*-*")
    assert page.locator("h1").inner_text().startswith(need) and number in page.locator("h1").inner_text()
    page.screenshot(path="/tmp/discharge-duplicate.png", full_page=True)


def test_closing_without_an_outcome_shows_the_referral_with_an_error_summary(
    demo_server: str, quiet_page: Page
) -> None:
    page = quiet_page
    log_in(page, demo_server, "demo-housing", f"/discharge/teams/{HOUSING_TEAM}")
    taken = page.locator("#referrals tbody tr:has(strong:text-is('accepted'), strong:text-is('in-progress'))")
    taken.first.locator("a").click()
    page.wait_for_url("**/discharge/referrals/*")
    address, before, steps = page.url, _status(page), len(_history(page))
    page.fill("#close-note", "Keys to the council flat handed over")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.click("button:has-text('Close this referral')")
    assert sent.value.status == 422
    page.locator(".nhsuk-error-summary").wait_for()
    page.wait_for_function("document.activeElement.classList.contains('nhsuk-error-summary')")
    assert page.title().startswith("Error: Referral for")
    assert _summary_items(page) == ["Choose how the referral ended"]
    assert _field_error(page, "outcome") == "Choose how the referral ended"
    assert "unknown outcome" not in page.content()
    assert page.locator("#close-note").input_value() == "Keys to the council flat handed over"
    assert _status(page) == before and len(_history(page)) == steps
    page.locator(".nhsuk-error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "outcome"
    page.screenshot(path="/tmp/discharge-close-error.png", full_page=True)
    page.select_option("#outcome", "home")
    page.click("button:has-text('Close this referral')")
    page.wait_for_url(address)
    assert _status(page) == "closed" and page.locator(".nhsuk-error-summary").count() == 0
    assert _history(page)[-1][1:] == ["closed", "demo-housing", "Home: Keys to the council flat handed over"]
    assert page.locator("#close-note").count() == 0
