"""Request dependencies shared by every area's routes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from joinedup.db import (
    ANSWER_WAIT_SECONDS,
    WRITES,
    take_answer_waits,
    wait_before_answering,
    waits_before_answering,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_dependency(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed before the response is sent, rolled back if the route raises.
    A request that may write (any method but GET, HEAD and OPTIONS) begins as a writer (see db.WRITES)."""
    factory: sessionmaker[Session] = request.app.state.sessions
    session = factory() if request.method in SAFE_METHODS else factory(execution_options=WRITES)
    waits_before_answering(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        try:
            _hold_answer(request, session)
        finally:
            session.close()


ANSWER_WAITS = "joinedup.answer_waits"
"""Scope key of the work a response must wait for before it starts (set by the access middleware)."""


def _hold_answer(request: Request, session: Session) -> None:
    """Hand the work the answer must wait for (e.g. the audit entries of what was read, see
    access.audit_writer) to the middleware, which waits just before the response starts, so serialising
    the answer overlaps it too; without the middleware, wait here."""
    held: list[Future[Any]] | None = request.scope.get(ANSWER_WAITS)
    if held is None:
        wait_before_answering(session)
    else:
        held.extend(take_answer_waits(session))


async def wait_for_held_answer(scope: Mapping[str, Any]) -> None:
    """Wait for the work held for this request's answer (raises its failure: the answer becomes a 500)."""
    held: list[Future[Any]] = scope.get(ANSWER_WAITS) or []
    while held:
        await asyncio.wait_for(asyncio.wrap_future(held.pop(0)), ANSWER_WAIT_SECONDS)


# scope="function": the commit happens before the response leaves, so a failed commit is never a 200.
DbSession = Annotated[Session, Depends(session_dependency, scope="function")]
