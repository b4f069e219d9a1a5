"""`joinedup monitoring gateway`: readings from home devices over MQTT, stored through the same service as
the API, in batches of one transaction each.

Devices publish a FHIR Observation (or a JSON list of them) to `joinedup/readings/<device id>`. Messages
are taken with QoS 1 and acknowledged to the broker only after their batch is committed, so a gateway that
stops mid-batch gets them again, and the service stores a retried reading once (device + time + code).
A rejected reading is kept with its reason and answered on `joinedup/devices/<device id>/rejected`.
With `workers` > 1 the batches are stored by that many processes, partitioned by patient (`workers`).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session, sessionmaker

from joinedup.db import transaction
from joinedup.errors import Invalid
from joinedup.monitoring import service
from joinedup.monitoring.schemas import ReadingOutcome
from joinedup.monitoring.workers import Database, Submitted, WorkerPool

log = logging.getLogger(__name__)
READINGS_TOPIC = "joinedup/readings/#"
REJECTED_TOPIC = "joinedup/devices/{device}/rejected"


@dataclass(frozen=True)
class Message:
    """One MQTT message as received: its body, topic, broker id (for the late acknowledgement) and when."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    received: float


@dataclass
class GatewayStats:
    """What the gateway has done so far (the benchmark and the CLI print it)."""

    messages: int = 0
    readings: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    batches: int = 0

    def count(self, outcomes: list[ReadingOutcome]) -> None:
        self.readings += len(outcomes)
        for outcome in outcomes:
            self.by_status[outcome.status] = self.by_status.get(outcome.status, 0) + 1


def observations_of(message: Message) -> list[Mapping[str, Any]] | str:
    """The Observations in a message, or why there are none (not JSON, not an object or a list of them)."""
    try:
        body = json.loads(message.payload)
    except (ValueError, UnicodeDecodeError) as exc:
        return f"the message on {message.topic} is not JSON: {exc}"
    items = body if isinstance(body, list) else [body]
    if not items or not all(isinstance(item, dict) for item in items):
        return f"the message on {message.topic} must be a FHIR Observation or a list of them"
    return items


def store_observations(
    sessions: sessionmaker[Session], observations: Sequence[Mapping[str, Any]]
) -> list[ReadingOutcome]:
    """Store readings in one transaction; if that fails, each alone, and one that cannot be stored at all
    is kept as a rejection with the error (never dropped). One outcome per observation, in order."""
    if not observations:
        return []
    try:
        with transaction(sessions, writes=True) as session:
            return service.record_readings(session, observations=observations, channel="mqtt")
    except Exception:
        log.exception("a batch of %d readings failed; storing them one by one", len(observations))
    return [_store_one(sessions, observation) for observation in observations]


def _store_one(sessions: sessionmaker[Session], observation: Mapping[str, Any]) -> ReadingOutcome:
    try:
        with transaction(sessions, writes=True) as session:
            return service.record_readings(session, observations=[observation], channel="mqtt")[0]
    except Exception as exc:  # kept as a rejection, never dropped: see service.keep_rejection
        log.exception("a reading could not be stored")
        detail = f"could not be stored: {type(exc).__name__}: {exc}"[:1000]
        with transaction(sessions, writes=True) as session:
            service.keep_rejection(session, channel="mqtt", payload=observation, reason=detail)
        return ReadingOutcome(status="rejected", detail=detail)


IN_FLIGHT = 2
"""Batches handed to the workers and not yet finished: the next is ready while the last is stored."""


class Dispatched(NamedTuple):
    """A batch read and handed out: its messages, their readings, and the outcomes (or the workers' share)."""

    batch: list[Message]
    observations: list[Mapping[str, Any]]
    stored: list[ReadingOutcome] | Submitted

    def is_done(self) -> bool:
        return not isinstance(self.stored, Submitted) or self.stored.is_done()


class Gateway:
    """Subscribes to device readings and stores them in batches (up to `max_batch`, or `max_wait` seconds)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        topic: str = READINGS_TOPIC,
        max_batch: int = 500,
        max_wait: float = 0.05,
        client_id: str = "joinedup-gateway",
        on_batch: Callable[[list[Message], list[ReadingOutcome], float], None] | None = None,
        workers: int = 1,
        database: Database | None = None,
    ) -> None:
        self.sessions, self.topic = sessions, topic
        self.pool: WorkerPool | None = None
        if workers > 1:
            if database is None:
                raise Invalid("gateway workers need the database to connect to (`database`)")
            self.pool = WorkerPool(database, workers, store_observations)
        self.max_batch, self.max_wait, self.on_batch = max_batch, max_wait, on_batch
        self.inbox: queue.Queue[Message] = queue.Queue()
        self.stats = GatewayStats()
        self.stopping = threading.Event()
        self.subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False, manual_ack=True
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_args: self.subscribed.set()
        self.host, self.port = host, port

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.error("MQTT connection refused: %s", reason)
            return
        client.subscribe(self.topic, qos=1)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.inbox.put(Message(msg.topic, bytes(msg.payload), msg.mid, msg.qos, time.monotonic()))

    def start(self) -> None:
        """Start the workers (if any), connect, start the network thread; then `run` or `run_in_thread`."""
        if self.pool is not None:
            self.pool.wait_until_ready()
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.stopping.set()
        self.client.loop_stop()
        self.client.disconnect()
        if self.pool is not None:
            self.pool.close()

    def run_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="joinedup-gateway", daemon=True)
        thread.start()
        return thread

    def run(self) -> None:
        """Store batches until `stop` is called. With workers the next batch is handed out while the last
        is being stored (at most `IN_FLIGHT`), and batches are finished, so acknowledged, in order."""
        in_flight: deque[Dispatched] = deque()
        while not self.stopping.is_set() or in_flight:
            batch = [] if self.stopping.is_set() else self._next_batch(0.01 if in_flight else 0.2)
            if batch:
                in_flight.append(self._dispatch(batch))
            while in_flight and (not batch or len(in_flight) >= IN_FLIGHT or in_flight[0].is_done()):
                self._finish(in_flight.popleft())

    def _next_batch(self, first_wait: float) -> list[Message]:
        try:
            first = self.inbox.get(timeout=first_wait)
        except queue.Empty:
            return []
        # With workers a batch is shared among them, so each still gets up to `max_batch` messages.
        most = self.max_batch * (self.pool.workers if self.pool is not None else 1)
        batch, deadline = [first], time.monotonic() + self.max_wait
        while len(batch) < most:
            left = deadline - time.monotonic()
            try:
                batch.append(self.inbox.get(timeout=left) if left > 0 else self.inbox.get_nowait())
            except queue.Empty:
                break
        return batch

    def process(self, batch: list[Message]) -> list[ReadingOutcome]:
        """Store one batch in one transaction (one per worker), then acknowledge it to the broker and
        answer rejections."""
        return self._finish(self._dispatch(batch))

    def _dispatch(self, batch: list[Message]) -> Dispatched:
        """Read the batch, keep the unreadable messages, and store the readings (or hand them out)."""
        observations: list[Mapping[str, Any]] = []
        unreadable: list[tuple[Message, str]] = []
        for message in batch:
            found = observations_of(message)
            if isinstance(found, str):
                unreadable.append((message, found))
                continue
            observations += found
        if unreadable:
            self._keep_unreadable(unreadable)
        if self.pool is not None:
            return Dispatched(batch, observations, self.pool.submit(self.sessions, observations))
        return Dispatched(batch, observations, store_observations(self.sessions, observations))

    def _finish(self, dispatched: Dispatched) -> list[ReadingOutcome]:
        """Once a batch is stored: acknowledge its messages, answer rejections, count, call `on_batch`."""
        batch, observations, stored = dispatched
        if isinstance(stored, Submitted):
            assert self.pool is not None
            outcomes = self.pool.outcomes(self.sessions, stored)
        else:
            outcomes = stored
        for message in batch:
            if message.qos > 0:
                self.client.ack(message.mid, message.qos)
        self._answer_rejections(observations, outcomes)
        self.stats.messages += len(batch)
        self.stats.batches += 1
        self.stats.count(outcomes)
        if self.on_batch is not None:
            self.on_batch(batch, outcomes, time.monotonic())
        return outcomes

    def _keep_unreadable(self, unreadable: list[tuple[Message, str]]) -> None:
        with transaction(self.sessions, writes=True) as session:
            for message, reason in unreadable:
                text = message.payload.decode("utf-8", errors="replace")
                service.keep_rejection(
                    session, channel="mqtt", payload={"topic": message.topic, "body": text}, reason=reason
                )
        for message, reason in unreadable:
            device = message.topic.rsplit("/", 1)[-1]
            self.client.publish(REJECTED_TOPIC.format(device=device), json.dumps({"detail": reason}), qos=1)

    def _answer_rejections(
        self, observations: list[Mapping[str, Any]], outcomes: list[ReadingOutcome]
    ) -> None:
        for observation, outcome in zip(observations, outcomes, strict=True):
            if outcome.status != "rejected":
                continue
            device = ((observation.get("device") or {}).get("identifier") or {}).get("value", "unknown")
            answer = {
                "detail": outcome.detail,
                "effectiveDateTime": observation.get("effectiveDateTime"),
                "at": datetime.now(UTC).isoformat(),
            }
            self.client.publish(REJECTED_TOPIC.format(device=device), json.dumps(answer), qos=1)
