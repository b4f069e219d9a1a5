"""Every curl example in docs/fhir.md runs against a demo-like server and prints what the doc says."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from fastapi import FastAPI

from joinedup.access import service as access
from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.record.demo import load_demo_patients
from joinedup.registry import service as registry
from joinedup.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "fhir.md"


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, serve: Callable[[FastAPI], AbstractContextManager[str]]
) -> Iterator[dict[str, str]]:
    """Reference data, the demo users and a few demo patients, served over HTTP on a free local port."""
    from joinedup.web.app import create_app

    folder = tmp_path_factory.mktemp("fhir-docs")
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = create_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    secret = uuid.uuid4().hex
    with transaction(sessions) as session:
        registry.load_reference_data(session)
        access.create_demo_users(session)
        load_demo_patients(session, count=6, cohort=2)
    with transaction(sessions) as session:
        tokens = {
            name: access.issue_token(session, username=name, scopes=None, minutes=30, secret=secret)
            for name in ("demo-gp", "demo-clinician")
        }
    settings = Settings(database_url=url, secret_key=secret, secret_file=folder / "secret")
    with serve(create_app(settings, sessions=sessions)) as base:
        yield {"BASE": f"{base}/fhir/r4", "TOKEN": tokens["demo-gp"], "CLINICIAN": tokens["demo-clinician"]}
    engine.dispose()


def test_every_curl_example_prints_what_the_doc_says(
    demo: dict[str, str], doc_examples: Callable[[Path, dict[str, str], int], None]
) -> None:
    doc_examples(DOC, demo, 8)
