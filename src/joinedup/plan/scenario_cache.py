"""Bundled scenarios kept once read and validated, until their file or a baseline it builds on changes.

The scenarios page and `GET /api/plan/scenarios` load every bundled scenario on each request. An entry is
reused while every file it was read from keeps its modification time and size. A scenario that takes its
pools from the registry depends on the database, so it is read afresh every time and never kept.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from joinedup.plan import loading
from joinedup.plan.scenario import Scenario


@dataclass(frozen=True)
class _Entry:
    files: tuple[loading.FileStamp, ...]
    scenario: Scenario


class ScenarioCache:
    """Validated scenarios by bundled name, each valid while the files it was read from are unchanged."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def load(self, name: str, *, registry: loading.RegistryLookup | None = None) -> Scenario:
        """Scenario `name` as loading.load_scenario gives it; read again only once a file it uses changed."""
        with self._lock:
            entry = self._entries.get(name)
        if entry is not None and _unchanged(entry.files):
            return entry.scenario
        read: list[loading.FileStamp] = []
        scenario = loading.load_scenario(name, registry=registry, read=read)
        with self._lock:
            if scenario.pools_from_registry is None:
                self._entries[name] = _Entry(tuple(read), scenario)
            else:
                self._entries.pop(name, None)
        return scenario

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()


def _unchanged(files: tuple[loading.FileStamp, ...]) -> bool:
    try:
        return all(loading.file_stamp(stamp[0]) == stamp for stamp in files)
    except OSError:
        return False


# The process's one cache of the bundled scenarios (the web app's requests share it).
BUNDLED = ScenarioCache()
