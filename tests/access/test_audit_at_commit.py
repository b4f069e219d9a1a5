"""Entries chained at commit with real commits: each commits or fails with the request's transaction, and a
head moved by another writer meanwhile never forks the chain."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from joinedup.access import audit
from joinedup.access.audit import AuditRecord, append, append_at_commit, verify
from joinedup.access.models import AuditEntry
from joinedup.access.policy import PatientContext, Principal, Role
from joinedup.access.service import authorise
from joinedup.db import session_factory, transaction

RECORD = AuditRecord(
    event="patient-record", username="gp1", role="gp", organisation_ods="Y90001", action="read",
    outcome="allowed", reason="registered at the user's practice", resource_type="Observation",
    resource_id="obs-1", patient_nhs_number="9990000018", request_id="r1",
)  # fmt: skip
GP = Principal(username="gp1", role=Role.GP, organisation_ods="Y90001")
PATIENT = PatientContext(nhs_number="9990000018", registered_practice_ods="Y90001")


def logged(engine: Engine) -> list[str | None]:
    with transaction(session_factory(engine)) as s:
        assert verify(s).is_intact
        return list(s.scalars(select(AuditEntry.resource_id).order_by(AuditEntry.seq)))


def test_an_entry_at_commit_follows_a_head_that_another_writer_moved(committed_engine: Engine) -> None:
    sessions = session_factory(committed_engine)
    with transaction(sessions) as s:
        first = append(s, RECORD)
    with transaction(sessions) as s:
        append(s, replace(RECORD, resource_id="other"))
    # As if another process had appended since this engine last did: the remembered head is stale.
    audit._LAST_HEAD[committed_engine] = (first["seq"], first["hash"])
    audit._PAUSED.pop(committed_engine, None)
    with transaction(sessions) as s:
        append_at_commit(s, [replace(RECORD, resource_id="at-commit")])
    assert logged(committed_engine) == ["obs-1", "other", "at-commit"]


def test_an_entry_that_cannot_be_written_fails_the_commit_and_keeps_nothing(committed_engine: Engine) -> None:
    sessions = session_factory(committed_engine)
    with pytest.raises(Exception, match=r"(?i)null"), transaction(sessions) as s:
        append(s, replace(RECORD, resource_id="same transaction"))
        append_at_commit(s, [replace(RECORD, outcome=None)])  # type: ignore[arg-type]
    assert logged(committed_engine) == []
    with transaction(sessions) as s:
        append_at_commit(s, [replace(RECORD, resource_id="next")])
    assert logged(committed_engine) == ["next"]


def test_concurrent_requests_chaining_at_commit_never_fork_the_chain(committed_engine: Engine) -> None:
    sessions = session_factory(committed_engine)
    errors: list[BaseException] = []

    def request(n: int) -> None:
        try:
            for i in range(15):
                with transaction(sessions) as s:
                    authorise(s, principal=GP, action="read", resource_type="Observation",
                              resource_id=f"r{n}-{i}", patient=PATIENT)  # fmt: skip
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ids = logged(committed_engine)
    assert sorted(ids, key=str) == sorted((f"r{n}-{i}" for n in range(4) for i in range(15)), key=str)
    with transaction(sessions) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 60


@pytest.mark.parametrize("entries", [1, 3])
def test_a_read_that_another_writer_overtook_still_records_its_entries(
    committed_engine: Engine, entries: int
) -> None:
    """SQLite refuses to turn a read transaction into a write once another connection has committed since
    its first read (SQLITE_BUSY_SNAPSHOT): the reader's entries must be written all the same."""
    sessions = session_factory(committed_engine)
    with transaction(sessions) as s:
        append(s, replace(RECORD, resource_id="before"))
    with transaction(sessions) as reader:
        assert reader.scalar(select(func.count()).select_from(AuditEntry)) == 1  # the read's snapshot
        with transaction(sessions) as writer:
            append(writer, replace(RECORD, resource_id="overtaking"))
        read = [replace(RECORD, resource_id=f"read-{n}") for n in range(entries)]
        append_at_commit(reader, read)
    assert logged(committed_engine) == ["before", "overtaking", *(r.resource_id for r in read)]


def test_an_overtaken_transaction_with_unsaved_changes_is_not_begun_again(committed_engine: Engine) -> None:
    """Changes made from what a transaction read must not be written over a newer commit."""
    if committed_engine.dialect.name != "sqlite":
        pytest.skip("SQLite's snapshot rule")
    sessions = session_factory(committed_engine)
    with transaction(sessions) as s:
        append(s, replace(RECORD, resource_id="before"))
    with pytest.raises(Exception, match="locked"), transaction(sessions) as reader:
        entry = reader.scalars(select(AuditEntry)).one()
        with transaction(sessions) as writer:
            append(writer, replace(RECORD, resource_id="overtaking"))
        entry.reason = "changed from the old snapshot"
        append_at_commit(reader, [replace(RECORD, resource_id="read")])
    assert logged(committed_engine) == ["before", "overtaking"]


def test_a_read_whose_entry_meets_a_writer_holding_the_lock_waits_for_it(committed_engine: Engine) -> None:
    """SQLite refuses a reader's first write at once while another connection holds the write lock
    (no busy timeout for readers): the entry waits for the lock instead."""
    sessions = session_factory(committed_engine)
    with transaction(sessions) as s:
        append(s, replace(RECORD, resource_id="before"))
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with transaction(sessions, writes=True) as w:
            append(w, replace(RECORD, resource_id="holding the lock"))
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=writer)
    with transaction(sessions) as reader:
        assert reader.scalar(select(func.count()).select_from(AuditEntry)) == 1
        thread.start()
        assert holding.wait(5)
        threading.Timer(0.2, release.set).start()
        append_at_commit(reader, [replace(RECORD, resource_id="read")])
    thread.join()
    assert logged(committed_engine) == ["before", "holding the lock", "read"]
