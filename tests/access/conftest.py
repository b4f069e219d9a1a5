"""Access fixtures: the registry organisations users belong to, and users of each role."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session, sessionmaker

from joinedup.access import service
from joinedup.access.policy import PatientContext, Principal
from joinedup.registry import service as registry
from joinedup.settings import Settings
from joinedup.web.auth import Access, current_principal
from joinedup.web.deps import DbSession

ORGANISATIONS = Path(__file__).resolve().parent / "data" / "organisations.toml"
SETTINGS = Settings(database_url="sqlite://", secret_key=f"access-tests-{uuid.uuid4().hex}")
PATIENT = PatientContext(nhs_number="9990000018", registered_practice_ods="Y90001")


def patient_router(prefix: str) -> APIRouter:
    """A route that reads one patient as the record area will: through the caller's `Access`."""
    router = APIRouter()

    @router.get(f"{prefix}/patients/{{nhs_number}}")
    def read_patient(nhs_number: str, session: DbSession, caller: Access) -> dict[str, bool]:
        decision = caller.authorise(session, "read", "Patient", resource_id=nhs_number, patient=PATIENT)
        return {"break_glass": decision.break_glass}

    return router


@pytest.fixture(scope="session")
def shared_app() -> FastAPI:
    """One app for every access test (building one costs about a second); each test gives it its sessions."""
    from joinedup.web.app import create_app

    app = create_app(SETTINGS)
    for prefix in ("/api/test", "/fhir/test"):
        app.include_router(patient_router(prefix), dependencies=[Depends(current_principal)])
    return app


@pytest.fixture
def test_settings() -> Settings:
    return SETTINGS


@pytest.fixture
def app(shared_app: FastAPI, sessions: sessionmaker[Session]) -> FastAPI:
    """The shared app over this test's rolled-back sessions."""
    shared_app.state.sessions = sessions
    return shared_app


MakeUser = Callable[..., Principal]


@pytest.fixture
def organisations(session: Session) -> Session:
    """The session with two demo practices, UHL and LPT in the registry (committed to a savepoint)."""
    registry.load_file(session, ORGANISATIONS)
    session.commit()
    return session


@pytest.fixture
def make_user(organisations: Session) -> MakeUser:
    """Add a user and return the policy's view of them (a page session, no token scopes)."""

    def make(username: str, role: str, org: str | None = None, **extra: Any) -> Principal:
        data = {"username": username, "role": role, "organisation_ods": org, **extra}
        user = service.create_user(organisations, data, actor=None)
        organisations.commit()
        return service.principal_of(user)

    return make


PASSWORD = "a-long-test-password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(client: TestClient, path: str = "/login") -> str:
    """The CSRF token of the form on `path`, as a browser would find it."""
    found = CSRF.search(client.get(path).text)
    assert found is not None, f"no CSRF token on {path}"
    return found.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD, next: str = "") -> Response:
    """Fill in and send the log-in form."""
    data = {"username": username, "password": password, "next": next, "csrf_token": csrf_from(client)}
    return client.post("/login", data=data, follow_redirects=False)
