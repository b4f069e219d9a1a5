"""Gateway worker processes: each batch's readings are stored by N processes, partitioned by patient, so one
patient's readings are always stored, and their rules run, by the same process in the order they arrived.

The rules read a patient's history and keep one open alert per stay and rule, so two processes must never
judge the same patient at once; partitioning by patient gives that without locks (and the database's unique
open-alert key still refuses a second alert should it ever happen). MQTT shared subscriptions would spread
one device's messages over subscribers and lose that order, so one subscriber hands the work out instead.

Each worker is a process pool of one (its tasks run one after another, in order). A worker that dies takes
its part of the batch with it: that part is stored in the gateway's own process (readings are idempotent on
device + time + code, so a part the worker had committed comes back as duplicates) and it is started again.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from joinedup.db import create_engine, session_factory, transaction
from joinedup.errors import Invalid
from joinedup.fhir.validation import NHS_NUMBER_SYSTEM
from joinedup.heap import settle_after_start_up
from joinedup.monitoring.schemas import ReadingOutcome
from joinedup.wards import service as wards

log = logging.getLogger(__name__)
Store = Callable[[sessionmaker[Session], Sequence[Mapping[str, Any]]], list[ReadingOutcome]]


@dataclass(frozen=True)
class Database:
    """Where a worker process connects: the URL and the driver's connect arguments (e.g. a search path)."""

    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)


def patient_key(observation: Mapping[str, Any], nhs_by_patient_id: Mapping[str, str]) -> str:
    """The patient a reading is about: the NHS number (digits only), as given or found for its Patient/id;
    else the Patient reference or the device (such a reading will be refused, but is still routed)."""
    subject = observation.get("subject")
    if isinstance(subject, Mapping):
        ident = subject.get("identifier")
        if isinstance(ident, Mapping) and ident.get("system") == NHS_NUMBER_SYSTEM:
            return "".join(str(ident.get("value", "")).split())
        reference = subject.get("reference")
        if isinstance(reference, str) and reference:
            return nhs_by_patient_id.get(reference.removeprefix("Patient/"), reference)
    device = observation.get("device")
    ident = device.get("identifier") if isinstance(device, Mapping) else None
    return str(ident.get("value", "")) if isinstance(ident, Mapping) else ""


def partition(key: str, workers: int) -> int:
    """The worker of a patient: a stable hash (the same in every process and run), not Python's `hash`."""
    return zlib.crc32(key.encode()) % workers


GC_THRESHOLDS = (10_000, 10, 10)
"""A batch allocates millions of short-lived objects (FHIR models, ORM rows); at CPython's default (700)
the collector ran hundreds of times a batch and took about a tenth of a gateway's CPU."""


def tune_gc() -> None:
    """For a process that only stores readings: collect young objects less often, and leave what was loaded
    at start-up (modules, mappers) out of full collections."""
    settle_after_start_up()
    gc.set_threshold(*GC_THRESHOLDS)


_sessions: sessionmaker[Session] | None = None


def _start_worker(database: Database) -> None:
    global _sessions
    engine = create_engine(database.url, connect_args=dict(database.connect_args), pool_size=1)
    _sessions = session_factory(engine)
    tune_gc()


def _store_in_worker(store: Store, observations: list[Mapping[str, Any]]) -> list[ReadingOutcome]:
    assert _sessions is not None, "worker started without a database"
    return store(_sessions, observations)


def _ready() -> bool:
    return _sessions is not None


def _pid() -> int:
    return os.getpid()


@dataclass(frozen=True)
class Submitted:
    """A batch handed to the workers: the readings, each worker's share (indexes) and its pending result."""

    observations: Sequence[Mapping[str, Any]]
    parts: list[list[int]]
    futures: dict[int, Future[list[ReadingOutcome]]]
    pools: dict[int, ProcessPoolExecutor]

    def is_done(self) -> bool:
        return all(f.done() for f in self.futures.values())


class WorkerPool:
    """N single-process pools, one per partition of patients; `store` hands each its part and waits."""

    def __init__(self, database: Database, workers: int, store: Store) -> None:
        if workers < 1:
            raise Invalid(f"workers must be at least 1, not {workers}")
        if make_url(database.url).get_backend_name() == "sqlite":
            raise Invalid(
                "gateway workers need PostgreSQL: SQLite has one writer, so more processes only wait"
            )
        self.database, self.workers, self.store_part = database, workers, store
        self.context = multiprocessing.get_context("spawn")
        self.pools = [self._new_pool() for _ in range(workers)]
        self.restarts = 0
        self.nhs_by_patient_id: dict[str, str] = {}

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(1, self.context, initializer=_start_worker, initargs=(self.database,))

    def wait_until_ready(self) -> None:
        """Start every worker process now (imports and a connection), not on the first batch."""
        for pool in self.pools:
            pool.submit(_ready).result()

    def pids(self) -> list[int]:
        """Each worker's process id, in partition order (starting any that is not running)."""
        return [pool.submit(_pid).result() for pool in self.pools]

    def close(self) -> None:
        for pool in self.pools:
            pool.shutdown(wait=True, cancel_futures=False)

    def store(
        self, sessions: sessionmaker[Session], observations: Sequence[Mapping[str, Any]]
    ) -> list[ReadingOutcome]:
        """One outcome per observation, in order, each stored by its patient's worker."""
        return self.outcomes(sessions, self.submit(sessions, observations))

    def submit(self, sessions: sessionmaker[Session], observations: Sequence[Mapping[str, Any]]) -> Submitted:
        """Hand each worker its patients' readings (queued behind what it already has) and return at once."""
        parts: list[list[int]] = [[] for _ in self.pools]
        for index, key in enumerate(self._keys(sessions, observations)):
            parts[partition(key, self.workers)].append(index)
        busy = [worker for worker, part in enumerate(parts) if part]
        futures = {worker: self._submit(worker, [observations[i] for i in parts[worker]]) for worker in busy}
        return Submitted(observations, parts, futures, {worker: self.pools[worker] for worker in busy})

    def outcomes(self, sessions: sessionmaker[Session], submitted: Submitted) -> list[ReadingOutcome]:
        """Wait for a submitted batch: one outcome per observation, in order (take batches in the order
        they were submitted, so a worker that failed is replaced before the next batch's part is read)."""
        outcomes: list[ReadingOutcome | None] = [None] * len(submitted.observations)
        for worker in submitted.futures:
            stored = self._result(worker, submitted, sessions)
            for index, outcome in zip(submitted.parts[worker], stored, strict=True):
                outcomes[index] = outcome
        assert all(o is not None for o in outcomes), "every reading has an outcome"
        return [o for o in outcomes if o is not None]

    def _keys(self, sessions: sessionmaker[Session], observations: Sequence[Mapping[str, Any]]) -> list[str]:
        """Each reading's patient; readings naming a Patient/id are routed by that patient's NHS number, so
        a patient whose devices name them both ways still has one worker."""
        ids = {
            ref.removeprefix("Patient/")
            for o in observations
            if isinstance(subject := o.get("subject"), Mapping)
            and not isinstance(subject.get("identifier"), Mapping)
            and isinstance(ref := subject.get("reference"), str)
            and ref.removeprefix("Patient/") not in self.nhs_by_patient_id
        }
        if ids:
            with transaction(sessions) as session:
                found = wards.open_admissions_by_patient_id(session, sorted(ids))
            self.nhs_by_patient_id.update((i, stay.nhs_number) for i, stay in found.items())
        return [patient_key(o, self.nhs_by_patient_id) for o in observations]

    def _submit(self, worker: int, part: list[Mapping[str, Any]]) -> Future[list[ReadingOutcome]]:
        try:
            return self.pools[worker].submit(_store_in_worker, self.store_part, part)
        except BrokenProcessPool as exc:  # its process died: the result step stores the part here
            failed: Future[list[ReadingOutcome]] = Future()
            failed.set_exception(exc)
            return failed

    def _result(
        self,
        worker: int,
        submitted: Submitted,
        sessions: sessionmaker[Session],
    ) -> list[ReadingOutcome]:
        future, pool, part = submitted.futures[worker], submitted.pools[worker], submitted.parts[worker]
        observations = submitted.observations
        try:
            return future.result()
        except BrokenProcessPool:
            # Only a dead process lands here (the store keeps what it cannot store as rejections, so any
            # other error means the database itself failed, and goes up unacknowledged as without workers).
            log.exception("gateway worker %d died; its %d readings are stored here", worker, len(part))
        if self.pools[worker] is pool:  # not yet replaced (by an earlier batch's failed part)
            pool.shutdown(wait=False, cancel_futures=True)
            self.pools[worker] = self._new_pool()
            self.restarts += 1
        return self.store_part(sessions, [observations[i] for i in part])
