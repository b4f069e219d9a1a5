"""Shared fixtures: every service test runs on SQLite and on PostgreSQL, each case rolled back."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
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


@pytest.fixture(scope="session")
def postgresql_engine() -> Iterator[Engine]:
    """A schema of its own for this run (and this xdist worker), dropped at the end."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
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
