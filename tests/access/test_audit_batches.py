"""Audit entries written together (`append_many`, `authorise_many`) and appends that follow the head the
engine remembers: the same chain as one-by-one appends, on SQLite and PostgreSQL, even when the memory is
stale (a rolled-back append, another writer)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from joinedup.access import audit, service
from joinedup.access.audit import AuditRecord, append, append_many, verify
from joinedup.access.models import AuditEntry, AuditHead
from joinedup.access.policy import PatientContext
from joinedup.errors import Forbidden

from .conftest import MakeUser

RECORD = AuditRecord(
    event="patient-record", username="gp1", role="gp", organisation_ods="Y90001", action="read",
    outcome="allowed", reason="registered at the user's practice", resource_type="Observation",
)  # fmt: skip
OURS = PatientContext(nhs_number="9990000018", registered_practice_ods="Y90001")
THEIRS = PatientContext(nhs_number="9990000026", registered_practice_ods="Y90002")


def stored(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_entries_written_together_chain_like_single_appends(session: Session) -> None:
    append(session, replace(RECORD, resource_id="a"))
    rows = append_many(session, [replace(RECORD, resource_id=f"b{i}") for i in range(5)])
    append(session, replace(RECORD, resource_id="c"))
    entries = stored(session)
    assert [e.resource_id for e in entries] == ["a", "b0", "b1", "b2", "b3", "b4", "c"]
    assert [e.seq for e in entries] == list(range(1, 8))
    assert [r["seq"] for r in rows] == [2, 3, 4, 5, 6]
    assert all(e.hash == audit.entry_hash(vars(e)) for e in entries)
    report = verify(session)
    assert report.is_intact and report.entries == 7
    assert session.execute(select(AuditHead.seq, AuditHead.hash)).one() == (7, entries[-1].hash)


def test_a_rolled_back_append_leaves_a_stale_memory_that_is_not_followed(session: Session) -> None:
    append(session, RECORD)
    with session.begin_nested() as nested:
        append(session, replace(RECORD, resource_id="undone"))
        append_many(session, [RECORD, RECORD])
        nested.rollback()
    append(session, replace(RECORD, resource_id="after"))
    entries = stored(session)
    assert [e.resource_id for e in entries] == [None, "after"]
    assert verify(session).is_intact


def test_an_append_after_another_writer_moved_the_head_follows_the_real_head(session: Session) -> None:
    append(session, RECORD)
    # Another writer (here: entry 2 written by hand, as another process would) moves the head.
    other = {**vars(replace(RECORD, resource_id="other")), "seq": 2, "entry_id": "e" * 32}
    other["recorded_at"] = stored(session)[0].recorded_at
    other["prev_hash"] = stored(session)[0].hash
    other["hash"] = audit.entry_hash(other)
    session.execute(AuditEntry.__table__.insert().values(other))
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=2, hash=other["hash"]))
    append(session, replace(RECORD, resource_id="mine"))
    assert [e.resource_id for e in stored(session)] == [None, "other", "mine"]
    assert verify(session).is_intact


def test_authorise_many_audits_each_access_in_order(session: Session, make_user: MakeUser) -> None:
    gp = make_user("gp1", "gp", "Y90001")
    items = [("Observation", "o1", OURS), ("Condition", "c1", OURS), ("Organization", None, None)]
    decisions = service.authorise_many(session, principal=gp, action="read", items=items, request_id="r9")
    assert all(d.allowed for d in decisions)
    entries = stored(session)[-3:]
    assert [(e.resource_type, e.resource_id, e.patient_nhs_number) for e in entries] == [
        ("Observation", "o1", "9990000018"),
        ("Condition", "c1", "9990000018"),
        ("Organization", None, None),
    ]
    assert {e.request_id for e in entries} == {"r9"} and verify(session).is_intact


def test_authorise_many_refuses_like_authorise(session: Session, make_user: MakeUser) -> None:
    gp = make_user("gp1", "gp", "Y90001")
    items = [("Observation", "o1", OURS), ("Observation", "o2", THEIRS)]
    with pytest.raises(Forbidden, match="no legitimate relationship"):
        service.authorise_many(session, principal=gp, action="read", items=items)
    assert [(e.resource_id, e.outcome) for e in stored(session)[-2:]] == [
        ("o1", "allowed"),
        ("o2", "refused"),
    ]
    assert verify(session).is_intact


def test_allowed_accesses_are_chained_at_commit_and_go_with_a_rolled_back_savepoint(
    session: Session, make_user: MakeUser
) -> None:
    gp = make_user("gp1", "gp", "Y90001")
    before = session.execute(select(AuditHead.seq)).scalar_one()
    service.authorise(session, principal=gp, action="read", resource_type="Observation", resource_id="kept",
                      patient=OURS)  # fmt: skip
    with session.begin_nested() as nested:
        service.authorise(session, principal=gp, action="read", resource_type="Observation",
                          resource_id="undone", patient=OURS)  # fmt: skip
        nested.rollback()
    with session.begin_nested():
        service.authorise(session, principal=gp, action="read", resource_type="Observation",
                          resource_id="released", patient=OURS)  # fmt: skip
    # Nothing chained yet: the head (and its lock) is left alone until the commit.
    assert session.execute(select(AuditHead.seq)).scalar_one() == before
    session.commit()
    assert [e.resource_id for e in stored(session)[-2:]] == ["kept", "released"]
    assert session.execute(select(AuditHead.seq)).scalar_one() == before + 2
    assert verify(session).is_intact


def test_a_rolled_back_transaction_chains_none_of_its_allowed_accesses(
    session: Session, make_user: MakeUser
) -> None:
    gp = make_user("gp1", "gp", "Y90001")
    session.commit()
    count = len(stored(session))
    service.authorise(session, principal=gp, action="read", resource_type="Observation", patient=OURS)
    session.rollback()
    session.commit()
    assert len(stored(session)) == count and verify(session).is_intact
