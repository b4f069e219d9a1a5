"""The cost of the access check (policy decision + hash-chained audit write) per request, in one run.

Two routes over a real uvicorn server on 127.0.0.1 do the same work (bearer-token check, one registry
read, a JSON answer); the second also calls `access.service.authorise`, which decides and appends to the
audit log in the request's transaction. Requests alternate between the two so drift hits both alike.
Targets (issue 5): overhead under 1 ms and under 20% of the request. It also prints, measured in the
server, how long the audit entries' write and the commit after it take (the commit flushes them to disk).

    .venv/bin/python bench/access_overhead.py [--requests 2000] [--backend sqlite|postgresql|both]
        [--sqlite-synchronous normal]   # what SQLite's WAL-mode NORMAL durability would change (diagnostic)
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn
from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from joinedup.access import audit
from joinedup.access import service as access
from joinedup.access.policy import PatientContext
from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.registry import service as registry
from joinedup.settings import Settings
from joinedup.web.app import create_app
from joinedup.web.auth import Access, CurrentUser, current_principal
from joinedup.web.deps import DbSession

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PRACTICE = "Y90001"
PATIENT = PatientContext(nhs_number="9990000018", registered_practice_ods=PRACTICE)
ORGANISATIONS = f"""
[meta]
title = "access benchmark"
source = "assumption: benchmark data"

[[organisations]]
id = "bench-practice"
ods_code = "{PRACTICE}"
name = "Benchmark Practice"
kind = "gp practice"
source = "assumption: benchmark data"
"""


def bench_routes() -> APIRouter:
    """Two routes doing the same work, the second with the access check and audit write."""
    router = APIRouter()

    @router.get("/bench/plain/{nhs_number}")
    def plain(nhs_number: str, session: DbSession, principal: CurrentUser) -> dict[str, str | None]:
        practice = registry.get_organisation_by_ods(session, PRACTICE)
        return {"nhs_number": nhs_number, "practice": practice.name if practice else None}

    @router.get("/bench/checked/{nhs_number}")
    def checked(nhs_number: str, session: DbSession, caller: Access) -> dict[str, str | None]:
        caller.authorise(session, "read", "Patient", resource_id=nhs_number, patient=PATIENT)
        practice = registry.get_organisation_by_ods(session, PRACTICE)
        return {"nhs_number": nhs_number, "practice": practice.name if practice else None}

    return router


@contextmanager
def database(backend: str, folder: Path, sqlite_synchronous: str | None = None) -> Iterator[Engine]:
    """A fresh, migrated database of `backend` with one practice and one GP."""
    if backend == "sqlite":
        engine = create_engine(f"sqlite:///{folder / 'bench.db'}")
        if sqlite_synchronous:
            pragma = f"PRAGMA synchronous={sqlite_synchronous.upper()}"
            event.listen(engine, "connect", lambda conn, _record: conn.execute(pragma))
        schema = None
    else:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with create_engine(POSTGRES_URL).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        ics = folder / "organisations.toml"
        ics.write_text(ORGANISATIONS)
        with transaction(session_factory(engine)) as session:
            registry.load_file(session, ics)
            access.create_user(session, {"username": "bench-gp", "role": "gp", "organisation_ods": PRACTICE},
                               actor=None)  # fmt: skip
        yield engine
    finally:
        engine.dispose()
        if schema:
            with create_engine(POSTGRES_URL).begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def audit_commit_spans(sessions: sessionmaker[Session]) -> Iterator[dict[str, list[float]]]:
    """Milliseconds, in the server, of writing a request's audit entries and of the commit after them
    (sessions that hold entries only): where the overhead goes."""
    spans: dict[str, list[float]] = {"write": [], "commit": []}

    def before_commit(session: Session) -> None:
        if session.info.get(audit._QUEUED):  # runs before audit's own listener, which writes them
            start = time.perf_counter()
            audit.write_queued(session)
            spans["write"].append((time.perf_counter() - start) * 1000)
            session.info["bench.commit_start"] = time.perf_counter()

    def after_commit(session: Session) -> None:
        start = session.info.pop("bench.commit_start", None)
        if start is not None:
            spans["commit"].append((time.perf_counter() - start) * 1000)

    event.listen(sessions, "before_commit", before_commit, insert=True)
    event.listen(sessions, "after_commit", after_commit)
    try:
        yield spans
    finally:
        event.remove(sessions, "before_commit", before_commit)
        event.remove(sessions, "after_commit", after_commit)


def timed(client: httpx.Client, path: str, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    response = client.get(path, headers=headers)
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    return elapsed * 1000


def run_backend(backend: str, requests: int, sqlite_synchronous: str | None) -> dict[str, float]:
    """Median and mean milliseconds per request, with and without the access check, over HTTP."""
    with (
        tempfile.TemporaryDirectory() as folder,
        database(backend, Path(folder), sqlite_synchronous) as engine,
    ):
        settings = Settings(database_url=str(engine.url), secret_key=uuid.uuid4().hex * 2)
        sessions = session_factory(engine)
        with transaction(sessions) as session:
            token = access.issue_token(session, username="bench-gp", scopes=None, minutes=60,
                                       secret=settings.signing_key)  # fmt: skip
        app = create_app(settings, sessions=sessions)
        app.include_router(bench_routes(), dependencies=[Depends(current_principal)])
        headers = {"Authorization": f"Bearer {token}"}
        plain: list[float] = []
        checked: list[float] = []
        with (
            serving(app) as base,
            httpx.Client(base_url=base) as client,
            audit_commit_spans(sessions) as spans,
        ):
            for _ in range(200):  # warm up: imports, caches, the connection pool
                timed(client, "/bench/plain/9990000018", headers)
                timed(client, "/bench/checked/9990000018", headers)
            for _ in range(requests):
                plain.append(timed(client, "/bench/plain/9990000018", headers))
                checked.append(timed(client, "/bench/checked/9990000018", headers))
        direct, direct_cpu, direct_commit = direct_cost(engine, min(requests, 1000))
        with transaction(sessions) as session:
            report = access.verify_audit_log(session)
        assert report.is_intact and report.entries >= requests
        return {
            "plain_median": statistics.median(plain), "checked_median": statistics.median(checked),
            "plain_mean": statistics.fmean(plain), "checked_mean": statistics.fmean(checked),
            "entries": float(report.entries), "direct": direct, "direct_cpu": direct_cpu,
            "direct_commit": direct_commit, "server_write": statistics.median(spans["write"]),
            "server_commit": statistics.median(spans["commit"]),
        }  # fmt: skip


def direct_cost(engine: Engine, n: int) -> tuple[float, float, float]:
    """In-process, no HTTP: median ms of `authorise` alone (wall and CPU) and of authorise + commit (wall).

    CPU time (this thread's) leaves out waiting for the disk and for other processes, so it shows what
    the check itself costs even on a busy machine.
    """
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        user = access.get_user(session, "bench-gp")
    assert user is not None
    gp = access.principal_of(user)
    wall, cpu, with_commit = [], [], []
    for _ in range(n):
        with sessions() as session:
            session.connection()  # the transaction is begun, as it is in a request by the time of the check
            start, start_cpu = time.perf_counter(), time.thread_time()
            access.authorise(session, principal=gp, action="read", resource_type="Patient", patient=PATIENT,
                             now=datetime.now(UTC))  # fmt: skip
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            session.commit()
            with_commit.append((time.perf_counter() - start) * 1000)
    return statistics.median(wall), statistics.median(cpu), statistics.median(with_commit)


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per route (default 2000)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--sqlite-synchronous",
        choices=("normal", "full"),
        default=None,
        help="override SQLite's synchronous pragma (default: as joinedup.db configures it)",
    )
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    worst_ratio = 0.0
    for backend in backends:
        r = run_backend(backend, args.requests, args.sqlite_synchronous)
        overhead = r["checked_median"] - r["plain_median"]
        share = overhead / r["plain_median"]
        worst_ratio = max(worst_ratio, r["checked_median"] / r["plain_median"])
        relaxed = backend == "sqlite" and args.sqlite_synchronous
        variant = f", synchronous={args.sqlite_synchronous}" if relaxed else ""
        print(f"{backend}{variant}: {args.requests} requests per route over HTTP (uvicorn, 127.0.0.1)")
        print(f"  without access check: median {r['plain_median']:.3f} ms, mean {r['plain_mean']:.3f} ms")
        print(f"  with access check:    median {r['checked_median']:.3f} ms, mean {r['checked_mean']:.3f} ms")
        print(f"  overhead per request: {overhead:.3f} ms, {share:.1%} of the request without the check "
              f"(target < 1 ms and < 20%)")  # fmt: skip
        print(f"  in the server: audit write {r['server_write']:.3f} ms, "
              f"then the commit {r['server_commit']:.3f} ms (medians)")  # fmt: skip
        print(f"  in-process, no HTTP: authorise median {r['direct']:.3f} ms wall, "
              f"{r['direct_cpu']:.3f} ms CPU; with its commit {r['direct_commit']:.3f} ms")  # fmt: skip
        print(f"  audit chain intact after the run ({int(r['entries'])} entries)")
        print(f"  {backend} ratio: {r['checked_median'] / r['plain_median']:.3f}")
    print(f"ratio: {worst_ratio:.3f}")


if __name__ == "__main__":
    main()
