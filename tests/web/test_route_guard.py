"""Every route in the app refuses a caller with no token and no session, unless its mount is public.

The test walks the app's own route table, so a route added tomorrow is checked tomorrow without anyone
remembering to write a test for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from joinedup.settings import Settings
from joinedup.web.auth import current_principal, public

# Routes FastAPI and Starlette add themselves (documentation and static files): open by design.
FRAMEWORK_PATHS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static"}
# Where a public route may live: reference data, health, log-in, public voice, FHIR's capability statement.
PUBLIC_PREFIXES = (
    "/healthz",
    "/login",
    "/static/",
    "/api/registry/",
    "/registry",
    "/voice",
    "/api/voice/feedback",
    "/api/voice/stories",
    "/api/voice/consultations",
    "/fhir/r4/metadata",
)
PUBLIC_EXACT = {"/"}
PARAM = re.compile(r"\{[^}]+\}")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """The walk is about the web layer, so one backend is enough."""
    return sqlite_engine


@pytest.fixture(scope="module")
def route_table() -> FastAPI:
    """The app, for questions about its route table alone (no database needed)."""
    from joinedup.web.app import create_app

    return create_app(Settings(database_url="sqlite://", secret_key="route-table-" + "x" * 32))


def _dependency_calls(dependant: object) -> Iterator[object]:
    for sub in getattr(dependant, "dependencies", []):
        yield sub.call
        yield from _dependency_calls(sub)


def api_routes(app: FastAPI) -> list[tuple[str, str, bool, bool]]:
    """(method, path, is public, checks the caller) for every API route of the app, however mounted."""
    found = []
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute):
            continue
        calls = set(_dependency_calls(route.dependant))
        for method in sorted(route.methods or ()):
            found.append((method, str(route.path), public in calls, current_principal in calls))
    return found


def test_only_framework_routes_are_outside_the_router_table(route_table: FastAPI) -> None:
    routes = iter_route_contexts(route_table.routes)
    others = {str(r.path) for r in routes if not isinstance(r.original_route, APIRoute)}
    assert others <= FRAMEWORK_PATHS


def test_every_route_is_public_or_checks_the_caller(route_table: FastAPI) -> None:
    unguarded = [(m, p) for m, p, is_public, checked in api_routes(route_table) if not (is_public or checked)]
    assert unguarded == []


def test_public_routes_are_only_where_public_routes_belong(route_table: FastAPI) -> None:
    public_routes = [(m, p) for m, p, is_public, _ in api_routes(route_table) if is_public]
    assert ("GET", "/login") in public_routes and ("GET", "/healthz") in public_routes
    stray = [(m, p) for m, p in public_routes if p not in PUBLIC_EXACT and not p.startswith(PUBLIC_PREFIXES)]
    assert stray == [], "a public route outside the agreed places: mark it public on purpose, and add it here"


def test_every_guarded_route_refuses_a_caller_without_token_or_session(
    app: FastAPI, client: TestClient
) -> None:
    login = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token is not None
    guarded = [(m, p) for m, p, is_public, _ in api_routes(app) if not is_public]
    assert len(guarded) > 10
    let_through = []
    for method, path in guarded:
        url = PARAM.sub("1", path)
        is_api = url.startswith(("/api/", "/fhir/"))
        kwargs: dict[str, object] = {"follow_redirects": False}
        if method in UNSAFE:
            kwargs.update({"json": {}} if is_api else {"data": {"csrf_token": token.group(1)}})
        response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
        if is_api:
            refused = response.status_code == 401
        else:
            location = response.headers.get("location", "")
            refused = response.status_code == 401 or (
                response.status_code == 303 and location.startswith("/login?next=")
            )
        if not refused:
            let_through.append((method, path, response.status_code))
    assert let_through == []


def test_an_api_refusal_says_how_to_authenticate(client: TestClient) -> None:
    response = client.get("/api/access/me")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]


def test_a_page_refusal_sends_the_browser_to_log_in_and_back(client: TestClient) -> None:
    response = client.get("/access/audit?outcome=refused", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Faccess%2Faudit%3Foutcome%3Drefused"
