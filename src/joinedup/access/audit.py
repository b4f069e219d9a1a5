"""The append-only audit log: each entry chained to the one before by SHA-256 over a canonical JSON form.

hash(n) = SHA-256(canonical JSON of entry n, including prev_hash = hash(n-1)); the first entry follows a
genesis hash of 64 zeros, and a one-row head holds the newest number and hash. Editing an entry breaks its
hash; deleting, inserting or reordering breaks the next entry's prev_hash; cutting off the tail disagrees
with the head. Appends are serialised (a PostgreSQL advisory lock, SQLite's single writer) so the chain
never forks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, event, func, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction

from joinedup.access.models import AuditEntry, AuditHead

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key for audit appends: "joinedup" read as eight bytes, folded into a signed bigint.
ADVISORY_LOCK_KEY = int.from_bytes(b"joinedup", "big") - 2**63
CHAINED_FIELDS = (
    "seq", "entry_id", "recorded_at", "event", "username", "role", "organisation_ods", "action",
    "resource_type", "resource_id", "patient_nhs_number", "outcome", "reason", "break_glass",
    "request_id", "source_address", "prev_hash",
)  # fmt: skip
_PENDING = "joinedup.access.pending_refusals"
_RECHECK = "joinedup.access.recheck_refusals"
log = logging.getLogger(__name__)
# Statements built once (appends are on every patient-data request, so their Python cost matters).
_HEAD = cast(Table, AuditHead.__table__)
_ADVANCE_HEAD = (
    update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq + 1).returning(_HEAD.c.seq, _HEAD.c.hash)
)
_SET_HEAD_HASH = update(_HEAD).where(_HEAD.c.id == 1).values(hash=bindparam("new_hash"))
_ENTRIES = cast(Table, AuditEntry.__table__)
_INSERT_ENTRY = _ENTRIES.insert()
# PostgreSQL: two round trips per append. The advisory lock is taken by the statement that moves the head
# (pg_advisory_xact_lock returns void, which IS NOT NULL), and the entry is written with the head's hash.
_LOCKED = select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)).scalar_subquery().is_not(None)
_PG_ADVANCE_HEAD = (
    update(_HEAD).where(_LOCKED, _HEAD.c.id == 1).values(seq=_HEAD.c.seq + 1)
    .returning(_HEAD.c.seq, _HEAD.c.hash)
)  # fmt: skip
_PG_INSERT_ENTRY_AND_SET_HEAD = _SET_HEAD_HASH.add_cte(
    insert(_ENTRIES).values({c.name: bindparam(f"e_{c.name}", type_=c.type) for c in _ENTRIES.c}).cte("entry")
)


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
    connection = session.connection()
    is_postgresql = connection.dialect.name == "postgresql"
    # Moving the head locks its row (PostgreSQL) or the database (SQLite's one writer) before the head is
    # read, so even without the advisory lock two appends could never follow the same entry.
    seq, prev_hash = connection.execute(_PG_ADVANCE_HEAD if is_postgresql else _ADVANCE_HEAD).one()
    row: dict[str, Any] = {
        **vars(record),
        "seq": seq,
        "entry_id": entry_id or uuid.uuid4().hex,
        "recorded_at": now or datetime.now(UTC),
        "prev_hash": prev_hash,
    }
    row["hash"] = entry_hash(row)
    if is_postgresql:
        params = {f"e_{name}": value for name, value in row.items()}
        connection.execute(_PG_INSERT_ENTRY_AND_SET_HEAD, {**params, "new_hash": row["hash"]})
    else:
        connection.execute(_INSERT_ENTRY, row)
        connection.execute(_SET_HEAD_HASH, {"new_hash": row["hash"]})
    return row


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
