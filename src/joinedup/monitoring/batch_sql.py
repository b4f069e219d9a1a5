"""SQL for a batch of readings: the conditions that name a batch's hundreds of stays, devices or patients,
and reads that return plain rows.

A plain `IN (...)` with one bound value per id is a new statement for every batch size: compiled again,
sent as new text, planned again. On PostgreSQL the ids go as one array parameter (`= ANY(...)`) instead, so
the statement is the same for every batch; SQLite keeps `IN`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import Executable


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def any_of(session: Session, column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    """`column IN values` (text values), as one array parameter on PostgreSQL."""
    wanted = sorted(set(values))
    if is_postgresql(session):
        return column == any_(bindparam(None, wanted, type_=ARRAY(String())))  # type: ignore[no-any-return]
    return column.in_(wanted)  # type: ignore[no-any-return]


def read_rows(session: Session, statement: Executable) -> Iterable[Any]:
    """Run a read of columns on the session's connection: plain rows, without the per-row work of a session
    query (a batch reads thousands of rows); pending changes are flushed first, as a session query would."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement)
