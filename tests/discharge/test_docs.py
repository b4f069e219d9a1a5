"""Every curl example in docs/discharge.md runs against a demo-like server and prints what the doc says."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from fastapi import FastAPI

from joinedup.access import service as access
from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.discharge.demo import create_demo_referrals
from joinedup.record.demo import load_demo_patients
from joinedup.registry import service as registry
from joinedup.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "discharge.md"
USERS = {"CLINICIAN": "demo-clinician", "HOUSING": "demo-housing", "ADAPTATIONS": "demo-adaptations",
         "ANALYST": "demo-analyst"}  # fmt: skip


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, serve: Callable[[FastAPI], AbstractContextManager[str]]
) -> Iterator[dict[str, str]]:
    """Reference data, demo users, demo patients and the discharge demo, served on a free local port."""
    from joinedup.web.app import create_app

    folder = tmp_path_factory.mktemp("discharge-docs")
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = create_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    secret = uuid.uuid4().hex
    with transaction(sessions) as session:
        registry.load_reference_data(session)
        access.create_demo_users(session)
        load_demo_patients(session, count=50, cohort=5)
        create_demo_referrals(session)
    with transaction(sessions) as session:
        tokens = {
            name: access.issue_token(session, username=user, scopes=None, minutes=30, secret=secret)
            for name, user in USERS.items()
        }
    settings = Settings(database_url=url, secret_key=secret, secret_file=folder / "secret")
    with serve(create_app(settings, sessions=sessions)) as base:
        yield {"BASE": f"{base}/api/discharge", **tokens}
    engine.dispose()


def test_every_curl_example_prints_what_the_doc_says(
    demo: dict[str, str], doc_examples: Callable[[Path, dict[str, str], int], None]
) -> None:
    doc_examples(DOC, demo, 4)
