"""FHIR ingest: Observations through the API in transaction Bundles of 100 (validated, access-checked,
audited, indexed) beside psycopg COPY of the same rows into a plain table, same run, against PostgreSQL.

    .venv/bin/python bench/fhir_ingest.py [--bundles 100] [--patients-per-bundle 10] [--workers 2]

The API is measured twice over the same Bundles: in-process through the ASGI app (FastAPI's TestClient,
one thread: routing, middleware, auth, JSON and the database, without a socket), and as deployed:
`joinedup serve --workers N` (uvicorn, one process per core) on a free local port, driven over HTTP by
a few client threads posting pre-encoded Bundles, every response's status checked and the stored count
checked at the end. Prints the rates (observations per second) and, last, `ratio: X` (COPY rate / the
multi-worker API rate). Each run uses a fresh PostgreSQL schema and drops it at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.url import URL

from joinedup.access import service as access
from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.record.nhs_number import generate_test_numbers
from joinedup.registry import service as registry
from joinedup.settings import Settings
from joinedup.web.app import create_app

POSTGRES_URL = os.environ.get(
    "JOINEDUP_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NHS = "https://fhir.nhs.uk/Id/nhs-number"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SIGNS = (
    ("8867-4", "Heart rate", "/min", 72.0),
    ("59408-5", "Oxygen saturation", "%", 96.0),
    ("9279-1", "Respiratory rate", "/min", 16.0),
    ("8310-5", "Body temperature", "Cel", 36.8),
)


@dataclass
class Bench:
    """A migrated schema with the registry, a GP user and the app over it."""

    engine: Engine
    schema: str
    client: TestClient
    headers: dict[str, str]
    practice_id: str
    secret: str


@contextmanager
def bench_database(username: str = "bench-gp") -> Iterator[Bench]:
    """A fresh schema with reference data and a GP at the demo practice; dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=8)
    try:
        upgrade(engine)
        sessions = session_factory(engine)
        secret = uuid.uuid4().hex
        with transaction(sessions) as session:
            registry.load_reference_data(session)
            practice = sorted(
                (
                    o
                    for o in registry.list_organisations(session, kind="gp practice")
                    if (o.ods_code or "")[:2] == "Y9"
                ),
                key=lambda o: o.ods_code or "",
            )[0]
            access.create_user(
                session,
                {"username": username, "role": "gp", "organisation_ods": practice.ods_code},
                actor=None,
            )
            token = access.issue_token(session, username=username, scopes=None, minutes=120, secret=secret)
        settings = Settings(database_url=POSTGRES_URL, secret_key=secret, secret_file=Path("/tmp/unused"))
        with TestClient(create_app(settings, sessions=sessions)) as client:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
            yield Bench(engine, schema, client, headers, practice.id, secret)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def create_patients(bench: Bench, count: int, seed: int = 6) -> list[str]:
    """`count` patients at the demo practice, created through one transaction Bundle per 100."""
    ids: list[str] = []
    numbers = generate_test_numbers(count, seed)
    for start in range(0, count, 100):
        entries = [
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "request": {"method": "POST", "url": "Patient"},
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": NHS, "value": n}],
                    "name": [{"family": "Bench", "given": [f"P{start + i}"]}],
                    "gender": "unknown",
                    "birthDate": "1940-01-01",
                    "generalPractitioner": [{"reference": f"Organization/{bench.practice_id}"}],
                },
            }
            for i, n in enumerate(numbers[start : start + 100])
        ]
        reply = bench.client.post(
            "/fhir/r4",
            json={"resourceType": "Bundle", "type": "transaction", "entry": entries},
            headers=bench.headers,
        )
        reply.raise_for_status()
        ids += [e["response"]["location"].split("/")[1] for e in reply.json()["entry"]]
    return ids


def observation(patient_id: str, index: int) -> dict[str, Any]:
    code, display, unit, value = SIGNS[index % len(SIGNS)]
    second = index % 86400
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": f"2024-{1 + index // 2_000_000 % 12:02d}-{1 + index // 86400 % 28:02d}T"
        f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z",
        "valueQuantity": {"value": value + index % 7, "unit": unit, "system": UCUM, "code": unit},
    }


def bundles(patients: list[str], count: int, per_patient: int) -> list[list[dict[str, Any]]]:
    """`count` lists of 100 Observations, each for 100 // per_patient patients."""
    made, index = [], 0
    for number in range(count):
        rows = []
        for slot in range(100):
            patient = patients[(number * (100 // per_patient) + slot // per_patient) % len(patients)]
            rows.append(observation(patient, index))
            index += 1
        made.append(rows)
    return made


def ingest_through_api(bench: Bench, batches: list[list[dict[str, Any]]]) -> float:
    """Observations per second through POST /fhir/r4 transaction Bundles (responses checked)."""
    started = time.perf_counter()
    for rows in batches:
        entries = [{"request": {"method": "POST", "url": "Observation"}, "resource": r} for r in rows]
        reply = bench.client.post(
            "/fhir/r4",
            json={"resourceType": "Bundle", "type": "transaction", "entry": entries},
            headers=bench.headers,
        )
        if reply.status_code != 200:
            raise SystemExit(f"bundle refused: {reply.status_code} {reply.text[:300]}")
    return sum(len(b) for b in batches) / (time.perf_counter() - started)


def schema_url(schema: str) -> URL:
    """The bench database URL with `schema` first on the search path (libpq `options`), for a server."""
    return make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(bench: Bench, workers: int) -> Iterator[int]:
    """`joinedup serve --workers N` over the bench schema on a free port (settings from JOINEDUP_*),
    yielded once every worker has started (uvicorn logs each start-up at info level)."""
    port = free_port()
    env = {
        **os.environ,
        "JOINEDUP_DATABASE_URL": schema_url(bench.schema).render_as_string(hide_password=False),
        "JOINEDUP_SECRET_KEY": bench.secret,
    }
    command = [str(Path(sys.executable).with_name("joinedup")), "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "info"]
    # stdout carries uvicorn's access log at info level: not wanted here.
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    started = threading.Semaphore(0)
    log: list[str] = []

    def read_log() -> None:  # drained to the end, so the server never blocks on a full pipe
        assert server.stderr is not None
        for line in server.stderr:
            log.append(line)
            if "Application startup complete" in line:
                started.release()

    threading.Thread(target=read_log, daemon=True).start()
    try:
        for _ in range(workers):
            if not started.acquire(timeout=120):
                raise SystemExit("joinedup serve did not start:\n" + "".join(log[-20:]))
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def encoded(batches: list[list[dict[str, Any]]]) -> list[bytes]:
    """Each batch as the bytes of a transaction Bundle (encoded before the clock starts)."""
    return [
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [{"request": {"method": "POST", "url": "Observation"}, "resource": r} for r in rows],
            }
        ).encode()
        for rows in batches
    ]


def post_concurrently(port: int, headers: dict[str, str], bodies: list[bytes], clients: int) -> float:
    """Seconds taken by `clients` threads, each on its own keep-alive connection, to POST every body at
    /fhir/r4 (each taking the next unsent one); SystemExit on any response but 200."""
    queue = iter(bodies)
    lock = threading.Lock()
    failures: list[str] = []

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            while not failures:
                with lock:
                    body = next(queue, None)
                if body is None:
                    return
                connection.request("POST", "/fhir/r4", body=body, headers=headers)
                reply = connection.getresponse()
                text = reply.read()
                if reply.status != 200:
                    failures.append(f"bundle refused: {reply.status} {text[:300]!r}")
        except OSError as exc:
            failures.append(f"connection failed: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(failures[0])
    return elapsed


def stored_observations(bench: Bench) -> int:
    with bench.engine.connect() as conn:
        query = text("SELECT count(*) FROM record_resources WHERE resource_type = 'Observation'")
        return int(conn.execute(query).scalar_one())


def ingest_multi_worker(
    bench: Bench,
    batches: list[list[dict[str, Any]]],
    warm: list[list[dict[str, Any]]],
    workers: int,
    clients: int,
) -> float:
    """Observations per second through `joinedup serve --workers N`, as deployed; every one stored."""
    with serving(bench, workers) as port:
        # Each worker builds its app lazily (models, statement caches): warm every one before timing.
        post_concurrently(port, bench.headers, encoded(warm) * workers, clients)
        bodies = encoded(batches)
        before = stored_observations(bench)
        seconds = post_concurrently(port, bench.headers, bodies, clients)
    count = sum(len(b) for b in batches)
    if stored_observations(bench) - before != count:
        raise SystemExit(f"{count} Observations sent but {stored_observations(bench) - before} stored")
    return count / seconds


def copy_rate(bench: Bench, batches: list[list[dict[str, Any]]]) -> float:
    """Observations per second of psycopg COPY of the same rows into a plain table (id, patient, jsonb)."""
    url = make_url(POSTGRES_URL).set(drivername="postgresql")
    with psycopg.connect(
        url.render_as_string(hide_password=False), options=f"-csearch_path={bench.schema}"
    ) as conn:
        conn.execute("CREATE TABLE bench_plain_observations (id uuid PRIMARY KEY, patient text, body jsonb)")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor().copy("COPY bench_plain_observations (id, patient, body) FROM STDIN") as copy:
            for rows in batches:
                for row in rows:
                    copy.write_row((uuid.uuid4(), row["subject"]["reference"], json.dumps(row)))
        conn.commit()
        return sum(len(b) for b in batches) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundles", type=int, default=100, help="transaction Bundles of 100 Observations")
    parser.add_argument(
        "--patients-per-bundle", type=int, default=10, choices=(1, 2, 4, 5, 10, 20, 25, 50, 100)
    )
    parser.add_argument("--workers", type=int, default=2, help="server processes (one per core)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client connections")
    args = parser.parse_args()
    per_patient = 100 // args.patients_per_bundle
    with bench_database() as bench:
        patients = create_patients(bench, max(100, args.patients_per_bundle))
        batches = bundles(patients, args.bundles, per_patient)
        warm = bundles(patients, 2, per_patient)
        warm = [[{**o, "effectiveDateTime": "2023-01-01T00:00:00Z"} for o in b] for b in warm]
        ingest_through_api(bench, warm)
        api = ingest_through_api(bench, batches)
        served = ingest_multi_worker(bench, batches, warm, args.workers, args.clients)
        plain = copy_rate(bench, batches)
    total = args.bundles * 100
    print(
        f"observations: {total} in bundles of 100 "
        f"({args.patients_per_bundle} patients per bundle), PostgreSQL"
    )
    print("FHIR API: validate, access check, audit, store, index")
    print(f"  in-process, one thread:{'':20}{api:>8,.0f} observations/s")
    http_label = f"over HTTP, {args.workers} workers, {args.clients} clients:"
    print(f"  {http_label:<43}{served:>8,.0f} observations/s")
    print(f"psycopg COPY into a plain table:{'':13}{plain:>8,.0f} observations/s")
    print(f"ratio: {plain / served:.1f}")


if __name__ == "__main__":
    main()
