"""Planner runs in the background of the web process: one at a time, so pages stay responsive."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from joinedup.plan import service

_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="joinedup-plan")


def submit(sessions: sessionmaker[Session], run_id: str, *, dask_address: str | None) -> Future[None]:
    """Run `run_id` after the runs already queued; its progress and result land in the database."""
    return _EXECUTOR.submit(service.execute_run, sessions, run_id, dask_address=dask_address)
