"""FHIR ingest: Observations through the API in transaction Bundles of 100 (validated, access-checked,
audited, indexed) beside psycopg COPY of the same rows into a plain table, same run, against PostgreSQL.

    .venv/bin/python bench/fhir_ingest.py [--bundles 100] [--patients-per-bundle 10]

Prints both rates (observations per second) and, last, `ratio: X` (COPY rate / API rate). The API is
driven in-process through the ASGI app (FastAPI's TestClient: routing, middleware, auth, JSON and the
database, without a socket). Each run uses a fresh PostgreSQL schema and drops it at the end.
"""

from __future__ import annotations

import argparse
import json
import os
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
            yield Bench(engine, schema, client, headers, practice.id)
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
    args = parser.parse_args()
    per_patient = 100 // args.patients_per_bundle
    with bench_database() as bench:
        patients = create_patients(bench, max(100, args.patients_per_bundle))
        batches = bundles(patients, args.bundles, per_patient)
        warm = bundles(patients, 2, per_patient)
        ingest_through_api(
            bench, [[{**o, "effectiveDateTime": "2023-01-01T00:00:00Z"} for o in b] for b in warm]
        )
        api = ingest_through_api(bench, batches)
        plain = copy_rate(bench, batches)
    total = args.bundles * 100
    print(
        f"observations: {total} in bundles of 100 "
        f"({args.patients_per_bundle} patients per bundle), PostgreSQL"
    )
    print(f"FHIR API (validate, access check, audit, store, index): {api:,.0f} observations/s")
    print(f"psycopg COPY into a plain table:                         {plain:,.0f} observations/s")
    print(f"ratio: {plain / api:.1f}")


if __name__ == "__main__":
    main()
