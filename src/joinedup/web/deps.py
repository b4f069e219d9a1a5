"""Request dependencies shared by every area's routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker


def session_dependency(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed before the response is sent, rolled back if the route raises."""
    factory: sessionmaker[Session] = request.app.state.sessions
    session = factory()
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
