"""Discharge fixtures: the test hospital (see world.py) in the test's rolled-back session, and API users."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy.orm import Session

from joinedup.settings import Settings


def load_world() -> ModuleType:
    path = Path(__file__).resolve().parent / "world.py"
    spec = importlib.util.spec_from_file_location("discharge_world", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["discharge_world"] = module
    spec.loader.exec_module(module)
    return module


world_module = load_world()


@pytest.fixture
def world(session: Session) -> object:
    """Patients at the test practice: two in hospital at the LRI, one at the LGH, one at home."""
    return world_module.build_world(session)


@pytest.fixture
def committed_world(session: Session) -> object:
    """The test hospital, committed so the app's own sessions see it."""
    built = world_module.build_world(session)
    session.commit()
    return built


USERS = {
    "clinician": {"role": "hospital clinician", "organisation_ods": "RWE"},
    "lpt-clinician": {"role": "hospital clinician", "organisation_ods": "RT5"},
    "housing": {"role": "discharge support", "team_ids": ["lri-housing-support-officers"]},
    "blaby": {"role": "discharge support", "team_ids": ["blaby-housing-adaptations-team"]},
    "analyst": {"role": "analyst"},
}


@pytest.fixture
def bearer(
    committed_world: object, session: Session, test_settings: Settings
) -> Callable[[str], dict[str, str]]:
    """Authorization headers for a user: `bearer("clinician")` (UHL), "housing", "blaby", "analyst"..."""
    from joinedup.access import service as access

    def headers(who: str) -> dict[str, str]:
        username = f"api-{who}"
        if access.get_user(session, username) is None:
            access.create_user(session, {"username": username, **USERS[who]}, actor=None)
        token = access.issue_token(
            session, username=username, scopes=None, minutes=5, secret=test_settings.signing_key
        )
        session.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers
