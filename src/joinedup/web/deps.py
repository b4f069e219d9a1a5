"""Request dependencies shared by every area's routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from joinedup.db import WRITES

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_dependency(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed before the response is sent, rolled back if the route raises.
    A request that may write (any method but GET, HEAD and OPTIONS) begins as a writer (see db.WRITES)."""
    factory: sessionmaker[Session] = request.app.state.sessions
    session = factory() if request.method in SAFE_METHODS else factory(execution_options=WRITES)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the commit happens before the response leaves, so a failed commit is never a 200.
DbSession = Annotated[Session, Depends(session_dependency, scope="function")]
