"""PostgreSQL connections from the pool: one BEGIN at checkout both proves them alive and opens the
transaction (joinedup.db._begin_on_checkout)."""

import os
from collections.abc import Iterator

import pytest
from psycopg import pq
from sqlalchemy import text
from sqlalchemy.engine import Engine

from joinedup.db import create_engine

POSTGRES_URL = os.environ.get(
    "JOINEDUP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def pg() -> Iterator[Engine]:
    engine = create_engine(POSTGRES_URL, pool_size=1, max_overflow=0)
    try:
        yield engine
    finally:
        engine.dispose()


def test_a_checked_out_connection_is_already_in_its_transaction(pg: Engine) -> None:
    with pg.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        assert raw.pgconn.transaction_status == pq.TransactionStatus.INTRANS  # before any statement
        started = conn.execute(text("SELECT now() = transaction_timestamp()")).scalar_one()
        assert started is True


def test_a_connection_the_server_dropped_is_replaced_at_checkout(pg: Engine) -> None:
    with pg.connect() as conn:
        first = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
    finally:
        admin.dispose()
    with pg.connect() as conn:  # the pooled connection is dead: the checkout notices, the pool reconnects
        second = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert second != first


def test_work_is_committed_and_the_connection_returns_idle(pg: Engine) -> None:
    name = "pool_check_marker"
    with pg.begin() as conn:
        conn.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {name} (n int)"))  # kept by the pooled session
        conn.execute(text(f"INSERT INTO {name} VALUES (1)"))
    with pg.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() == 1
        conn.rollback()
        raw = conn.connection.dbapi_connection
        assert raw is not None and raw.pgconn.transaction_status == pq.TransactionStatus.IDLE
