"""FHIR latency against PostgreSQL through a real HTTP server (uvicorn in its own processes, `--workers`):

1. single Observation POSTs sent open-loop at a fixed rate (default 200 requests/s for 60 s); latency is
   measured from each request's scheduled time, so a server that falls behind is not flattered. The
   requests are built before the clock starts and sent over plain asyncio streams, and the client's own
   CPU per request is printed, so the load generator is seen not to be what limits the rate;
2. a patient's latest 100 Observations (`Observation?patient=X&_sort=-date&_count=100`) among many rows
   (default 1,000,000, bulk-loaded with COPY into the record and index tables, the index rows made by
   the same extraction the API uses), asked one after another.

    .venv/bin/python bench/fhir_latency.py [--rate 200] [--seconds 60] [--rows 1000000] [--searches 300]

Prints p50, p99 and the achieved rate of each, against the targets (POST p99 < 50 ms; search p99 < 20 ms),
and last `ratio: X` (search p99 / 20 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fhir_ingest import POSTGRES_URL, bench_database, create_patients, observation
from joinedup.record.storage import index_rows, stamp


def make_app() -> Any:
    """The app over the bench schema (uvicorn's factory, in each worker process; set by start_server)."""
    from joinedup.db import create_engine, session_factory
    from joinedup.heap import settle_after_start_up
    from joinedup.settings import Settings
    from joinedup.web.app import create_app

    url, schema, secret = (os.environ[f"JOINEDUP_BENCH_{name}"] for name in ("URL", "SCHEMA", "SECRET"))
    engine = create_engine(
        url, connect_args={"options": f"-csearch_path={schema}"}, pool_size=20, max_overflow=20
    )
    settings = Settings(database_url=url, secret_key=secret, secret_file=Path("/tmp/unused"))
    app = create_app(settings, sessions=session_factory(engine))
    settle_after_start_up()  # as `joinedup serve` does (web.app.serving_app)
    return app


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def start_server(schema: str, secret: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """uvicorn with `workers` processes on 127.0.0.1:`port`, serving the bench schema."""
    env = {
        **os.environ,
        "JOINEDUP_BENCH_URL": POSTGRES_URL,
        "JOINEDUP_BENCH_SCHEMA": schema,
        "JOINEDUP_BENCH_SECRET": secret,
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "fhir_latency:make_app",
        "--factory",
        "--app-dir",
        str(Path(__file__).resolve().parent),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "critical",
        "--no-access-log",
    ]
    server = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the server did not start")


def post_requests(
    path: str, headers: dict[str, str], patients: list[str], total: int, port: int
) -> list[bytes]:
    """Every POST as the bytes sent, built before the clock starts so the client's own work stays small."""
    fixed = {**headers, "Host": f"127.0.0.1:{port}", "Prefer": "return=minimal", "Connection": "keep-alive"}
    head = "".join(
        f"{name}: {value}\r\n" for name, value in fixed.items() if name.lower() != "content-length"
    )
    requests = []
    for index in range(total):
        body = json.dumps(observation(patients[index % len(patients)], 5_000_000 + index)).encode()
        requests.append(f"POST {path} HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
    return requests


READ_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError)


async def _status_of_reply(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response (Content-Length framed, as the server sends them); its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return int(lines[0].split()[1])


async def post_open_loop(
    port: int, requests: list[bytes], rate: float, senders: int = 64
) -> tuple[list[float], int, float]:
    """Latencies in ms (from each scheduled send time) of POSTs due at `rate` a second; errors; rate.

    `senders` keep-alive connections take the next due request in turn; when all are busy a request starts
    late, and its lateness counts in its latency (no coordinated omission). Requests are prebuilt bytes and
    replies are read with asyncio streams, so the client costs little CPU beside the server it measures.
    """
    latencies: list[float] = []
    errors = 0
    due = iter(range(len(requests)))
    started = time.perf_counter()

    async def sender() -> None:
        nonlocal errors
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        for index in due:
            scheduled = started + index / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            try:
                if connection is None:
                    connection = await asyncio.open_connection("127.0.0.1", port)
                reader, writer = connection
                writer.write(requests[index])
                failed = await asyncio.wait_for(_status_of_reply(reader), 30) != 201
            except READ_ERRORS:
                failed = True
                if connection is not None:
                    connection[1].close()
                connection = None
            errors += failed
            latencies.append((time.perf_counter() - scheduled) * 1000)
        if connection is not None:
            connection[1].close()

    await asyncio.gather(*(sender() for _ in range(senders)))
    elapsed = time.perf_counter() - started
    return latencies, errors, len(requests) / elapsed


def _copy_rows(
    conn: psycopg.Connection[Any], table: str, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def bulk_load(schema: str, patients: list[str], rows: int, org: str) -> float:
    """`rows` Observations straight into the record tables with COPY; returns the seconds it took."""
    url = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    started = time.perf_counter()
    now = datetime.now(UTC)
    with psycopg.connect(url, options=f"-csearch_path={schema}") as conn:
        first_pk = conn.execute("SELECT coalesce(max(pk), 0) + 1 FROM record_resources").fetchone()[0]  # type: ignore[index]
        conn.execute(f"SELECT setval(pg_get_serial_sequence('record_resources', 'pk'), {first_pk + rows})")
        for start in range(0, rows, 100_000):
            resources, indexes = [], {}
            for offset in range(start, min(rows, start + 100_000)):
                pk = first_pk + offset
                patient = patients[offset % len(patients)]
                body = stamp({**observation(patient, offset), "id": str(uuid.uuid4())}, 1, now)
                resources.append(
                    (
                        pk,
                        "Observation",
                        body["id"],
                        1,
                        now.replace(tzinfo=None),
                        False,
                        patient,
                        org,
                        json.dumps(body),
                    )
                )
                for table, values in index_rows(pk, body).items():
                    indexes.setdefault(table, []).extend(values)
            _copy_rows(
                conn,
                "record_resources",
                [
                    "pk",
                    "resource_type",
                    "resource_id",
                    "version",
                    "last_updated",
                    "is_deleted",
                    "patient_id",
                    "created_by_org",
                    "body",
                ],
                resources,
            )
            for table, values in indexes.items():
                columns = [c for c in values[0] if c != "id"]
                plain = [tuple(_naive(v[c]) for c in columns) for v in values]
                _copy_rows(conn, table.__tablename__, columns, plain)
            conn.commit()
            print(f"  loaded {min(rows, start + 100_000):,} observations", flush=True)
        conn.commit()
    with psycopg.connect(url, options=f"-csearch_path={schema}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # the steady state autovacuum reaches: visibility map set
    return time.perf_counter() - started


def _naive(value: Any) -> Any:
    return value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) else value


def time_searches(base: str, headers: dict[str, str], patients: list[str], count: int) -> list[float]:
    latencies = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for index in range(count + 10):
            patient = patients[(index * 37) % len(patients)]
            started = time.perf_counter()
            reply = client.get("/Observation", params={"patient": patient, "_sort": "-date", "_count": "100"})
            elapsed = (time.perf_counter() - started) * 1000
            if reply.status_code != 200 or len(reply.json().get("entry", [])) != 100:
                raise SystemExit(f"search failed: {reply.status_code} {reply.text[:200]}")
            if index >= 10:  # the first ten warm the connection pool and caches
                latencies.append(elapsed)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rows", type=int, default=1_000_000, help="0: POSTs only")
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (2 cores here)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("JOINEDUP_BENCH_PORT", "8799")))
    args = parser.parse_args()
    with bench_database() as bench:
        patients = create_patients(bench, args.patients)
        headers = dict(bench.headers)
        secret = bench.client.app.state.settings.secret_key  # type: ignore[attr-defined]
        server = start_server(bench.schema, secret, args.port, args.workers)
        base = f"http://127.0.0.1:{args.port}/fhir/r4"
        try:
            requests = post_requests(
                "/fhir/r4/Observation", headers, patients, int(args.rate * args.seconds), args.port
            )
            client_cpu = time.process_time()
            posts, errors, achieved = asyncio.run(post_open_loop(args.port, requests, args.rate))
            client_cpu = (time.process_time() - client_cpu) / len(requests) * 1000
            print(
                f"POST Observation: {len(posts)} sent at {args.rate:.0f}/s for {args.seconds:.0f} s, "
                f"achieved {achieved:.0f}/s, {errors} errors (client CPU {client_cpu:.2f} ms a request)"
            )
            print(
                f"  p50 {percentile(posts, 0.5):.1f} ms, p99 {percentile(posts, 0.99):.1f} ms "
                "(target p99 < 50 ms)"
            )
            if args.rows <= 0:
                return
            print(f"bulk load of {args.rows:,} Observations for {len(patients)} patients (COPY):")
            seconds = bulk_load(bench.schema, patients, args.rows, "Y90001")
            print(f"  {seconds:.0f} s")
            searches = time_searches(base, headers, patients, args.searches)
            p99 = percentile(searches, 0.99)
            print(
                f"latest 100 Observations of a patient among {args.rows:,} (+ the POSTs above), "
                f"{len(searches)} "
                f"searches: p50 {statistics.median(searches):.1f} ms, p99 {p99:.1f} ms (target p99 < 20 ms)"
            )
            print(f"ratio: {p99 / 20:.2f}")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
