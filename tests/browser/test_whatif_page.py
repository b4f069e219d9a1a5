"""The what-if forecast in Chromium: reached from the planner, drawn as a Plotly fan chart and a level chart,
run again with a change to the beds, and a change it cannot read explained in an error summary."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

Page = Any  # playwright.sync_api.Page
QUICK = {"#days": "14", "#replications": "5"}


def log_in(page: Page, server: str, username: str, next_path: str) -> None:
    page.goto(f"{server}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", "demo-password")
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{server}{next_path}*")


def _focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id || document.activeElement.className"))


def _traces(page: Page, chart: str) -> list[dict[str, Any]]:
    """What Plotly drew in `chart`: each trace's type, name and number of points."""
    return list(
        page.evaluate(
            """id => document.getElementById(id).data.map(
                t => ({type: t.type, name: t.name || "", points: (t.y || []).length}))""",
            chart,
        )
    )


def _beds(page: Page, site: str) -> str:
    return str(page.locator(f"#whatif-sites tr:has(th:text-is('{site}')) td").first.inner_text())


def _run(page: Page, changes: str) -> None:
    page.fill("#changes", changes)
    for field, value in QUICK.items():
        page.fill(field, value)
    page.click("button:has-text('Run the forecast')")
    page.wait_for_load_state()


def test_whatif_from_the_planner_draws_a_fan_chart_per_site(demo_server: str, quiet_page: Page) -> None:
    page = quiet_page
    log_in(page, demo_server, "demo-analyst", "/plan")
    page.click("a:has-text('What-if from today')")
    page.wait_for_selector("#fan-chart .main-svg", timeout=30_000)
    assert page.locator("h1").inner_text() == "What-if from today"
    assert "No changes: the system as it is." in page.locator("main").inner_text()
    fan = _traces(page, "fan-chart")
    days = len(page.evaluate("JSON.parse(document.getElementById('whatif-data').textContent).dates"))
    assert [t["name"] for t in fan if t["name"]] == ["95% band", "50% band", "median"]
    assert all(t["type"] == "scatter" and t["points"] == days > 1 for t in fan)
    assert page.locator("#fan-chart .scatterlayer .trace").count() == len(fan) == 5
    assert page.locator("#fan-chart .gtitle").text_content() == "Whole system: occupied beds (%)"
    levels = _traces(page, "level-chart")
    assert len(levels) == 1 and levels[0]["type"] == "heatmap"
    assert page.locator("#level-chart .main-svg").count() > 0
    page.select_option("#fan-group", label="Leicester Royal Infirmary")
    page.wait_for_function(
        "document.querySelector('#fan-chart .gtitle').textContent.startsWith('Leicester Royal Infirmary')"
    )
    assert len(_traces(page, "fan-chart")) == 5
    assert "Leicester Royal Infirmary" in page.locator("#whatif-sites").inner_text()
    page.screenshot(path="/tmp/whatif.png", full_page=True)


def test_a_change_to_the_beds_gives_a_new_forecast_and_chart(demo_server: str, quiet_page: Page) -> None:
    page = quiet_page
    log_in(page, demo_server, "demo-analyst", "/plan/whatif")
    _run(page, "")
    page.wait_for_selector("#fan-chart .main-svg", timeout=30_000)
    before = _beds(page, "Leicester General Hospital")
    median_before = page.evaluate("document.getElementById('fan-chart').data[4].y")
    _run(page, "close 30 beds acute@LGH")
    assert "changes=close+30+beds+acute%40LGH" in page.url
    page.wait_for_selector("#fan-chart .main-svg", timeout=30_000)
    text = page.locator("main").inner_text()
    assert "Changes: close 30 beds acute@LGH" in text and "5 replications" in text
    assert page.locator("#changes").input_value() == "close 30 beds acute@LGH"
    after = _beds(page, "Leicester General Hospital")
    assert int(after.split("→")[-1]) == int(before.split("→")[-1]) - 30
    assert len(_traces(page, "fan-chart")) == 5
    assert page.evaluate("document.getElementById('fan-chart').data[4].y") != median_before
    page.screenshot(path="/tmp/whatif-change.png", full_page=True)


def test_a_change_it_cannot_read_shows_the_error_summary(demo_server: str, quiet_page: Page) -> None:
    page = quiet_page
    log_in(page, demo_server, "demo-analyst", "/plan/whatif")
    _run(page, "close bananas")
    summary = page.locator(".nhsuk-error-summary")
    summary.wait_for()
    assert "There is a problem" in summary.inner_text() and "close bananas" in summary.inner_text()
    assert page.title().startswith("Error:")
    page.wait_for_function("document.activeElement.classList.contains('nhsuk-error-summary')")
    assert page.locator("#fan-chart").count() == 0 and page.locator("#whatif-sites").count() == 0
    assert page.locator("#changes").input_value() == "close bananas"
    page.locator(".nhsuk-error-summary a").click()
    assert _focused(page) == "changes"
    page.screenshot(path="/tmp/whatif-error.png", full_page=True)
