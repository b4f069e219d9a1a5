"""Request dependencies shared by every area's routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from joinedup.db import transaction

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Methods that change something: they need a CSRF token from a browser, and their unit of work writes."""


def session_dependency(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed before the response is sent, rolled back if the route raises.
    A request that may write begins as a writer (see db.WRITES)."""
    factory: sessionmaker[Session] = request.app.state.sessions
    with transaction(factory, writes=request.method in UNSAFE_METHODS) as session:
        yield session


# scope="function": the commit happens before the response leaves, so a failed commit is never a 200.
DbSession = Annotated[Session, Depends(session_dependency, scope="function")]
