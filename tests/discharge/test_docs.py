"""Every curl example in docs/discharge.md runs against a demo-like server and prints what the doc says."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from joinedup.access import service as access
from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.discharge.demo import create_demo_referrals
from joinedup.record.demo import load_demo_patients
from joinedup.registry import service as registry
from joinedup.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "discharge.md"
BLOCK = re.compile(r"```bash\n(.*?)```(?:\n\n```text\n(.*?)```)?", re.S)
USERS = {"CLINICIAN": "demo-clinician", "HOUSING": "demo-housing", "ADAPTATIONS": "demo-adaptations",
         "ANALYST": "demo-analyst"}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
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
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, sessions=sessions), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield {"BASE": f"http://127.0.0.1:{port}/api/discharge", **tokens}
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def test_every_curl_example_prints_what_the_doc_says(demo: dict[str, str]) -> None:
    blocks = BLOCK.findall(DOC.read_text())
    assert len(blocks) >= 4
    script = "".join(f"{code}\necho '@@end of example {n}'\n" for n, (code, _) in enumerate(blocks))
    run = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={**os.environ, **demo},
        capture_output=True,
        text=True,
        timeout=120,
    )
    outputs = re.split(r"@@end of example \d+\n", run.stdout)
    for n, (code, expected) in enumerate(blocks):
        for line in expected.strip().splitlines():
            assert line in outputs[n], (
                f"example {n} printed {outputs[n]!r}, not {line!r}\n{code}\n{run.stderr}"
            )
