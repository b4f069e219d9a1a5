"""Writers in parallel: a refused batch stores nothing, and concurrent writers on real commits (their audit
entries chained at commit) keep one intact chain."""

from __future__ import annotations

import threading

import pytest
import record_builders as rb
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from joinedup.access.audit import verify
from joinedup.access.models import AuditEntry
from joinedup.db import session_factory, transaction
from joinedup.errors import Forbidden
from joinedup.record import service
from joinedup.record.models import StoredResource

WRITERS = 2
BATCHES = 5
PER_BATCH = 30  # above bulk.COPY_FROM_ROWS: PostgreSQL stores the batch with COPY, as a Bundle of 100


@pytest.fixture
def registry_engine(committed_engine: Engine) -> Engine:
    """The test's database with real commits and the test registry (PostgreSQL: SQLite has one writer
    at a time, so concurrent writers there wait for each other by design)."""
    if committed_engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time")
    with transaction(session_factory(committed_engine)) as session:
        rb.load_registry(session)
    return committed_engine


def _patient(session: Session, number: str) -> str:
    written = service.create(session, actor=rb.actor("gp_a"), body=rb.patient(number))
    return written.version.resource_id


def test_a_refused_batch_is_audited_and_nothing_is_stored(db: Session) -> None:
    patient_id = _patient(db, rb.NUMBERS[1])
    with pytest.raises(Forbidden):
        service.create_many(db, actor=rb.actor("gp_b"), bodies=[rb.observation(patient_id)] * 3)
    last = db.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert (last.username, last.outcome) == ("gp-b", "refused")
    observations = select(func.count()).where(StoredResource.resource_type == "Observation")
    assert db.scalar(observations) == 0


def test_concurrent_writers_keep_one_intact_audit_chain(registry_engine: Engine) -> None:
    sessions = session_factory(registry_engine)
    with transaction(sessions) as session:
        patients = [_patient(session, number) for number in rb.NUMBERS[:WRITERS]]
    with transaction(sessions) as session:
        entries_before = session.scalar(select(func.count()).select_from(AuditEntry))
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait(timeout=30)
            for batch in range(BATCHES):
                bodies = [
                    rb.observation(patients[n], value=60.0 + i, when=f"2024-05-0{batch + 1}T10:{i:02d}:00Z")
                    for i in range(PER_BATCH)
                ]
                with transaction(sessions) as session:
                    service.create_many(session, actor=rb.actor("gp_a"), bodies=bodies)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with transaction(sessions) as session:
        report = verify(session)
        stored = select(func.count()).where(StoredResource.resource_type == "Observation")
        assert session.scalar(stored) == WRITERS * BATCHES * PER_BATCH
        creates = select(func.count()).where(AuditEntry.action == "create", AuditEntry.outcome == "allowed")
        # One entry per patient per batch (IHE BALP), each batch about one patient.
        assert session.scalar(creates) == WRITERS + WRITERS * BATCHES
    assert report.is_intact, report.problem
    assert report.entries == entries_before + WRITERS * BATCHES
