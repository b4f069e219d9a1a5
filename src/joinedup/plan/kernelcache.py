# mypy: disable-error-code="misc,no-untyped-call"
"""The engine's on-disk compile cache, keyed on a hash of every engine source file.

Numba's own cache (`cache=True`) checks only the file that defines a function: the event loop inlines
code from `flow.py`, `eventqueue.py` and `xoshiro.py`, so after an edit to one of those it would load the
old machine code. Here every compiled function of the engine is cached in a directory named for the
SHA-256 of all of those files (and this one), and the hash is also the index's source stamp: an edit to
any of them makes every cached function a miss, compiled again into a new directory.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from numba import njit
from numba.core.caching import CompileResultCacheImpl, FunctionCache, _CacheLocator

ENGINE_SOURCES = ("xoshiro.py", "eventqueue.py", "flow.py", "engine.py", "kernelcache.py")
HERE = Path(__file__).resolve().parent


def source_hash(directory: Path = HERE, names: Sequence[str] = ENGINE_SOURCES) -> str:
    """The first 16 hex digits of the SHA-256 of the engine's source files (names and contents)."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0")
        digest.update((directory / name).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


ENGINE_HASH = source_hash()


class HashedLocator(_CacheLocator):
    """Numba's usual place for a function's cache, one level down in a directory named for the hash."""

    def __init__(self, inner: _CacheLocator, digest: str) -> None:
        self._inner = inner
        self._digest = digest

    def get_cache_path(self) -> str:
        return os.path.join(self._inner.get_cache_path(), f"engine-{self._digest}")

    def get_source_stamp(self) -> str:
        return self._digest

    def get_disambiguator(self) -> str:
        return str(self._inner.get_disambiguator())


class _HashedImpl(CompileResultCacheImpl):
    def __init__(self, py_func: Callable[..., Any], digest: str) -> None:
        super().__init__(py_func)
        self._locator = HashedLocator(self._locator, digest)


class EngineCache(FunctionCache):
    """A function's compile cache under the engine's source hash (`digest`)."""

    def __init__(self, py_func: Callable[..., Any], digest: str = ENGINE_HASH) -> None:
        self._digest = digest
        super().__init__(py_func)

    def _impl_class(self, py_func: Callable[..., Any]) -> _HashedImpl:  # type: ignore[override]
        return _HashedImpl(py_func, self._digest)


def kernel(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """`njit` for the engine: free of the GIL, no reference counting, cached under the source hash."""

    def wrap(function: Callable[..., Any]) -> Any:
        settings: dict[str, Any] = {"nogil": True, "_nrt": False, **options}
        dispatcher = njit(**settings)(function)
        dispatcher._cache = EngineCache(function)
        return dispatcher

    return wrap
