"""Record fixtures: the test registry loaded in the test's rolled-back session.

`builders.py` is registered as the module `record_builders` (tests import it by that name; the FHIR tests
load it the same way).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session


def load_builders() -> None:
    name = "record_builders"
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("builders.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


load_builders()
import record_builders  # noqa: E402


@pytest.fixture
def db(session: Session) -> Session:
    """The session with the test registry loaded."""
    record_builders.load_registry(session)
    return session
