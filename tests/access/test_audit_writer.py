"""Allowed reads' entries written beside the request (access.audit_writer): committed before the answer
leaves, several requests' entries in one transaction, a failed write never answered as a success."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from joinedup.access import audit, audit_writer
from joinedup.access.audit import AuditRecord, verify
from joinedup.access.models import AuditEntry
from joinedup.access.policy import PatientContext, Principal, Role
from joinedup.access.service import authorise
from joinedup.db import session_factory, transaction
from joinedup.settings import Settings
from joinedup.web.auth import install
from joinedup.web.deps import DbSession

GP = Principal(username="gp1", role=Role.GP, organisation_ods="Y90001")
PATIENT = PatientContext(nhs_number="9990000018", registered_practice_ods="Y90001")
RECORD = AuditRecord(
    event="patient-record", username="gp1", role="gp", organisation_ods="Y90001", action="read",
    outcome="allowed", reason="registered at the user's practice", resource_type="Observation",
    resource_id="obs-1", patient_nhs_number="9990000018", request_id="r1",
)  # fmt: skip


def logged(engine: Engine) -> list[tuple[str | None, str | None]]:
    with transaction(session_factory(engine)) as s:
        assert verify(s).is_intact
        rows = s.execute(select(AuditEntry.action, AuditEntry.resource_id).order_by(AuditEntry.seq))
        return [(action, rid) for action, rid in rows]


@pytest.fixture(params=["waits in the middleware", "waits in the dependency"])
def client(committed_engine: Engine, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """The answer waits just before the response starts where the access middleware is installed (every
    joinedup app), else in the request's session dependency."""
    app = FastAPI()
    app.state.sessions = session_factory(committed_engine)
    app.state.settings = Settings(database_url=str(committed_engine.url), secret_key="k" * 64)
    if request.param == "waits in the middleware":
        install(app)

    @app.get("/read/{rid}")
    def read(rid: str, session: DbSession) -> dict[str, str]:
        authorise(session, principal=GP, action="read", resource_type="Observation", resource_id=rid,
                  patient=PATIENT)  # fmt: skip
        return {"secret": "the patient's reading"}

    @app.post("/write/{rid}")
    def write(rid: str, session: DbSession) -> dict[str, str]:
        authorise(session, principal=GP, action="update", resource_type="Observation", resource_id=rid,
                  patient=PATIENT)  # fmt: skip
        return {"written": rid}

    @app.get("/read-then-fail/{rid}")
    def read_then_fail(rid: str, session: DbSession) -> None:
        authorise(session, principal=GP, action="read", resource_type="Observation", resource_id=rid,
                  patient=PATIENT)  # fmt: skip
        raise RuntimeError("the route failed after reading")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_read_is_recorded_before_its_answer_arrives(client: TestClient, committed_engine: Engine) -> None:
    assert client.get("/read/obs-1").status_code == 200
    assert logged(committed_engine) == [("read", "obs-1")]  # committed: another connection sees it
    assert client.post("/write/obs-2", json={}).status_code == 200  # a write's entry goes with the write
    assert client.get("/read/obs-3").status_code == 200
    assert logged(committed_engine) == [("read", "obs-1"), ("update", "obs-2"), ("read", "obs-3")]


def test_a_read_is_recorded_even_when_the_request_then_fails(
    client: TestClient, committed_engine: Engine
) -> None:
    assert client.get("/read-then-fail/obs-1").status_code == 500
    assert logged(committed_engine) == [("read", "obs-1")]


def test_an_entry_that_cannot_be_written_fails_the_answer(
    client: TestClient, committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(audit, "chain_on", broken)
    response = client.get("/read/obs-1")
    assert response.status_code == 500
    assert "the patient's reading" not in response.text
    monkeypatch.undo()
    assert client.get("/read/obs-2").status_code == 200  # the writer goes on with a fresh connection
    assert logged(committed_engine) == [("read", "obs-2")]


def test_waiting_requests_share_one_transaction_and_a_bad_entry_fails_only_its_own(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = audit_writer.AuditWriter(committed_engine)
    chained: list[int] = []
    chain_on = audit.chain_on

    def counted(connection: Any, items: Any) -> Any:
        chained.append(len(items))
        return chain_on(connection, items)

    monkeypatch.setattr(audit, "chain_on", counted)
    begun: list[int] = []
    gate = threading.Event()

    def on_begin(_connection: Any) -> None:
        begun.append(1)
        gate.wait(5)  # hold the first group's transaction so the next submissions queue up together

    event.listen(committed_engine, "begin", on_begin)
    try:
        now = datetime.now(UTC)
        first = writer.submit([(replace(RECORD, resource_id="first"), now, audit.new_entry_id())])
        while not begun:
            threading.Event().wait(0.01)
        queued: list[Future[None]] = [
            writer.submit([(replace(RECORD, resource_id=f"r{n}"), now, audit.new_entry_id())])
            for n in range(5)
        ]
        bad = writer.submit([(replace(RECORD, outcome=None), now, audit.new_entry_id())])  # type: ignore[arg-type]
        gate.set()
        first.result(10)
        for future in queued:
            future.result(10)
        with pytest.raises(Exception, match=r"(?i)null"):
            bad.result(10)
    finally:
        event.remove(committed_engine, "begin", on_begin)
    assert [rid for _a, rid in logged(committed_engine)] == ["first", "r0", "r1", "r2", "r3", "r4"]
    # the first alone, then the six queued together in one transaction (failed: the bad entry), then each
    # alone (on PostgreSQL a lone entry after a known head is sent in one round trip, without chain_on)
    assert chained[:2] == [1, 6]


def test_an_idle_writer_stops_its_thread_and_the_next_entry_starts_another(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_writer, "IDLE_SECONDS", 0.05)
    writer = audit_writer.writer_for(committed_engine)
    now = datetime.now(UTC)
    writer.submit([(replace(RECORD, resource_id="one"), now, audit.new_entry_id())]).result(10)
    for _ in range(200):
        if not any(t.name == "joinedup-audit-writer" and t.is_alive() for t in threading.enumerate()):
            break
        threading.Event().wait(0.01)
    assert writer._thread is None
    writer.submit([(replace(RECORD, resource_id="two"), now, audit.new_entry_id())]).result(10)
    assert [rid for _a, rid in logged(committed_engine)] == ["one", "two"]


def test_a_lone_entry_after_a_head_another_writer_moved_is_chained_after_the_new_head(
    committed_engine: Engine,
) -> None:
    writer = audit_writer.AuditWriter(committed_engine)
    now = datetime.now(UTC)
    writer.submit([(replace(RECORD, resource_id="one"), now, audit.new_entry_id())]).result(10)
    stale = audit._LAST_HEAD[committed_engine]
    with transaction(session_factory(committed_engine)) as s:
        audit.append(s, replace(RECORD, resource_id="other"))
    audit._LAST_HEAD[committed_engine] = stale  # as if another process had appended
    audit._PAUSED.pop(committed_engine, None)
    writer.submit([(replace(RECORD, resource_id="two"), now, audit.new_entry_id())]).result(10)
    writer.submit([(replace(RECORD, resource_id="three"), now, audit.new_entry_id())]).result(10)
    assert [rid for _a, rid in logged(committed_engine)] == ["one", "other", "two", "three"]
