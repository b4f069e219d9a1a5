"""The registry's pages in Chromium, as a person uses them, over the demo built from the bundled data."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

Page = Any  # playwright.sync_api.Page; the fixture is typed loosely in conftest


def test_home_shows_the_llr_system_and_its_beds_chart(demo_server: str, page: Page) -> None:
    page.goto(demo_server + "/")
    assert page.locator("h1").inner_text() == "Leicester, Leicestershire and Rutland"
    assert (
        "University Hospitals of Leicester NHS Trust" in page.locator("#organisations-by-kind").inner_text()
    )
    assert "Leicester Royal Infirmary" in page.locator("#sites").inner_text()
    page.wait_for_selector("#beds-by-setting.js-plotly-plot .main-svg")
    assert int(page.locator("#count-beds").inner_text().replace(",", "")) > 0
    page.screenshot(path="/tmp/registry-home.png", full_page=True)


def test_registry_index_lists_organisations_sites_and_areas_as_of_a_day(demo_server: str, page: Page) -> None:
    page.goto(demo_server + "/registry")
    page.fill("#on", "1960-06-01")
    page.click("button:has-text('Show this day')")
    page.wait_for_url("**/registry?on=1960-06-01")
    assert "Sheffield Regional Hospital Board" in page.locator("#organisations + div table").inner_text()
    page.click("#areas + div a:text-is('Leicester')")
    assert page.locator("h1").inner_text() == "Leicester"


def test_an_organisation_page_shows_its_sites_and_history(demo_server: str, page: Page) -> None:
    page.goto(demo_server + "/registry")
    page.click("a:text-is('University Hospitals of Leicester NHS Trust')")
    assert page.locator("h1").inner_text() == "University Hospitals of Leicester NHS Trust"
    assert page.locator("h2:text-is('Sites it ran')").count() == 1
    assert "Leicester Royal Infirmary" in page.content()


def test_a_site_page_draws_the_step_chart_of_its_bed_pools(demo_server: str, page: Page) -> None:
    page.goto(demo_server + "/registry/sites/lgh")
    assert page.locator("h1").inner_text() == "Leicester General Hospital"
    page.wait_for_selector("#beds-over-time.js-plotly-plot")
    assert (
        page.locator("#beds-over-time .scatterlayer .trace").count()
        == page.locator("table[id^=pool-]").count()
    )
    assert page.locator("#operators").inner_text().count("University Hospitals of Leicester") >= 1
    page.screenshot(path="/tmp/registry-site.png", full_page=True)


def test_who_was_responsible_for_leicester_in_1960(demo_server: str, page: Page) -> None:
    page.goto(demo_server + "/registry/responsible")
    page.select_option("#area", label="Leicester (city)")
    page.fill("#on", "1960-06-01")
    page.click("button:has-text('Show who was responsible')")
    result = page.locator("#responsible-bodies").inner_text()
    assert "Sheffield Regional Hospital Board" in result
    assert "Regional hospital board" in result
    page.screenshot(path="/tmp/registry-responsible.png", full_page=True)


def test_the_responsible_form_explains_its_errors(demo_server: str, page: Page) -> None:
    page.goto(demo_server + "/registry/responsible")
    page.click("button:has-text('Show who was responsible')")
    summary = page.locator(".nhsuk-error-summary")
    assert "Select an area" in summary.inner_text()
    assert "Enter the date" in summary.inner_text()


def test_the_diff_page_shows_what_changed(demo_server: str, page: Page) -> None:
    page.goto(demo_server + "/registry/diff")
    page.fill("#from", "2016-06-01")
    page.fill("#to", "2023-06-01")
    page.click("button:has-text('Show what changed')")
    for table in ("#opened", "#closed", "#moved", "#changed-size"):
        assert page.locator(table).count() == 1
    assert "Virtual" in page.locator("#changed-size").inner_text()
    page.screenshot(path="/tmp/registry-diff.png", full_page=True)
