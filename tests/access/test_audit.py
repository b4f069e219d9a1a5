"""The hash-chained audit log: appends chain, and `verify` finds any edited, deleted or reordered entry."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from joinedup.access import audit
from joinedup.access.audit import GENESIS_HASH, AuditRecord, append, canonical_form, entry_hash, verify
from joinedup.access.models import AuditEntry, AuditHead
from joinedup.access.policy import PatientContext, Principal, Role
from joinedup.access.service import authorise
from joinedup.db import session_factory, transaction

RECORD = AuditRecord(
    event="patient-record",
    username="gp1",
    role="gp",
    organisation_ods="Y90001",
    action="read",
    outcome="allowed",
    reason="registered at the user's practice",
    resource_type="Observation",
    resource_id="obs-1",
    patient_nhs_number="9990000018",
    request_id="r1",
)


def write(session: Session, count: int) -> list[dict]:
    rows = [append(session, replace(RECORD, resource_id=f"obs-{i}")) for i in range(count)]
    session.flush()
    return rows


def test_entries_chain_from_the_genesis_hash(session: Session) -> None:
    rows = write(session, 3)
    assert rows[0]["prev_hash"] == GENESIS_HASH
    assert [r["prev_hash"] for r in rows[1:]] == [r["hash"] for r in rows[:-1]]
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert all(r["hash"] == entry_hash(r) for r in rows)
    report = verify(session)
    assert report.is_intact and report.entries == 3 and report.last_hash == rows[-1]["hash"]


def test_entries_written_by_driver_sql_are_stored_as_the_orm_stores_them(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Appends that follow the remembered head bypass SQLAlchemy's statement layer: the stored values
    (an instant on SQLite is text) must be exactly the ORM's, or time searches would miss entries."""
    engine = session.connection().engine
    audit._LAST_HEAD.pop(engine, None)  # a hint left by an earlier test would pause the follow path
    audit._PAUSED.pop(engine, None)
    followed: list[bool] = []
    follow = audit._follow
    monkeypatch.setattr(audit, "_follow", lambda *args: followed.append(follow(*args)) or followed[-1])
    when = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    rows = [append(session, replace(RECORD, break_glass=i == 1), now=when) for i in range(3)]
    session.add(AuditEntry(**{**rows[0], "seq": 99, "entry_id": "orm", "prev_hash": "p", "hash": "h"}))
    session.flush()
    assert followed == [True, True]
    raw = session.execute(text("SELECT recorded_at, break_glass FROM access_audit_log ORDER BY seq")).all()
    assert len({stored for stored, _glass in raw}) == 1, raw
    assert [glass for _stored, glass in raw] == [False, True, False, False]
    found = session.scalars(select(AuditEntry.seq).where(AuditEntry.recorded_at == when)).all()
    assert sorted(found) == [row["seq"] for row in rows] + [99]


def test_an_empty_log_is_intact(session: Session) -> None:
    report = verify(session)
    assert report.is_intact and report.entries == 0 and report.last_hash == GENESIS_HASH


def test_an_edited_entry_is_reported(session: Session) -> None:
    write(session, 4)
    session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(reason="nothing to see"))
    report = verify(session)
    assert not report.is_intact
    assert report.broken_seq == 2
    assert report.problem == "entry 2 was altered: its content does not match its hash"
    assert report.entry is not None and report.entry["reason"] == "nothing to see"


def test_an_edited_entry_with_a_recomputed_hash_breaks_the_next_link(session: Session) -> None:
    write(session, 4)
    row = dict(session.execute(select(AuditEntry.__table__).where(AuditEntry.seq == 2)).mappings().one())
    row["username"] = "someone-else"
    session.execute(
        update(AuditEntry).where(AuditEntry.seq == 2).values(username=row["username"], hash=entry_hash(row))
    )
    report = verify(session)
    assert report.broken_seq == 3
    assert "does not follow entry 2" in (report.problem or "")


def test_a_deleted_entry_is_reported(session: Session) -> None:
    write(session, 4)
    session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    report = verify(session)
    assert report.broken_seq == 3
    assert report.problem == "entry 2 is missing (deleted); the next entry is 3"


def test_a_deleted_tail_is_reported_against_the_head(session: Session) -> None:
    write(session, 4)
    session.execute(delete(AuditEntry).where(AuditEntry.seq == 4))
    report = verify(session)
    assert report.broken_seq == 4
    assert "the tail was removed" in (report.problem or "")


def test_reordered_entries_are_reported(session: Session) -> None:
    write(session, 4)
    # Swap entries 2 and 3 by renumbering them (through a free number, as the number is the key).
    session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(seq=1000))
    session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(seq=2))
    session.execute(update(AuditEntry).where(AuditEntry.seq == 1000).values(seq=3))
    report = verify(session)
    assert report.broken_seq == 2
    assert not report.is_intact


def test_a_forked_chain_is_impossible(session: Session) -> None:
    first = write(session, 1)[0]
    forged = {**first, "seq": 2, "entry_id": uuid.uuid4().hex, "hash": "f" * 64}
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), session.begin_nested():
        session.execute(AuditEntry.__table__.insert().values(forged))


def test_the_head_follows_the_newest_entry(session: Session) -> None:
    rows = write(session, 2)
    assert session.execute(select(AuditHead.seq, AuditHead.hash)).one() == (2, rows[-1]["hash"])


fields = st.sampled_from(
    [
        "username",
        "role",
        "organisation_ods",
        "action",
        "resource_type",
        "resource_id",
        "patient_nhs_number",
        "outcome",
        "reason",
        "request_id",
        "event",
    ]
)


@given(fields, st.text(min_size=1, max_size=20))
def test_changing_any_recorded_field_changes_the_hash(field: str, value: str) -> None:
    row = {
        **RECORD.__dict__,
        "seq": 7,
        "entry_id": "e" * 32,
        "prev_hash": "a" * 64,
        "recorded_at": datetime(2026, 1, 1, tzinfo=UTC),
        "source_address": None,
    }
    changed = {**row, field: value}
    if changed[field] != row[field]:
        assert entry_hash(changed) != entry_hash(row)


def test_the_canonical_form_is_stable_and_sorted() -> None:
    row = {
        **RECORD.__dict__,
        "seq": 1,
        "entry_id": "e" * 32,
        "prev_hash": GENESIS_HASH,
        "recorded_at": datetime(2026, 1, 1, 9, 30, tzinfo=UTC),
        "source_address": None,
        "hash": "ignored",
    }
    form = canonical_form(row).decode()
    assert form.startswith('{"action":"read","break_glass":false,"entry_id":"eeee')
    assert '"recorded_at":"2026-01-01T09:30:00.000000Z"' in form
    assert "ignored" not in form


def test_concurrent_writers_never_fork_the_chain(committed_engine: Engine) -> None:
    sessions = session_factory(committed_engine)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                with transaction(sessions) as s:
                    append(s, replace(RECORD, resource_id=f"w{n}-{i}"))
                    append(s, replace(RECORD, resource_id=f"w{n}-{i}b"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with transaction(sessions) as s:
        report = verify(s)
    assert report.is_intact and report.entries == 80


def test_a_refusal_survives_the_rollback_of_a_real_transaction(committed_engine: Engine) -> None:
    """The production path: sessions bound to an engine, the request's transaction rolled back."""
    sessions = session_factory(committed_engine)
    refusal = replace(RECORD, outcome="refused", reason="no legitimate relationship")
    with sessions() as request_session:
        append(request_session, replace(RECORD, resource_id="read-before"))
        audit.append_refusal(request_session, refusal)
        request_session.rollback()
    with transaction(sessions) as s:
        rows = s.execute(select(AuditEntry.outcome, AuditEntry.resource_id).order_by(AuditEntry.seq)).all()
        assert rows == [("refused", "obs-1")]
        assert verify(s).is_intact


def test_a_transaction_holding_allowed_accesses_does_not_hold_up_other_writers(
    committed_engine: Engine,
) -> None:
    """Allowed accesses are chained at commit, so another writer appends and commits meanwhile."""
    if committed_engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time")
    sessions = session_factory(committed_engine)
    gp = Principal(username="gp1", role=Role.GP, organisation_ods="Y90001")
    patient = PatientContext(nhs_number="9990000018", registered_practice_ods="Y90001")
    with transaction(sessions) as slow:
        authorise(slow, principal=gp, action="read", resource_type="Observation", patient=patient)
        other = sessions()
        try:
            other.connection().execute(text("SET LOCAL lock_timeout = '2s'"))
            append(other, replace(RECORD, resource_id="meanwhile"))
            other.commit()  # would wait for `slow` (and time out) if its entry held the head
        finally:
            other.close()
    with transaction(sessions) as s:
        report = verify(s)
        last = s.scalars(select(AuditEntry.resource_id).order_by(AuditEntry.seq)).all()
    assert report.is_intact and report.entries == 2 and last[0] == "meanwhile"


def test_entry_ids_follow_the_order_of_appending_across_milliseconds(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The id index grows at its end as the log does (a random id would take a random page per append)."""
    clock = iter(range(1_700_000_000_000_000_000, 1_700_000_100_000_000_000, 3_000_000))
    monkeypatch.setattr(audit.time, "time_ns", lambda: next(clock))
    ids = [row["entry_id"] for row in write(session, 50)]
    assert ids == sorted(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids) and len(set(ids)) == 50
