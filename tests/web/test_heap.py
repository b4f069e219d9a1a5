"""Start-up objects are frozen out of the collector's full passes (joinedup.heap)."""

import gc
from pathlib import Path

import pytest
from fastapi import FastAPI

from joinedup.heap import settle_after_start_up
from joinedup.settings import get_settings


def test_objects_alive_at_start_up_leave_the_collected_generations() -> None:
    kept = [{"built": "at start-up"}]
    try:
        frozen = settle_after_start_up()
        assert frozen > 0
        assert not any(o is kept for o in gc.get_objects())
        made_later = [{"built": "while serving"}]
        assert any(o is made_later for o in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(o is kept for o in gc.get_objects())


def test_serve_runs_the_settled_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    from joinedup.demo import cli
    from joinedup.web import app as web_app

    monkeypatch.setenv("JOINEDUP_DATABASE_URL", f"sqlite:///{tmp_path}/serve.db")
    monkeypatch.setenv("JOINEDUP_SECRET_KEY", "s" * 40)
    runs: list[tuple[object, dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: runs.append((app, kw)))
    settled: list[int] = []
    monkeypatch.setattr(web_app, "settle_after_start_up", lambda: settled.append(1) or 0)
    get_settings.cache_clear()
    try:
        cli.serve(port=8000, host="127.0.0.1", workers=1, log_level="warning")
        cli.serve(port=8000, host="127.0.0.1", workers=2, log_level="warning")
    finally:
        get_settings.cache_clear()
    assert settled == [1] and isinstance(runs[0][0], FastAPI)
    assert runs[1][0] == "joinedup.web.app:serving_app" and runs[1][1]["factory"] is True
