"""A live demo server and headless Chromium (Debian's), for tests that drive pages as a person would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from joinedup.db import session_factory
from joinedup.demo.build import build_demo
from joinedup.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def demo_server(
    tmp_path_factory: pytest.TempPathFactory, serve: Callable[[FastAPI], AbstractContextManager[str]]
) -> Iterator[str]:
    """The whole demo, built fresh in a temporary SQLite file and served on a free local port."""
    from joinedup.web.app import create_app

    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = build_demo(url, report=lambda _line: None)
    settings = Settings(database_url=url, secret_key="browser-test-secret", secret_file=Path(folder / "s"))
    with serve(create_app(settings, sessions=session_factory(engine))) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh page; console errors fail the test (a page that throws is broken for a person)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def quiet_page(page: Any, demo_server: str) -> Iterator[Any]:
    """`page`, failing also on errors logged to the console and on the demo server's own scripts, styles or
    data failing to load. Allowed: a page's own 4xx status (a form shown again with its problems) and fonts
    from assets.nhs.uk, which cannot be reached offline."""
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    def response(answer: Any) -> None:
        own = answer.url.startswith(demo_server) and answer.request.resource_type != "document"
        if own and answer.status >= 400:
            problems.append(f"{answer.status} for {answer.url}")

    def failed(request: Any) -> None:
        if request.url.startswith(demo_server) and request.failure != "net::ERR_ABORTED":
            problems.append(f"{request.failure} for {request.url}")

    page.on("console", console)
    page.on("response", response)
    page.on("requestfailed", failed)
    yield page
    assert not problems, f"errors in the browser: {problems}"
