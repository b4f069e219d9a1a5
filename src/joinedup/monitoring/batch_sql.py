"""SQL for a batch of readings: the conditions that name a batch's hundreds of stays, devices or patients.

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


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def any_of(session: Session, column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    """`column IN values` (text values), as one array parameter on PostgreSQL."""
    wanted = sorted(set(values))
    if is_postgresql(session):
        return column == any_(bindparam(None, wanted, type_=ARRAY(String())))  # type: ignore[no-any-return]
    return column.in_(wanted)  # type: ignore[no-any-return]
