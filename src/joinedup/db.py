"""Engine, sessions, the declarative Base and migrations; SQLite and PostgreSQL specifics live here only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg import pq
from sqlalchemy import BigInteger, DateTime, Integer, MetaData, TypeDecorator, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.expression import Executable

from joinedup.areas import optional_module

# Every area's tables; migrations and tests import these so Base.metadata knows every table.
MODEL_MODULES = (
    "joinedup.registry.models",
    "joinedup.access.models",
    "joinedup.record.models",
    "joinedup.wards.models",
    "joinedup.monitoring.models",
    "joinedup.capacity.models",
    "joinedup.plan.models",
    "joinedup.voice.models",
    "joinedup.discharge.models",
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigKey = BigInteger().with_variant(Integer(), "sqlite")


def naive_utc(moment: datetime) -> datetime:
    """An instant as the naive UTC `UtcInstant` stores (for writers that bypass its bind processing)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


class UtcInstant(TypeDecorator[datetime]):
    """An instant stored as naive UTC on both backends and read back timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"instant {value.isoformat()} has no timezone")
        return naive_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every joinedup table."""

    metadata = MetaData(naming_convention=NAMING)


def load_models() -> None:
    """Import every area's models that exists, so Base.metadata is complete."""
    for name in MODEL_MODULES:
        # Only an absent area is skipped; a broken import inside an area still fails loudly.
        optional_module(name)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN itself (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


_SQLITE_BEGIN = "sqlite_begin"
WRITES: dict[str, Any] = {_SQLITE_BEGIN: "IMMEDIATE"}
"""Execution options of a session that will write. SQLite refuses a transaction's first write at once if
another connection holds the write lock or committed after its first read (SQLITE_BUSY, BUSY_SNAPSHOT: no
busy timeout waits for a reader), so a transaction that reads and then writes takes the write lock at BEGIN
instead, waiting its turn there. Reading sessions begin without it, so a long read never holds the
database's one writer up."""


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_SQLITE_BEGIN) == "IMMEDIATE"
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _begin_on_checkout(dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: Any) -> None:
    """Prove a pooled PostgreSQL connection alive with the BEGIN its first statement needs anyway.

    psycopg opens a transaction with a BEGIN of its own before the first statement, and a liveness check
    at checkout (SQLAlchemy's pre-ping) is another round trip: this one statement does both. A dead
    connection raises DisconnectionError, so the pool drops it and checks out another.
    """
    pgconn = dbapi_connection.pgconn
    if pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return
    try:
        result = pgconn.exec_(b"BEGIN")
    except psycopg.Error as exc:
        raise DisconnectionError(f"connection lost: {exc}") from exc
    if result.status != pq.ExecStatus.COMMAND_OK:
        message = (result.error_message or b"").decode(errors="replace").strip()
        raise DisconnectionError(f"connection lost: {message or pgconn.status.name}")


def json_text(value: Any) -> str:
    """JSON as stored in JSON columns: compact UTF-8 (orjson: the record's bodies are most of a search's
    and a write's JSON work)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`: SQLite gets foreign keys and WAL; PostgreSQL uses psycopg 3."""
    kwargs.setdefault("json_serializer", json_text)
    kwargs.setdefault("json_deserializer", orjson.loads)
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
        engine = sa_create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = sa_create_engine(parsed, **kwargs)
    if engine.dialect.driver == "psycopg":
        event.listen(engine, "checkout", _begin_on_checkout)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that never expire loaded objects on commit (pages render after the commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def flushed_connection(session: Session) -> Connection:
    """The session's connection, after the flush a session query would make first (pending changes are seen):
    for plain-row reads without a session query's per-row ORM work."""
    if session.autoflush:
        session.flush()
    return session.connection()


def read_rows(session: Session, statement: Executable, params: dict[str, Any] | None = None) -> Iterable[Any]:
    """Run a read of columns on the session's connection (`flushed_connection`): plain rows."""
    return flushed_connection(session).execute(statement, params)


@contextmanager
def transaction(factory: sessionmaker[Session], *, writes: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error. Edges own this; services never commit.
    `writes`: it reads and then writes, so on SQLite it begins holding the write lock (see WRITES)."""
    session = factory(execution_options=WRITES) if writes else factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def unit_of_work(*, writes: bool = True) -> Iterator[Session]:
    """A command's one transaction on a fresh engine for JOINEDUP_DATABASE_URL, disposed afterwards. Commands
    run beside a serving joinedup, so by default they take SQLite's write lock at BEGIN (see WRITES)."""
    from joinedup.settings import get_settings

    engine = create_engine(get_settings().database_url)
    try:
        with transaction(session_factory(engine), writes=writes) as session:
            yield session
    finally:
        engine.dispose()


def alembic_config(engine: Engine) -> Any:
    """An Alembic Config bound to `engine`'s connection (so schemas set on the engine are honoured)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database at `engine` to the newest schema."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
