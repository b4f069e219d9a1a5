"""SQLite writers that read first: a unit of work that writes takes the write lock at BEGIN, so a commit made
by another connection after its first read never refuses its first write (SQLITE_BUSY_SNAPSHOT)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from joinedup.db import create_engine, session_factory, transaction
from joinedup.web.deps import DbSession


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine: Engine = create_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def _read_then_write(sessions: sessionmaker[Session], *, writes: bool) -> None:
    with transaction(sessions, writes=writes) as session:
        seen = session.execute(text("SELECT n FROM counter")).scalar_one()
        with transaction(sessions, writes=True) as other:  # another writer commits meanwhile
            other.execute(text("UPDATE counter SET n = n + 1"))
        session.execute(text("UPDATE counter SET n = :n"), {"n": seen + 10})


def test_a_reader_that_turns_writer_is_refused_after_another_commit(sessions: sessionmaker[Session]) -> None:
    """SQLite's rule, which the write lock at BEGIN exists for."""
    with pytest.raises(OperationalError, match="locked"):
        _read_then_write(sessions, writes=False)


def test_a_writer_holds_the_write_lock_from_begin(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions, writes=True) as session:
        session.execute(text("SELECT n FROM counter")).scalar_one()
        raw = session.connection().connection.driver_connection
        assert raw is not None
        other = sessions.kw["bind"].raw_connection()
        try:
            other.execute("PRAGMA busy_timeout=0")
            with pytest.raises(Exception, match="locked"):  # the write lock is already taken
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def test_requests_that_may_write_begin_as_writers(sessions: sessionmaker[Session]) -> None:
    app = FastAPI()
    app.state.sessions = sessions
    begun: dict[str, bool] = {}

    def holds_write_lock(session: Session) -> bool:
        session.execute(text("SELECT 1"))
        other = sessions.kw["bind"].raw_connection()
        try:
            other.execute("PRAGMA busy_timeout=0")
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return False
        except Exception:
            return True
        finally:
            other.close()

    @app.get("/x")
    def read(session: DbSession) -> None:
        begun["GET"] = holds_write_lock(session)

    @app.post("/x")
    def write(session: DbSession) -> None:
        begun["POST"] = holds_write_lock(session)

    with TestClient(app) as client:
        assert client.get("/x").status_code == 200
        assert client.post("/x").status_code == 200
    assert begun == {"GET": False, "POST": True}
