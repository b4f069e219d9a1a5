"""Live capacity and the planner in Chromium: the census chart, a run started from the browser, bed sizing."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

Page = Any  # playwright.sync_api.Page


def log_in(page: Page, server: str, username: str, next_path: str) -> None:
    page.goto(f"{server}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", "demo-password")
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{server}{next_path}*")


def test_capacity_page_shows_sites_levels_and_trend_chart(demo_server: str, page: Page) -> None:
    log_in(page, demo_server, "demo-analyst", "/capacity")
    assert page.locator("h1").inner_text().startswith("Live capacity")
    assert "Leicester Royal Infirmary" in page.locator("#sites").inner_text()
    assert "OPEL" in page.locator("#system-level").inner_text()
    page.wait_for_selector("#trend-chart .main-svg", timeout=15_000)
    page.screenshot(path="/tmp/capacity.png", full_page=True)


def test_capacity_page_needs_a_sign_in(demo_server: str, page: Page) -> None:
    page.goto(demo_server + "/capacity")
    assert "/login" in page.url


def test_a_run_started_in_the_browser_shows_progress_then_figures(demo_server: str, page: Page) -> None:
    log_in(page, demo_server, "demo-analyst", "/plan")
    page.select_option("#scenario", "llr-baseline-2016")
    page.fill("#replications", "2")
    page.click("button:has-text('Run scenario')")
    page.wait_for_selector("#run-status")
    page.wait_for_selector("#pools", timeout=120_000)
    assert "lri-acute" in page.locator("#pools").inner_text()
    assert page.locator("#run-status").inner_text() == "done"
    page.screenshot(path="/tmp/plan-run.png", full_page=True)
    page.click("#report-link")
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)


def test_bed_sizing_answers_and_explains_bad_input(demo_server: str, page: Page) -> None:
    log_in(page, demo_server, "demo-analyst", "/plan/beds")
    page.fill("#arrivals_per_day", "40")
    page.fill("#mean_stay_days", "4.5")
    page.fill("#target_blocking", "0.01")
    page.click("button:has-text('Work out beds')")
    assert "beds" in page.locator("#beds-answer h2").inner_text()
    page.fill("#arrivals_per_day", "lots")
    page.click("button:has-text('Work out beds')")
    assert "arrivals per day" in page.locator(".nhsuk-error-summary").inner_text()
