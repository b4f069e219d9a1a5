"""Remote-monitoring readings: MQTT → gateway → record + rules → alert, beside the same rows written raw.

One run, one fresh database (PostgreSQL by default, in a schema of its own, dropped at the end), the LLR
virtual hospital from the bundled reference data with every bed filled and a kit issued to each patient.

Readings go eight to a message in the raw and throughput runs (a kit sends a sitting as one list) and one
to a message in the latency run; the publisher never runs more than 500 messages ahead of the consumer,
since Mosquitto drops QoS 1 messages beyond a client's queue limit (1000 by default).

1. raw: the readings published over MQTT to a subscriber that only INSERTs their values into a plain table,
   in batches like the gateway's (no FHIR validation, record, audit or rules);
2. rules, throughput: the same number of readings through `monitoring.gateway.Gateway` (record Observation,
   access check and audit, readings index, NEWS2 and pathway rules, alerts), published as fast as possible,
   after a warm-up: first the gateway in one process, then with `--workers` worker processes (2 by default,
   partitioned by patient, as `joinedup monitoring gateway --workers 2` runs on two cores);
3. rules, latency: readings published at a steady rate below capacity, ~5% of them abnormal, through the
   gateway with workers; for each alert
   they raise, the time from publish to the alert appearing in the caseload board's server-sent events
   (a real uvicorn server, the board's own `/wards/teams/{id}/events` stream): p50 and p99.

    .venv/bin/python bench/readings.py [--readings 6000] [--rate 50] [--seconds 30] [--workers 2]
        [--backend postgresql]

Targets (issue 7): 2,000 readings/s with rules on 2 cores, publish-to-board p99 under 1 s. The last line
is `ratio: X` (raw rate / rules rate with the workers; SQLite runs one process only).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import re
import socket
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import uvicorn
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from joinedup.access import service as access
from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.fhir.validation import NHS_NUMBER_SYSTEM
from joinedup.monitoring import service as monitoring
from joinedup.monitoring import simulator
from joinedup.monitoring.gateway import Gateway, Message
from joinedup.monitoring.schemas import DeviceCreate, ReadingOutcome
from joinedup.monitoring.workers import Database, tune_gc
from joinedup.record import service as record
from joinedup.record.nhs_number import generate_test_numbers
from joinedup.record.service import Actor
from joinedup.registry import service as registry
from joinedup.settings import Settings
from joinedup.wards import service as wards
from joinedup.wards.schemas import AdmissionCreate

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BROKER = ("127.0.0.1", 1883)
ALERT_ID = re.compile(r'data-alert-id="([^"]+)"')


@contextmanager
def database(backend: str) -> Iterator[tuple[Engine, Database]]:
    """A fresh migrated database, and where a gateway worker process connects to it."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            engine = create_engine(url)
            upgrade(engine)
            yield engine, Database(url)
            engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    connect_args = {"options": f"-csearch_path={schema}"}
    engine = create_engine(POSTGRES_URL, connect_args=connect_args, pool_size=10)
    try:
        upgrade(engine)
        yield engine, Database(POSTGRES_URL, connect_args)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def fill_the_virtual_hospital(sessions: sessionmaker[Session]) -> tuple[list[simulator.Kit], str, str]:
    """Reference data, a GP and a nurse, a patient in every virtual bed with a kit; (kits, ward, nurse)."""
    with transaction(sessions) as session:
        registry.load_reference_data(session)
        teams = wards.list_ward_teams(session, on=datetime.now(UTC).date())
        lpt = registry.get_organisation(session, teams[0].organisation_id)
        practice = next(o for o in registry.list_organisations(session, kind="gp practice") if o.ods_code)
        access.create_user(
            session, {"username": "bench-gp", "role": "gp", "organisation_ods": practice.ods_code}, actor=None
        )
        access.create_user(
            session,
            {
                "username": "bench-nurse",
                "role": "virtual-ward nurse",
                "organisation_ods": lpt.ods_code if lpt else None,
                "team_ids": [teams[0].id],
            },
            actor=None,
        )
        gp = Actor(access.principal_of(access.get_user(session, "bench-gp")))  # type: ignore[arg-type]
        beds = [t.id for t in teams for _ in range(t.beds or 0)]
        numbers = generate_test_numbers(len(beds), seed=77)
        bodies = [
            {
                "resourceType": "Patient",
                "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": n}],
                "name": [{"family": f"Bench{i}"}],
                "generalPractitioner": [{"reference": f"Organization/{practice.id}"}],
            }
            for i, n in enumerate(numbers)
        ]
        record.create_many(session, actor=gp, bodies=bodies)
        since = datetime.now(UTC) - timedelta(days=2)
        pathways = ("heart-failure", "frailty", "covid-19", "respiratory")
        for i, (number, ward_id) in enumerate(zip(numbers, beds, strict=True)):
            admission = AdmissionCreate(nhs_number=number, pathway=pathways[i % 4], admitted_at=since)
            wards.admit_patient(session, actor=gp, ward_id=ward_id, admission=admission)
            monitoring.issue_device(
                session, actor=gp, device=DeviceCreate(value=f"BENCH-{number}", nhs_number=number)
            )
        kits = simulator.kits_on_wards(session, random.Random(3))
    return kits, teams[0].id, "bench-nurse"


def readings_for(
    kits: list[simulator.Kit], count: int, *, start: datetime, abnormal: float, seed: int
) -> list[dict[str, Any]]:
    """`count` single readings round the caseload, each at its own second; `abnormal` of them SpO2 84%."""
    rng = random.Random(seed)
    found = []
    for i in range(count):
        kit = kits[i % len(kits)]
        at = start + timedelta(seconds=i // len(kits), microseconds=0)
        if rng.random() < abnormal:
            found.append(simulator.observation(kit, "spo2", 84, at))
        else:
            measure = ("pulse", "spo2", "systolic_bp", "respiration_rate", "temperature")[i % 5]
            value = {
                "pulse": 76,
                "spo2": 97,
                "systolic_bp": 126,
                "respiration_rate": 15,
                "temperature": 36.8,
            }[measure]
            found.append(simulator.observation(kit, measure, value + rng.randint(-2, 2), at))
    return found


def publisher(client_id: str) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    client.connect(*BROKER)
    client.loop_start()
    return client


PER_MESSAGE = 8
"""Readings per MQTT message (a kit sends a sitting as one list), so the broker's queue stays short."""
MAX_AHEAD = 500
"""Messages published but not yet stored: Mosquitto drops QoS 1 messages past a client's queue limit
(`max_queued_messages`, 1000 by default), so the publisher waits rather than outrun the consumer."""


def messages_of(readings: list[dict[str, Any]], per_message: int) -> list[list[dict[str, Any]]]:
    return [readings[i : i + per_message] for i in range(0, len(readings), per_message)]


def key_of(body: dict[str, Any]) -> tuple[str, str, str]:
    return (
        body["device"]["identifier"]["value"],
        body["effectiveDateTime"],
        body["code"]["coding"][0]["code"],
    )


def raw_rate(engine: Engine, readings: list[dict[str, Any]], prefix: str) -> float:
    """MQTT to a subscriber that INSERTs the values into a plain table, batched like the gateway."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE bench_raw_readings (device VARCHAR(120), effective VARCHAR(40), "
                "code VARCHAR(20), value FLOAT)"
            )
        )
    inbox: queue.Queue[bytes] = queue.Queue()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{prefix}-raw")
    sub.on_message = lambda _c, _u, msg: inbox.put(bytes(msg.payload))
    subscribed = threading.Event()
    sub.on_subscribe = lambda *_a: subscribed.set()
    sub.connect(*BROKER)
    sub.subscribe(f"{prefix}/raw/#", qos=1)
    sub.loop_start()
    subscribed.wait(10)
    pub = publisher(f"{prefix}-raw-pub")
    messages = messages_of(readings, PER_MESSAGE)
    done = [0]

    def send() -> None:
        for i, message in enumerate(messages):
            while i - done[0] > MAX_AHEAD:
                time.sleep(0.001)
            pub.publish(f"{prefix}/raw/{key_of(message[0])[0]}", json.dumps(message), qos=1)

    started = time.monotonic()
    threading.Thread(target=send, daemon=True).start()
    while done[0] < len(messages):
        batch = [inbox.get(timeout=60)]
        while len(batch) < 500 // PER_MESSAGE:
            try:
                batch.append(inbox.get_nowait())
            except queue.Empty:
                break
        rows = []
        for payload in batch:
            for body in json.loads(payload):
                device, effective, code = key_of(body)
                rows.append({"d": device, "e": effective, "c": code, "v": body["valueQuantity"]["value"]})
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_raw_readings VALUES (:d, :e, :c, :v)"), rows)
        done[0] += len(batch)
    elapsed = time.monotonic() - started
    for client in (pub, sub):
        client.loop_stop()
        client.disconnect()
    return len(readings) / elapsed


class Timings:
    """Publish times by reading, and when each alert a reading raised was committed."""

    def __init__(self) -> None:
        self.published: dict[tuple[str, str, str], float] = {}
        self.alert_published: dict[str, float] = {}
        self.committed: list[float] = []
        self.processed = 0
        self.messages = 0
        self.lock = threading.Lock()

    def on_batch(self, batch: list[Message], outcomes: list[ReadingOutcome], at: float) -> None:
        bodies = [body for m in batch for body in json.loads(m.payload)]
        with self.lock:
            self.processed += len(outcomes)
            self.messages += len(batch)
            for body, outcome in zip(bodies, outcomes, strict=True):
                sent = self.published.get(key_of(body))
                if sent is None:
                    continue
                self.committed.append(at - sent)
                for alert_id in outcome.alert_ids:
                    self.alert_published.setdefault(alert_id, sent)


def run_gateway(
    sessions: sessionmaker[Session], prefix: str, timings: Timings, workers: int, target: Database
) -> Gateway:
    gate = Gateway(
        sessions,
        topic=f"{prefix}/readings/#",
        client_id=f"{prefix}-gateway",
        on_batch=timings.on_batch,
        max_batch=500 // PER_MESSAGE,
        workers=workers,
        database=target,
    )
    gate.start()
    gate.subscribed.wait(10)
    gate.run_in_thread()
    return gate


def publish(
    readings: list[dict[str, Any]], prefix: str, timings: Timings, rate: float | None, per_message: int
) -> None:
    """Publish as fast as the consumer allows (or at `rate` readings a second), `per_message` to a message."""
    pub = publisher(f"{prefix}-pub-{uuid.uuid4().hex[:4]}")
    started = time.monotonic()
    for i, message in enumerate(messages_of(readings, per_message)):
        if rate is not None:
            time.sleep(max(0.0, started + i * per_message / rate - time.monotonic()))
        while i - timings.messages > MAX_AHEAD:
            time.sleep(0.001)
        with timings.lock:
            for body in message:
                timings.published[key_of(body)] = time.monotonic()
        pub.publish(f"{prefix}/readings/{key_of(message[0])[0]}", json.dumps(message), qos=1)
    pub.loop_stop()
    pub.disconnect()


def wait_for(timings: Timings, count: int, limit: float = 600) -> float:
    deadline = time.monotonic() + limit
    while timings.processed < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return time.monotonic()


def board_watch(url: str, ward_id: str, token: str, seen: dict[str, float], stop: threading.Event) -> None:
    """Follow the board's event stream; note when each alert id first appears."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    try:
        _follow(url, ward_id, headers, seen, stop)
    except httpx.HTTPError:
        return  # the server stopped at the end of the run


def _follow(
    url: str, ward_id: str, headers: dict[str, str], seen: dict[str, float], stop: threading.Event
) -> None:
    with (
        httpx.Client(timeout=None) as client,
        client.stream("GET", f"{url}/wards/teams/{ward_id}/events", headers=headers) as response,
    ):
        data: list[str] = []
        for line in response.iter_lines():
            if stop.is_set():
                return
            if line.startswith("data:"):
                data.append(line[5:])
            elif not line and data:
                now = time.monotonic()
                for alert_id in ALERT_ID.findall("\n".join(data)):
                    seen.setdefault(alert_id, now)
                data = []


def serve(sessions: sessionmaker[Session], secret: str) -> tuple[str, uvicorn.Server, threading.Thread]:
    from joinedup.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(
        database_url="sqlite://", secret_key=secret, secret_file=Path(tempfile.mkdtemp()) / "s"
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, sessions=sessions), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def throughput(
    gate: Gateway, prefix: str, readings: list[dict[str, Any]], warm_up: list[dict[str, Any]]
) -> float:
    """Readings a second through the gateway, published as fast as it takes them, after `warm_up` (each
    process's first batches compile queries and build validators: a gateway does that once in its life)."""
    warming = Timings()
    gate.on_batch = warming.on_batch
    publish(warm_up, prefix, warming, rate=None, per_message=PER_MESSAGE)
    wait_for(warming, len(warm_up))
    timings = Timings()
    gate.on_batch = timings.on_batch
    workers = gate.pool.workers if gate.pool is not None else 1
    batches = gate.stats.batches
    pids = gate.pool.pids() if gate.pool is not None else []
    cpu0, workers0 = time.process_time(), sum(cpu_seconds(pid) for pid in pids)
    t0 = time.monotonic()
    publish(readings, prefix, timings, rate=None, per_message=PER_MESSAGE)
    rate = len(readings) / (wait_for(timings, len(readings)) - t0)
    here = (time.process_time() - cpu0) / len(readings) * 1e6
    print(
        f"rules, {workers} process{'es' if workers > 1 else ''}: {rate:,.0f} readings/s (MQTT -> record, "
        f"audit, index, NEWS2 + pathway rules, alerts), {timings.processed} readings, "
        f"{timings.messages} messages in {gate.stats.batches - batches} batches (with warm-up: "
        f"{gate.stats.by_status})"
    )
    if pids:
        stored = (sum(cpu_seconds(pid) for pid in pids) - workers0) / len(readings) * 1e6
        print(f"  CPU a reading: {stored:,.0f} us in the workers, {here:,.0f} us in this process")
    else:
        print(f"  CPU a reading: {here:,.0f} us in this process (the gateway and the publisher)")
    return rate


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux), 0 where /proc cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=6000, help="readings in the raw and throughput runs")
    parser.add_argument("--rate", type=float, default=50.0, help="readings per second in the latency run")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the latency run")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--workers", type=int, default=2, help="gateway worker processes (PostgreSQL)")
    args = parser.parse_args()
    prefix = f"bench-{uuid.uuid4().hex[:6]}"
    secret = uuid.uuid4().hex
    workers = args.workers if args.backend == "postgresql" else 1
    with database(args.backend) as (engine, target):
        sessions = session_factory(engine)
        started = time.monotonic()
        kits, ward_id, nurse = fill_the_virtual_hospital(sessions)
        print(f"set-up: {len(kits)} patients on virtual wards with kits ({time.monotonic() - started:.0f} s)")
        base = datetime.now(UTC) - timedelta(hours=2)
        readings = readings_for(kits, args.readings, start=base, abnormal=0.0, seed=1)
        raw = raw_rate(engine, readings, prefix)
        print(f"raw: {raw:,.0f} readings/s (MQTT -> plain INSERT, no rules), {args.readings} readings")
        tune_gc()  # as `joinedup monitoring gateway` does in its process (and each worker in its own)

        # One process, then `workers` processes (the figure for the target), each on readings of its own.
        def at(minutes: int, count: int) -> list[dict[str, Any]]:
            start = base + timedelta(minutes=minutes)
            return readings_for(kits, count, start=start, abnormal=0.0, seed=minutes)

        gate = run_gateway(sessions, f"{prefix}-1", Timings(), 1, target)
        rules = throughput(gate, f"{prefix}-1", readings, at(-20, 1000))
        if workers > 1:
            gate.stop()
            prefix = f"{prefix}-{workers}"
            gate = run_gateway(sessions, prefix, Timings(), workers, target)
            rules = throughput(gate, prefix, at(10, args.readings), at(-10, 1000 * workers))
        else:
            prefix = f"{prefix}-1"

        with transaction(sessions) as session:
            token = access.issue_token(session, username=nurse, scopes=None, minutes=30, secret=secret)
        url, server, server_thread = serve(sessions, secret)
        seen: dict[str, float] = {}
        stop = threading.Event()
        threading.Thread(target=board_watch, args=(url, ward_id, token, seen, stop), daemon=True).start()
        time.sleep(1.0)
        steady = Timings()
        gate.on_batch = steady.on_batch
        count = int(args.rate * args.seconds)
        later = readings_for(kits, count, start=base + timedelta(minutes=30), abnormal=0.05, seed=2)
        publish(later, prefix, steady, rate=args.rate, per_message=1)
        wait_for(steady, count)
        time.sleep(1.5)
        stop.set()
        gate.stop()
        server.should_exit = True
        server_thread.join(timeout=15)
        # alerts already on the board before their reading (updated, not raised) are left out
        on_board = [seen[a] - sent for a, sent in steady.alert_published.items() if seen.get(a, -1.0) >= sent]
        committed = steady.committed
        print(
            f"latency run: {count} readings at {args.rate:g}/s, {len(steady.alert_published)} alerts raised "
            f"or updated, {len(on_board)} first shown on the watched board"
        )
        print(
            f"publish -> committed (every reading): p50 {percentile(committed, 50) * 1000:.0f} ms, "
            f"p99 {percentile(committed, 99) * 1000:.0f} ms"
        )
        if on_board:
            print(
                f"publish -> alert on the board (SSE): p50 {statistics.median(on_board) * 1000:.0f} ms, "
                f"p99 {percentile(on_board, 99) * 1000:.0f} ms, n={len(on_board)}"
            )
        print(f"ratio: {raw / rules:.1f}")


if __name__ == "__main__":
    main()
