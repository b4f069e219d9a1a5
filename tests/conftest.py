"""Shared fixtures: every service test runs on SQLite and on PostgreSQL, each case rolled back."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from joinedup.db import create_engine, upgrade
from joinedup.settings import Settings

POSTGRES_URL = os.environ.get(
    "JOINEDUP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("db") / "joinedup-test.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `joinedup ARGS` in-process (stdin from `stdin`); (exit code, stdout, stderr)."""

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        from joinedup.cli import main

        old_argv, old_stdin = sys.argv, sys.stdin
        sys.argv, sys.stdin = ["joinedup", *args], io.StringIO(stdin)
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            sys.argv, sys.stdin = old_argv, old_stdin
        out, err = capsys.readouterr()
        return code, out, err

    return run


@contextmanager
def migrated_schema(prefix: str = "t") -> Iterator[Engine]:
    """A PostgreSQL schema of its own, migrated, with an engine whose commits are real; dropped after."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgresql_engine() -> Iterator[Engine]:
    """A schema of its own for this run (and this xdist worker), dropped at the end."""
    with migrated_schema() as engine:
        yield engine


@pytest.fixture
def committed_engine(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A database of the test's backend whose commits are real (for concurrent writers), dropped after."""
    if engine.dialect.name == "sqlite":
        fresh = create_engine(f"sqlite:///{tmp_path / 'committed.db'}")
        upgrade(fresh)
        yield fresh
        fresh.dispose()
        return
    with migrated_schema() as fresh:
        yield fresh


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Engine:
    """The migrated database of one backend (the test runs once per backend)."""
    value: Engine = request.getfixturevalue(f"{request.param}_engine")
    return value


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield conn
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits are savepoints inside the test's rolled-back transaction."""
    return sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    s = sessions()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture(scope="session")
def test_settings() -> Settings:
    return Settings(database_url="sqlite://", secret_key="test-" + uuid.uuid4().hex)


@pytest.fixture(scope="session")
def shared_app(test_settings: Settings) -> FastAPI:
    """One app for the run (building one costs about a second); each test gives it its own sessions."""
    from joinedup.web.app import create_app

    return create_app(test_settings)


@pytest.fixture
def app(shared_app: FastAPI, sessions: sessionmaker[Session]) -> FastAPI:
    """The shared app over this test's rolled-back sessions."""
    shared_app.state.sessions = sessions
    return shared_app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@contextmanager
def _served(app: FastAPI) -> Iterator[str]:
    """`app` served by uvicorn in a thread on a free local port; yields its base URL, stops it after."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def serve() -> Callable[[FastAPI], AbstractContextManager[str]]:
    """Serve an app over real HTTP for as long as the `with` block lasts."""
    return _served


DOC_EXAMPLE = re.compile(r"```bash\n(.*?)```(?:\n\n```text\n(.*?)```)?", re.S)


def _run_doc_examples(doc: Path, env: dict[str, str], at_least: int) -> None:
    """Run every bash block of `doc` in one shell; each line of the text block after it must be printed."""
    blocks = DOC_EXAMPLE.findall(doc.read_text())
    assert len(blocks) >= at_least
    script = "".join(f"{code}\necho '@@end of example {n}'\n" for n, (code, _) in enumerate(blocks))
    run = subprocess.run(
        ["bash", "-c", script],
        cwd=doc.parents[1],
        env={**os.environ, **env},
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


@pytest.fixture(scope="session")
def doc_examples() -> Callable[[Path, dict[str, str], int], None]:
    """Check that every curl example of a doc prints what the doc says it prints."""
    return _run_doc_examples
