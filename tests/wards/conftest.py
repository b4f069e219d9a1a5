"""Wards fixtures: the test virtual hospital (see world.py) in the test's rolled-back session."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy.orm import Session


def load_world() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wards_world", Path(__file__).resolve().parent / "world.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["wards_world"] = module
    spec.loader.exec_module(module)
    return module


world_module = load_world()


@pytest.fixture
def world(session: Session) -> object:
    """Registry teams vw-north (50 beds) and vw-small (3 beds); six patients at the test practice."""
    return world_module.build_world(session)


@pytest.fixture
def committed_world(session: Session) -> object:
    """The test world, committed so the app's own sessions see it."""
    built = world_module.build_world(session)
    session.commit()
    return built


@pytest.fixture
def bearer(committed_world: object, session: Session, test_settings: object) -> object:
    """Authorization headers for a user: `bearer("nurse")` (vw-north), "gp", "other-nurse", "analyst"."""
    from joinedup.access import service as access

    users = {
        "nurse": {"role": "virtual-ward nurse", "organisation_ods": "RT5", "team_ids": ["vw-north"]},
        "other-nurse": {"role": "virtual-ward nurse", "organisation_ods": "RT5", "team_ids": ["vw-small"]},
        "gp": {"role": "gp", "organisation_ods": "Y99991"},
        "analyst": {"role": "analyst"},
    }

    def headers(who: str) -> dict[str, str]:
        username = f"api-{who}"
        if access.get_user(session, username) is None:
            access.create_user(session, {"username": username, **users[who]}, actor=None)
        token = access.issue_token(
            session, username=username, scopes=None, minutes=5, secret=test_settings.signing_key
        )  # type: ignore[attr-defined]
        session.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers
