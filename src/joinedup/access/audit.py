"""The append-only audit log: each entry chained to the one before by SHA-256 over a canonical JSON form.

hash(n) = SHA-256(canonical JSON of entry n, including prev_hash = hash(n-1)); the first entry follows a
genesis hash of 64 zeros, and a one-row head holds the newest number and hash. Editing an entry breaks its
hash; deleting, inserting or reordering breaks the next entry's prev_hash; cutting off the tail disagrees
with the head. Appends are serialised by the head row's lock (every append moves the head first; SQLite
has one writer anyway) so the chain never forks. The lock is the head row's own, not a database-wide one,
so schemas or databases sharing a PostgreSQL server never wait for each other.

Each engine remembers the head it last wrote. An append first tries to follow that head in one statement
that moves the head only if it still holds that number and hash (so a stale memory writes nothing), and
falls back to reading the head when another writer (or a rollback) moved it. The chain is the same either
way; the memory saves a round trip per append on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import sqlite3
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Engine, Select, Table, bindparam, event, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from joinedup.access.models import AuditEntry, AuditHead

GENESIS_HASH = "0" * 64
CHAINED_FIELDS = (
    "seq", "entry_id", "recorded_at", "event", "username", "role", "organisation_ods", "action",
    "resource_type", "resource_id", "patient_nhs_number", "outcome", "reason", "break_glass",
    "request_id", "source_address", "prev_hash",
)  # fmt: skip
_PENDING = "joinedup.access.pending_refusals"
_RECHECK = "joinedup.access.recheck_refusals"
_QUEUED = "joinedup.access.queued_entries"
log = logging.getLogger(__name__)
# Statements built once (appends are on every patient-data request, so their Python cost matters).
_HEAD = cast(Table, AuditHead.__table__)
_SET_HEAD_HASH = update(_HEAD).where(_HEAD.c.id == 1).values(hash=bindparam("new_hash"))
_ENTRIES = cast(Table, AuditEntry.__table__)
_INSERT_ENTRY = _ENTRIES.insert()
# One entry: driver SQL written once, values bound as the columns' types would bind them. Moving the head
# locks its row (PostgreSQL) or the database (SQLite's one writer) before the head is read, so two appends
# never follow the same entry. Following the remembered head moves it only if it still holds the expected
# number and hash, and writes the entry only if it moved. PostgreSQL: one round trip to follow, two after
# reading the head; SQLite: two statements, three.
_COLUMNS = tuple(c.name for c in _ENTRIES.c)
_PG_VALUES = ", ".join(["%s"] * len(_COLUMNS))
_PG_ADVANCE_SQL = f"UPDATE {_HEAD.name} SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash"
_PG_INSERT_AND_SET_HEAD_SQL = (
    f"WITH entry AS (INSERT INTO {_ENTRIES.name} ({', '.join(_COLUMNS)}) VALUES ({_PG_VALUES}))"
    f" UPDATE {_HEAD.name} SET hash = %s WHERE id = 1"
)
_PG_FOLLOW_SQL = (
    f"WITH followed AS (UPDATE {_HEAD.name} SET seq = seq + 1, hash = %s"
    " WHERE id = 1 AND seq = %s AND hash = %s RETURNING seq)"
    f" INSERT INTO {_ENTRIES.name} ({', '.join(_COLUMNS)}) SELECT {_PG_VALUES} FROM followed RETURNING seq"
)
_SQLITE_ADVANCE_SQL = _PG_ADVANCE_SQL
_SQLITE_SET_HASH_SQL = f"UPDATE {_HEAD.name} SET hash = ? WHERE id = 1"
_SQLITE_FOLLOW_HEAD_SQL = (
    f"UPDATE {_HEAD.name} SET seq = seq + 1, hash = ? WHERE id = 1 AND seq = ? AND hash = ?"
)
_SQLITE_INSERT_SQL = (
    f"INSERT INTO {_ENTRIES.name} ({', '.join(_COLUMNS)}) VALUES ({', '.join(['?'] * len(_COLUMNS))})"
)
_BINDERS: dict[str, tuple[Callable[[Any], Any] | None, ...]] = {}
# Several entries at once: move the head by :n under the lock, returning the new number and the old hash.
_RESERVE = update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq + bindparam("n"))
_RESERVE_RETURNING = _RESERVE.returning(_HEAD.c.seq, _HEAD.c.hash)
# The head each engine last wrote (number, hash): a hint only, checked by the statement that uses it.
_LAST_HEAD: weakref.WeakKeyDictionary[Engine, tuple[int, str]] = weakref.WeakKeyDictionary()
# After a stale hint (another process appends too), this many appends read the head before trying again,
# so busy concurrent writers pay the wasted statement on one append in nine at most.
STALE_PAUSE = 8
_SQLITE_BUSY = 5  # with its extended codes (BUSY_SNAPSHOT = 517: the read snapshot predates a commit)
_PAUSED: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class AuditRecord:
    """What happened, as the caller knows it; `append` adds number, time and hashes."""

    event: str
    username: str
    role: str | None
    organisation_ods: str | None
    action: str
    outcome: str
    reason: str
    resource_type: str | None = None
    resource_id: str | None = None
    patient_nhs_number: str | None = None
    break_glass: bool = False
    request_id: str | None = None
    source_address: str | None = None


@dataclass(frozen=True)
class ChainReport:
    """The result of walking the chain: how many entries, the newest hash, and the first break (if any)."""

    entries: int
    last_hash: str
    broken_seq: int | None = None
    problem: str | None = None
    entry: dict[str, Any] | None = None

    @property
    def is_intact(self) -> bool:
        return self.problem is None


def new_entry_id() -> str:
    """A new entry's id: 32 hex digits, the time in milliseconds then 80 random bits. Its unique index then
    grows at its end, as the log does, instead of taking a random page on every append (as a UUID4 would)."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def canonical_form(entry: Mapping[str, Any]) -> bytes:
    """The bytes hashed: chained fields only, sorted keys, no spaces, UTC instants to the microsecond."""
    fields = {name: entry.get(name) for name in CHAINED_FIELDS}
    recorded_at = entry["recorded_at"]
    assert isinstance(recorded_at, datetime)
    fields["recorded_at"] = recorded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of an entry's canonical form, which includes the previous entry's hash."""
    return hashlib.sha256(canonical_form(entry)).hexdigest()


def append(
    session: Session, record: AuditRecord, *, now: datetime | None = None, entry_id: str | None = None
) -> dict[str, Any]:
    """Add `record` as the next entry of the chain, in the caller's transaction; returns the stored row."""
    write_queued(session)  # entries held for the commit were decided first: they go first
    row: dict[str, Any] = {
        **vars(record),
        "seq": 0,
        "entry_id": entry_id or new_entry_id(),
        "recorded_at": now or datetime.now(UTC),
        "prev_hash": GENESIS_HASH,
    }
    _as_first_write(session, lambda connection: _append_one(connection, row))
    return row


def _append_one(connection: Connection, row: dict[str, Any]) -> None:
    engine = connection.engine
    remembered = _LAST_HEAD.get(engine)
    paused = _PAUSED.get(engine, 0)
    followed = remembered is not None and not paused and _follow(connection, row, *remembered)
    if not followed:
        # Paused: count down. A stale hint just now: pause. No hint yet: nothing to pause.
        _PAUSED[engine] = paused - 1 if paused else (STALE_PAUSE if remembered is not None else 0)
        _append_after_reading_head(connection, row)
    _LAST_HEAD[engine] = (row["seq"], row["hash"])


def _as_first_write(session: Session, write: Callable[[Connection], None]) -> None:
    """Run `write` on the session's connection. On SQLite a transaction that has only read cannot start
    writing while another connection holds the write lock, nor once one has committed since its first
    read (SQLITE_BUSY and SQLITE_BUSY_SNAPSHOT at once: no busy timeout waits for a reader): a read
    request's entry, written at its end, would fail while devices send readings. A transaction refused
    so has written nothing (a writer already holds the lock), so it is begun again waiting for the write
    lock and the entry written there; one with unflushed changes is not (they were made from what it
    read)."""
    connection = session.connection()
    try:
        write(connection)
    except (sqlite3.OperationalError, DBAPIError) as exc:
        if not _sqlite_busy(exc) or session.in_nested_transaction() or _has_pending_changes(session):
            raise
        driver = cast(Any, connection.connection.driver_connection)
        driver.execute("ROLLBACK")
        driver.execute("BEGIN IMMEDIATE")
        write(connection)


def _sqlite_busy(exc: BaseException) -> bool:
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    return getattr(original, "sqlite_errorcode", 0) & 0xFF == _SQLITE_BUSY  # BUSY, BUSY_SNAPSHOT, ...


def _has_pending_changes(session: Session) -> bool:
    return bool(session.new or session.dirty or session.deleted)


def _follow(connection: Connection, row: dict[str, Any], head_seq: int, head_hash: str) -> bool:
    """Write `row` after the remembered head if it is still the head; False (nothing written) if not."""
    row["seq"], row["prev_hash"] = head_seq + 1, head_hash
    row["hash"] = entry_hash(row)
    driver = cast(Any, connection.connection.driver_connection)
    values = _driver_values(connection.dialect, row)
    if connection.dialect.name == "postgresql":
        followed = driver.execute(_PG_FOLLOW_SQL, (row["hash"], head_seq, head_hash, *values))
        return followed.fetchone() is not None
    cursor = driver.cursor()
    try:
        cursor.execute(_SQLITE_FOLLOW_HEAD_SQL, (row["hash"], head_seq, head_hash))
        if cursor.rowcount != 1:
            return False
        cursor.execute(_SQLITE_INSERT_SQL, values)
    finally:
        cursor.close()
    return True


def _driver_values(dialect: Dialect, row: Mapping[str, Any]) -> list[Any]:
    """The entry's values in column order, converted as SQLAlchemy converts them for this dialect."""
    binders = _BINDERS.get(dialect.name)
    if binders is None:
        binders = _BINDERS[dialect.name] = tuple(
            c.type.dialect_impl(dialect).bind_processor(dialect) for c in _ENTRIES.c
        )
    return [
        value if bind is None else bind(value)
        for bind, value in zip(binders, (row[name] for name in _COLUMNS), strict=True)
    ]


def _append_after_reading_head(connection: Connection, row: dict[str, Any]) -> None:
    driver = cast(Any, connection.connection.driver_connection)
    if connection.dialect.name == "postgresql":
        row["seq"], row["prev_hash"] = driver.execute(_PG_ADVANCE_SQL).fetchone()
        row["hash"] = entry_hash(row)
        driver.execute(_PG_INSERT_AND_SET_HEAD_SQL, (*_driver_values(connection.dialect, row), row["hash"]))
        return
    cursor = driver.cursor()
    try:
        row["seq"], row["prev_hash"] = cursor.execute(_SQLITE_ADVANCE_SQL).fetchone()
        row["hash"] = entry_hash(row)
        cursor.execute(_SQLITE_INSERT_SQL, _driver_values(connection.dialect, row))
        cursor.execute(_SQLITE_SET_HASH_SQL, (row["hash"],))
    finally:
        cursor.close()


def append_many(
    session: Session, records: Sequence[AuditRecord], *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Add `records` as the next entries of the chain, in order, in the caller's transaction: the same
    entries as appending them one by one, written with three statements however many there are."""
    when = now or datetime.now(UTC)
    return _append_timed(session, [(record, when, new_entry_id()) for record in records])


def _append_timed(
    session: Session, items: Sequence[tuple[AuditRecord, datetime, str]]
) -> list[dict[str, Any]]:
    """Append (record, time, entry id) items in order: one statement for one, three for several."""
    if len(items) == 1:
        record, when, entry_id = items[0]
        return [append(session, record, now=when, entry_id=entry_id)]
    if not items:
        return []
    rows: list[dict[str, Any]] = []

    def write(connection: Connection) -> None:
        last_seq, prev_hash = connection.execute(_RESERVE_RETURNING, {"n": len(items)}).one()
        seq = last_seq - len(items)
        rows.clear()
        for record, when, entry_id in items:
            seq += 1
            row = {**vars(record), "seq": seq, "entry_id": entry_id, "recorded_at": when}
            row["prev_hash"] = prev_hash
            row["hash"] = prev_hash = entry_hash(row)
            rows.append(row)
        connection.execute(_INSERT_ENTRY, rows)
        connection.execute(_SET_HEAD_HASH, {"new_hash": prev_hash})
        _LAST_HEAD[connection.engine] = (last_seq, prev_hash)

    _as_first_write(session, write)
    return rows


def append_at_commit(
    session: Session, records: Sequence[AuditRecord], *, now: datetime | None = None
) -> None:
    """Record allowed accesses: chained just before the transaction commits (or when the log is read in
    it), in the order given. Appending moves the chain's head, whose lock is then held until commit, so
    other writers would queue behind the rest of this transaction; written last, the lock is held for
    the append and the commit alone, and it is always the last lock a transaction takes. Entries made
    inside a savepoint go with it if it rolls back, as rows written there would."""
    if not records:
        return
    when = now or datetime.now(UTC)
    owner = session.get_nested_transaction() if session.in_nested_transaction() else None
    queue = session.info.setdefault(_QUEUED, [])
    queue.extend((owner, (record, when, new_entry_id())) for record in records)


def write_queued(session: Session) -> None:
    """Chain the entries `append_at_commit` holds for this session's transaction now (not inside a
    savepoint, which could still roll back what is written in it)."""
    if session.in_nested_transaction() or not session.info.get(_QUEUED):
        return
    queued = session.info.pop(_QUEUED)
    _append_timed(session, [item for _owner, item in queued])


def append_refusal(session: Session, record: AuditRecord, *, now: datetime | None = None) -> dict[str, Any]:
    """Append a refusal that must outlive the rollback of the request it refused (see _keep_refusals)."""
    row = append(session, record, now=now)
    session.info.setdefault(_PENDING, []).append((row["entry_id"], record, row["recorded_at"]))
    return row


def verify(session: Session) -> ChainReport:
    """Walk the whole chain in order and report the first entry that was edited, deleted or reordered."""
    table = AuditEntry.__table__
    rows = session.execute(
        select(table).order_by(table.c.seq).execution_options(yield_per=2000)
    ).mappings()  # fmt: skip
    prev_hash, expected_seq = GENESIS_HASH, 1
    for row in rows:
        problem = _problem(dict(row), expected_seq, prev_hash)
        if problem is not None:
            return ChainReport(expected_seq - 1, prev_hash, row["seq"], problem, dict(row))
        prev_hash, expected_seq = row["hash"], expected_seq + 1
    head = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
    head_seq, head_hash = session.execute(head).one()
    last_seq = expected_seq - 1
    if head_seq != last_seq or head_hash != prev_hash:
        problem = f"the log ends at entry {last_seq} but its head says {head_seq}: the tail was removed"
        return ChainReport(last_seq, prev_hash, last_seq + 1, problem, None)
    return ChainReport(last_seq, prev_hash)


def _problem(row: Mapping[str, Any], expected_seq: int, prev_hash: str) -> str | None:
    seq = row["seq"]
    if seq != expected_seq:
        return f"entry {expected_seq} is missing (deleted); the next entry is {seq}"
    if row["prev_hash"] != prev_hash:
        return f"entry {seq} does not follow entry {seq - 1} (an entry was deleted, inserted or reordered)"
    if entry_hash(row) != row["hash"]:
        return f"entry {seq} was altered: its content does not match its hash"
    return None


@event.listens_for(Session, "after_commit")
def _forget_refusals(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_RECHECK, None)


@event.listens_for(Session, "after_commit")
def _forget_queued(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint released: its entries wait for the commit
        session.info.pop(_QUEUED, None)


@event.listens_for(Session, "before_commit")
def _write_queued_before_commit(session: Session) -> None:
    write_queued(session)


@event.listens_for(Session, "do_orm_execute")
def _write_queued_before_reading_the_log(state: ORMExecuteState) -> None:
    """A read of the log in the transaction sees the entries it has made so far."""
    statement = state.statement
    if state.session.info.get(_QUEUED) and isinstance(statement, Select) and _reads_log(statement):
        write_queued(state.session)


def _reads_log(statement: Select[Any]) -> bool:
    # The columns' tables and select_from's, not get_final_froms (which costs ~0.6 ms on an ORM select);
    # is_derived_from sees the table through ORM annotations, aliases and joins.
    froms = (*statement.columns_clause_froms, *statement._from_obj)
    return any(found.is_derived_from(_ENTRIES) for found in froms)


@event.listens_for(Session, "after_soft_rollback")
def _drop_queued(session: Session, rolled_back: SessionTransaction) -> None:
    """Forget entries made inside the transaction or savepoint that rolled back."""
    queue = session.info.get(_QUEUED)
    if not queue:
        return
    if rolled_back.parent is None:
        session.info.pop(_QUEUED, None)
        return
    kept = []
    for owner, item in queue:
        inside = owner
        while inside is not None and inside is not rolled_back:
            inside = inside.parent
        if inside is None:
            kept.append((owner, item))
    session.info[_QUEUED] = kept


@event.listens_for(Session, "after_soft_rollback")
def _keep_refusals(session: Session, previous_transaction: SessionTransaction) -> None:
    """A refusal is raised as an error, so the request's transaction rolls back: write it again apart."""
    if not session.info.get(_PENDING):
        return
    if previous_transaction.nested:
        session.info[_RECHECK] = True
        return
    if previous_transaction.parent is not None:
        return
    pending = session.info.pop(_PENDING)
    session.info.pop(_RECHECK, None)
    try:
        with Session(bind=session.get_bind(), join_transaction_mode="create_savepoint") as apart:
            for entry_id, record, recorded_at in pending:
                append(apart, record, now=recorded_at, entry_id=entry_id)
            apart.commit()
    except Exception:
        log.exception("could not record %d refused access(es) in the audit log", len(pending))


@event.listens_for(Session, "before_commit")
def _rewrite_refusals_lost_to_a_savepoint(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.pop(_RECHECK, False):
        return
    pending = session.info.get(_PENDING, [])
    ids = [entry_id for entry_id, _record, _at in pending]
    present = set(session.scalars(select(AuditEntry.entry_id).where(AuditEntry.entry_id.in_(ids))))
    for entry_id, record, recorded_at in pending:
        if entry_id not in present:
            append(session, record, now=recorded_at, entry_id=entry_id)
