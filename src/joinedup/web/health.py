"""Liveness: the process is up and the database answers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request) -> dict[str, str]:
    """Report that joinedup is up and its database answers."""
    with request.app.state.sessions() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok"}
