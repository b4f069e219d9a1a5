"""Gateway workers: readings partitioned by patient over worker processes, each patient's readings stored
in order by one worker, nothing lost when a worker dies, and SQLite refused (one writer)."""

from __future__ import annotations

import json
import os
import signal
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from wards_world import GP, NURSE, build_world, observation

from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.errors import Invalid
from joinedup.fhir.validation import NHS_NUMBER_SYSTEM
from joinedup.monitoring import service
from joinedup.monitoring.gateway import Gateway, Message, store_observations
from joinedup.monitoring.models import Alert, AlertEvent, Reading, RejectedReading
from joinedup.monitoring.schemas import DeviceCreate, ReadingOutcome
from joinedup.monitoring.workers import Database, WorkerPool, partition, patient_key
from joinedup.wards import service as wards
from joinedup.wards.schemas import AdmissionCreate

PATHWAYS = ("covid-19", "heart-failure", "frailty", "respiratory")


def test_a_patient_named_by_nhs_number_or_by_patient_id_has_one_key() -> None:
    by_number = {"subject": {"identifier": {"system": NHS_NUMBER_SYSTEM, "value": "943 476 5919"}}}
    by_id = {"subject": {"reference": "Patient/p-1"}}
    assert patient_key(by_number, {}) == "9434765919"
    assert patient_key(by_id, {"p-1": "9434765919"}) == "9434765919"
    assert patient_key(by_id, {}) == "Patient/p-1"
    assert patient_key({"device": {"identifier": {"value": "kit-9"}}}, {}) == "kit-9"


def test_a_patient_goes_to_the_same_worker_every_time() -> None:
    keys = [f"94347659{i:02d}" for i in range(40)]
    first = [partition(k, 3) for k in keys]
    assert first == [partition(k, 3) for k in keys]
    assert set(first) == {0, 1, 2}  # and the patients are spread over every worker


def test_workers_refuse_sqlite_which_has_one_writer() -> None:
    with pytest.raises(Invalid, match="PostgreSQL"):
        WorkerPool(Database("sqlite:///./never.db"), 2, store_observations)


def test_workers_need_the_database_to_connect_to(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(Invalid, match="database"):
        Gateway(sessions, workers=2)


@pytest.fixture
def worker_db(postgresql_engine: Engine) -> Iterator[tuple[sessionmaker[Session], Database, list[str]]]:
    """A PostgreSQL schema of its own (workers commit in their own processes): four patients on vw-north,
    one on each pathway, with kits kit-0..3."""
    url = postgresql_engine.url.render_as_string(hide_password=False)
    schema = f"w_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    connect_args = {"options": f"-csearch_path={schema}"}
    engine = create_engine(url, connect_args=connect_args)
    try:
        upgrade(engine)
        sessions = session_factory(engine)
        with transaction(sessions) as session:
            numbers = build_world(session, patients=4).nhs_numbers
            admitted = datetime.now(UTC) - timedelta(days=1)
            for i, (number, pathway) in enumerate(zip(numbers, PATHWAYS, strict=True)):
                admission = AdmissionCreate(nhs_number=number, pathway=pathway, admitted_at=admitted)
                wards.admit_patient(session, actor=GP, ward_id="vw-north", admission=admission)
                device = DeviceCreate(value=f"kit-{i}", nhs_number=number)
                service.issue_device(session, actor=NURSE, device=device)
        yield sessions, Database(url, connect_args), numbers
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def message(bodies: list[dict[str, Any]]) -> Message:
    return Message("joinedup/readings/kit", json.dumps(bodies).encode(), 0, 0, 0.0)


def sittings(numbers: list[str], start: datetime, count: int) -> list[Message]:
    """`count` rounds of one message per patient, a minute apart: pulse, and SpO2 84% (an alert)."""
    messages = []
    for minute in range(count):
        at = start + timedelta(minutes=minute)
        for i, number in enumerate(numbers):
            bodies = [
                observation(number, "pulse", 70 + minute, at=at, device=f"kit-{i}"),
                observation(number, "spo2", 84, at=at, device=f"kit-{i}"),
            ]
            messages.append(message(bodies))
    return messages


def test_each_patients_readings_are_stored_in_order_by_one_worker_and_none_lost(worker_db) -> None:
    sessions, database, numbers = worker_db
    start = datetime.now(UTC) - timedelta(hours=1)
    messages = sittings(numbers, start, 12)
    stranger = observation(numbers[0], "pulse", 70, at=start, device="kit-nobody")
    messages += [message([stranger]), Message("joinedup/readings/kit-0", b"not json", 0, 0, 0.0)]
    seen: list[ReadingOutcome] = []
    gate = Gateway(sessions, workers=2, database=database, max_batch=3, max_wait=0.0)
    gate.on_batch = lambda _batch, outcomes, _at: seen.extend(outcomes)
    try:
        gate.pool.wait_until_ready()  # type: ignore[union-attr]
        for item in messages:
            gate.inbox.put(item)
        thread = gate.run_in_thread()
        deadline = datetime.now(UTC) + timedelta(seconds=120)
        while len(seen) < 12 * 4 * 2 + 1 and datetime.now(UTC) < deadline:
            thread.join(timeout=0.1)
        gate.stopping.set()
        thread.join(timeout=60)
    finally:
        if gate.pool is not None:
            gate.pool.close()
    assert gate.stats.batches > 2  # several batches, handed out while the last was stored
    assert sorted({o.status for o in seen}) == ["rejected", "stored"]
    assert sum(o.status == "stored" for o in seen) == 12 * 4 * 2
    with sessions() as session:
        for number in numbers:
            rows = session.execute(
                select(Reading.id, Reading.effective_at)
                .where(Reading.nhs_number == number, Reading.parameter == "pulse")
                .order_by(Reading.id)
            ).all()
            assert [at for _, at in rows] == sorted(at for _, at in rows) and len(rows) == 12
        reasons = session.scalars(select(RejectedReading.reason)).all()
        assert any("unknown device" in r for r in reasons) and any("not JSON" in r for r in reasons)
        rules = session.execute(select(Alert.admission_id, Alert.rule_id, Alert.open_key)).all()
        assert len(rules) == len(set(rules))  # one alert per stay and rule, however many workers
        raised = session.scalar(select(func.count()).where(AlertEvent.kind == "raised"))
        assert raised == len(rules)


def test_a_worker_that_dies_loses_no_readings(worker_db) -> None:
    sessions, database, numbers = worker_db
    pool = WorkerPool(database, 2, store_observations)
    try:
        os.kill(pool.pids()[0], signal.SIGKILL)
        start = datetime.now(UTC) - timedelta(hours=1)
        bodies = [json.loads(m.payload)[0] for m in sittings(numbers, start, 2)]
        assert {partition(patient_key(b, {}), 2) for b in bodies} == {0, 1}  # both workers have some
        outcomes = pool.store(sessions, bodies)
        assert [o.status for o in outcomes] == ["stored"] * len(bodies)
        assert pool.restarts == 1
        later = [json.loads(m.payload)[0] for m in sittings(numbers, start + timedelta(minutes=5), 1)]
        assert [o.status for o in pool.store(sessions, later)] == ["stored"] * len(later)
        assert pool.restarts == 1  # the new worker took its share
    finally:
        pool.close()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Reading)) == len(bodies) + len(later)
