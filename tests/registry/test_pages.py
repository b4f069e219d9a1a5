"""The registry's pages render for people without JavaScript, and show form errors instead of failing."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """Routes are thin adapters over services already tested on both backends: SQLite suffices here."""
    return sqlite_engine


def test_home_shows_the_llr_system_with_beds_by_setting(client: TestClient, loaded: Session) -> None:
    page = client.get("/")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Leicester, Leicestershire and Rutland</h1>" in text
    assert "University Hospitals of Leicester NHS Trust" in text
    assert 'data-figure="beds-by-setting-figure"' in text
    assert '<script src="/static/plotly.min.js">' in text


def test_home_without_reference_data_says_how_to_load_it(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "holds no reference data yet" in page.text


def test_plotly_is_served_locally(client: TestClient) -> None:
    response = client.get("/static/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(response.content) > 1_000_000


def test_index_lists_what_was_in_effect_on_the_chosen_day(client: TestClient, loaded: Session) -> None:
    page = client.get("/registry", params={"on": "1960-06-01"})
    assert page.status_code == 200
    assert "Sheffield Regional Hospital Board" in page.text
    assert "University Hospitals of Leicester" not in page.text
    assert 'href="/registry/areas/leicester"' in page.text


def test_index_with_a_bad_day_shows_the_error_summary(client: TestClient, loaded: Session) -> None:
    page = client.get("/registry", params={"on": "1960-02-30"})
    assert page.status_code == 422
    assert "nhsuk-error-summary" in page.text and "must be a real date" in page.text


def test_organisation_site_and_area_pages(client: TestClient, loaded: Session) -> None:
    org = client.get("/registry/organisations/uhl")
    assert org.status_code == 200 and "Leicester Royal Infirmary NHS Trust" in org.text
    site = client.get("/registry/sites/lri")
    assert site.status_code == 200 and 'data-figure="beds-over-time-figure"' in site.text
    assert "Assumption</strong>" in site.text
    area = client.get("/registry/areas/leicestershire")
    assert area.status_code == 200 and 'href="/registry/areas/rutland"' in area.text


def test_an_unknown_site_is_a_not_found_page(client: TestClient, loaded: Session) -> None:
    page = client.get("/registry/sites/nowhere")
    assert page.status_code == 404
    assert "Page not found" in page.text


def test_responsible_page_answers_the_question(client: TestClient, loaded: Session) -> None:
    empty = client.get("/registry/responsible")
    assert empty.status_code == 200 and '<select class="nhsuk-select" id="area" name="area"' in empty.text
    page = client.get("/registry/responsible", params={"area": "leicester", "on": "1960-06-01"})
    assert page.status_code == 200
    assert "Sheffield Regional Hospital Board" in page.text
    assert re.search(r'<option value="leicester" selected\s*>', page.text)


def test_responsible_page_shows_errors_in_the_error_summary(client: TestClient, loaded: Session) -> None:
    page = client.get("/registry/responsible", params={"area": "", "on": "not a day"})
    assert page.status_code == 422
    assert "There is a problem" in page.text
    assert 'href="#area"' in page.text and 'href="#on"' in page.text
    unknown = client.get("/registry/responsible", params={"area": "narnia", "on": "1960-06-01"})
    assert unknown.status_code == 422 and "No area called" in unknown.text


def test_diff_page_shows_the_four_lists(client: TestClient, loaded: Session) -> None:
    page = client.get("/registry/diff", params={"from": "2016-06-01", "to": "2021-01-01"})
    assert page.status_code == 200
    for part in ('id="opened"', 'id="closed"', 'id="moved"', 'id="changed-size"', "-430"):
        assert part in page.text
    wrong = client.get("/registry/diff", params={"from": "2021-01-01", "to": "2016-06-01"})
    assert wrong.status_code == 422 and "nhsuk-error-summary" in wrong.text


class _Table(HTMLParser):
    """The rows of the table with the given caption: each cell as its text, a link as "text -> href"."""

    def __init__(self, caption: str) -> None:
        super().__init__()
        self.caption = caption
        self.rows: list[list[str]] = []
        self._tables: list[list[list[str]]] = []
        self._in, self._text, self._href = False, "", ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._tables.append([])
        elif tag == "tr" and self._tables:
            self._tables[-1].append([])
        elif tag in ("td", "th", "caption"):
            self._in, self._text = True, ""
        elif tag == "a" and self._in:
            self._href = dict(attrs).get("href") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and " ".join(self._text.split()) == self.caption:
            self.rows = self._tables[-1]
        elif tag in ("td", "th") and self._tables:
            self._tables[-1][-1].append(" ".join(self._text.split()))
        elif tag == "a" and self._in and self._href:
            self._text += f" -> {self._href}"
        self._in = self._in and tag not in ("td", "th", "caption")

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text += data


def _table(page: str, caption: str) -> list[list[str]]:
    reader = _Table(caption)
    reader.feed(page)
    assert reader.rows, f"no table captioned {caption!r}"
    return reader.rows


def test_organisation_page_shows_its_teams_sites_and_services(client: TestClient, loaded: Session) -> None:
    lpt = client.get("/registry/organisations/lpt").text
    assert _table(lpt, "Teams of this organisation") == [
        ["Team", "Beds", "From", "Until"],
        ["Intensive community support team 1", "50", "1 January 2017", "open"],
        ["Intensive community support team 2", "50", "1 January 2017", "1 January 2019"],
    ]
    uhl = client.get("/registry/organisations/uhl").text
    assert _table(uhl, "Sites this organisation ran") == [
        ["Site", "From", "Until"],
        ["Leicester Royal Infirmary -> /registry/sites/lri", "1 April 2000", "open"],
        ["Leicester General Hospital -> /registry/sites/lgh", "1 April 2000", "open"],
        ["St Mary's Hospital -> /registry/sites/st-marys", "1 April 2000", "1 January 2020"],
    ]
    assert _table(uhl, "Services this organisation gave")[1] == [
        "Midwife-led maternity unit",
        "st-marys -> /registry/sites/st-marys",
        "1 April 2000",
        "1 January 2020",
    ]


def test_site_page_shows_who_ran_it_and_its_teams(client: TestClient, loaded: Session) -> None:
    lri = client.get("/registry/sites/lri").text
    assert _table(lri, "Operators of Leicester Royal Infirmary over time") == [
        ["Organisation", "From", "Until", "Source"],
        [
            "Leicester Royal Infirmary NHS Trust -> /registry/organisations/leicester-royal-infirmary-trust",
            "1 April 1993",
            "1 April 2000",
            "public knowledge",
        ],
        [
            "University Hospitals of Leicester NHS Trust -> /registry/organisations/uhl",
            "1 April 2000",
            "open",
            "seed 002",
        ],
    ]
    lgh = client.get("/registry/sites/lgh").text
    assert _table(lgh, "Teams at Leicester General Hospital") == [
        ["Team", "Organisation", "Beds", "From", "Until"],
        [
            "Intensive community support team 1",
            "lpt -> /registry/organisations/lpt",
            "50",
            "1 January 2017",
            "open",
        ],
        [
            "Intensive community support team 2",
            "lpt -> /registry/organisations/lpt",
            "50",
            "1 January 2017",
            "1 January 2019",
        ],
    ]


def test_area_page_lists_who_was_responsible_or_says_nobody_is(client: TestClient, loaded: Session) -> None:
    leicester = _table(
        client.get("/registry/areas/leicester").text, "Bodies responsible for Leicester over time"
    )
    assert leicester[0] == ["Organisation", "Kind", "Role", "From", "Until", "Source"]
    assert [
        "Eastern Leicester PCT -> /registry/organisations/eastern-leicester-pct",
        "Primary care trust",
        "primary care",
        "1 April 2002",
        "1 October 2006",
        "seed 002",
    ] in leicester
    rutland = _table(client.get("/registry/areas/rutland").text, "Bodies responsible for Rutland over time")
    assert rutland[1:] == [["No body is recorded for Rutland itself; see the areas it is part of."]]
