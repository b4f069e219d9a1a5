"""Registry fixtures: the small England and LLR test files, loaded into the test's rolled-back session."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from joinedup.registry import service

DATA = Path(__file__).resolve().parent / "data"
ENGLAND = DATA / "england.toml"
LLR = DATA / "llr.toml"


@pytest.fixture
def loaded(session: Session) -> Session:
    """The session with the England slice and the LLR slice loaded (and visible to the app's sessions)."""
    service.load_file(session, ENGLAND)
    service.load_file(session, LLR)
    session.commit()
    return session
