"""Allowed reads' audit entries, written beside the request instead of after it.

A read's entry is known as soon as the read is allowed, and writing it is a commit: a flush to disk that
costs about a millisecond whatever else the request does. Written at the request's own commit, that
millisecond comes after all the request's work; handed to a writer thread with a connection of its own
when the read is allowed, it overlaps the work, and the request still waits for it before it answers
(`db.wait_before_answering`), so no data leaves unrecorded. Entries of several requests waiting at
once go into one transaction, one flush.

One writer per engine and process, started on first use and stopped after a quiet spell (so test engines
leave no threads behind); a request whose session is bound to a connection, not an engine (a test's
transaction), chains its entries at commit as before.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from joinedup.db import WRITES

if TYPE_CHECKING:
    from joinedup.access.audit import AuditRecord

log = logging.getLogger(__name__)

Item = tuple["AuditRecord", datetime, str]
"""An entry to chain: the record, its time, its entry id."""

IDLE_SECONDS = 5.0
"""A writer with nothing to write for this long stops its thread (the next entry starts another)."""
MAX_GROUP = 512
"""At most this many requests' entries share one transaction."""


class AuditWriter:
    """Chains submitted entries in the order submitted, on its own connection to `engine`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)
        self._queue: queue.SimpleQueue[tuple[Sequence[Item], Future[None]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.pid = os.getpid()

    def submit(self, items: Sequence[Item]) -> Future[None]:
        """Queue `items` to be chained and committed; the future is done when they are (or failed)."""
        future: Future[None] = Future()
        self._queue.put((items, future))
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="joinedup-audit-writer", daemon=True)
                self._thread.start()
        return future

    def _run(self) -> None:
        connection: Connection | None = None
        try:
            while True:
                try:
                    first = self._queue.get(timeout=IDLE_SECONDS)
                except queue.Empty:
                    with self._lock:
                        if self._queue.empty():  # submit starts a new thread if one arrives from now on
                            self._thread = None
                            return
                    continue
                group = [first]
                while len(group) < MAX_GROUP:
                    try:
                        group.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                connection = self._write(connection, group)
        finally:
            if connection is not None:
                connection.close()

    def _write(
        self, connection: Connection | None, group: list[tuple[Sequence[Item], Future[None]]]
    ) -> Connection | None:
        """Chain and commit the group's entries in one transaction; the connection to use next time."""
        from joinedup.access.audit import chain_on, follow_and_commit  # audit imports this module

        try:
            if connection is None:
                engine = self._engine()
                if engine is None:
                    raise RuntimeError("the database engine is gone")
                connection = engine.connect().execution_options(**WRITES)
            entries = [item for items, _ in group for item in items]
            if len(entries) != 1 or not follow_and_commit(connection, entries[0]):
                with connection.begin():
                    chain_on(connection, entries)
        except Exception as exc:
            if connection is not None:
                connection.close()  # a fresh one next time: this one may be broken
            if len(group) > 1:  # one request's bad entry must not fail the others: each alone
                for one in group:
                    self._write(None, [one])
                return None
            log.exception("could not write %d audit entries", len(group[0][0]))
            group[0][1].set_exception(exc)
            return None
        for _items, future in group:
            future.set_result(None)
        return connection


_WRITERS: weakref.WeakKeyDictionary[Engine, AuditWriter] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def writer_for(engine: Engine) -> AuditWriter:
    """This process's writer for `engine` (a forked process makes its own)."""
    with _WRITERS_LOCK:
        writer = _WRITERS.get(engine)
        if writer is None or writer.pid != os.getpid():
            writer = _WRITERS[engine] = AuditWriter(engine)
        return writer
