"""The engine's compile cache follows a hash of every engine source file, not only the defining one."""

from __future__ import annotations

import shutil
from pathlib import Path

from joinedup.plan import engine, eventqueue, flow, kernelcache, xoshiro
from joinedup.plan.kernelcache import ENGINE_HASH, ENGINE_SOURCES, EngineCache, source_hash


def _copy_sources(tmp_path: Path) -> Path:
    for name in ENGINE_SOURCES:
        shutil.copy(kernelcache.HERE / name, tmp_path / name)
    return tmp_path


def test_an_edit_to_an_inlined_file_changes_the_hash(tmp_path: Path) -> None:
    sources = _copy_sources(tmp_path)
    assert source_hash(sources) == ENGINE_HASH == source_hash()
    flow_py = sources / "flow.py"
    flow_py.write_text(flow_py.read_text() + "\n# an edit\n")
    assert source_hash(sources) != ENGINE_HASH


def test_a_different_hash_gives_a_different_cache_directory_and_stamp() -> None:
    # Building a cache object compiles nothing: it only names where compiled code is kept.
    current, edited = (
        EngineCache(engine._events.py_func),
        EngineCache(engine._events.py_func, "0123456789abcdef"),
    )
    assert current.cache_path.endswith(f"engine-{ENGINE_HASH}")
    assert edited.cache_path.endswith("engine-0123456789abcdef")
    assert current._impl.locator.get_source_stamp() == ENGINE_HASH
    assert edited._impl.locator.get_source_stamp() == "0123456789abcdef"
    assert current._cache_file._index_path != edited._cache_file._index_path


def test_every_compiled_engine_function_is_cached_under_the_hash() -> None:
    dispatchers = [
        engine._events,
        engine._midnight,
        engine._place_initial,
        flow.wait_ends,
        flow.draw_residual_stay,
        eventqueue.push,
        xoshiro.uniform,
        xoshiro.gamma,
    ]
    for dispatcher in dispatchers:
        assert isinstance(dispatcher._cache, EngineCache)
        assert dispatcher._cache.cache_path.endswith(f"engine-{ENGINE_HASH}")
        assert dispatcher.targetoptions.get("nogil") is True
