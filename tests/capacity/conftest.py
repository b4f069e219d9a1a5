"""Capacity fixtures: the small registry slice (three pools) and users who may or may not report beds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.registry import service as registry
from joinedup.settings import Settings

REGISTRY_DATA = Path(__file__).resolve().parents[1] / "registry" / "data"


@pytest.fixture
def pools(session: Session) -> Session:
    """LRI acute (1000 beds from 2020), LGH acute (430 until 2020) and the virtual hospital (256)."""
    registry.load_file(session, REGISTRY_DATA / "england.toml")
    registry.load_file(session, REGISTRY_DATA / "llr.toml")
    session.commit()
    return session


@pytest.fixture
def bearer(pools: Session, test_settings: Settings) -> Callable[[str], dict[str, str]]:
    """Authorization headers for a new user of `role` at UHL."""

    def headers(role: str) -> dict[str, str]:
        username = f"user-{role.replace(' ', '-')}"
        access.create_user(pools, {"username": username, "role": role, "organisation_ods": "RWE"}, actor=None)
        token = access.issue_token(
            pools, username=username, scopes=None, minutes=5, secret=test_settings.signing_key
        )
        pools.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers
