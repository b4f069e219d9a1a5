"""FHIR API fixtures: the test registry, one user per kind of caller, and bearer tokens for them."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.settings import Settings

BUILDERS = Path(__file__).resolve().parents[1] / "record" / "builders.py"
if "record_builders" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("record_builders", BUILDERS)
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["record_builders"] = _module
    _spec.loader.exec_module(_module)

import record_builders  # noqa: E402

USERS = {
    "gp-a": ("gp", "Y90001", {}),
    "gp-b": ("gp", "Y90002", {}),
    "clinician": ("hospital clinician", "RWE", {}),
    "analyst": ("analyst", None, {}),
    "device-1": ("device", "RT5", {}),
    "privacy": ("privacy officer", None, {}),
    "patient-a": ("patient", None, {"nhs_number": record_builders.NUMBERS[0]}),
}
FHIR = "application/fhir+json"


@pytest.fixture
def fhir_db(session: Session) -> Session:
    """Registry and users stored and visible to the app's sessions."""
    record_builders.load_registry(session)
    for username, (role, ods, extra) in USERS.items():
        access.create_user(
            session, {"username": username, "role": role, "organisation_ods": ods, **extra}, actor=None
        )
    session.commit()
    return session


@pytest.fixture
def token(fhir_db: Session, test_settings: Settings) -> Callable[..., str]:
    """A bearer token for a test user (default scopes of their role unless given)."""

    def issue(username: str, scopes: list[str] | None = None) -> str:
        value = access.issue_token(
            fhir_db, username=username, scopes=scopes, minutes=30, secret=test_settings.signing_key
        )
        fhir_db.commit()
        return value

    return issue


@pytest.fixture
def as_user(client: TestClient, token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """Headers for a request by `username` (plus any extra headers)."""

    def headers(username: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(username)}", "Content-Type": FHIR, **extra}

    return headers
