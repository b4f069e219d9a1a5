"""Multi-row inserts for the record's batches: PostgreSQL COPY for larger batches, executemany otherwise.

COPY runs on the session's own connection, so it is part of the request's transaction like any INSERT.
Instants go in as naive UTC (as `models.UtcInstant` stores them) and JSON bodies as text for JSONB.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, insert, text
from sqlalchemy.orm import Session

from joinedup.db import Base

# Below this many rows executemany is as quick as COPY and simpler.
COPY_FROM_ROWS = 20


def _plain_column(values: list[Any]) -> list[Any]:
    """One column's values as COPY takes them: instants as naive UTC, JSON as text, the rest as they are."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, datetime):
        return [v if v is None else v.astimezone(UTC).replace(tzinfo=None) for v in values]
    if isinstance(sample, dict | list):
        return [
            json.dumps(v, separators=(",", ":"), ensure_ascii=False) if isinstance(v, dict | list) else v
            for v in values
        ]
    return values


def _uses_copy(session: Session, rows: Sequence[dict[str, Any]]) -> bool:
    return len(rows) >= COPY_FROM_ROWS and session.connection().dialect.name == "postgresql"


def _copy(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    columns = list(rows[0])
    raw: Any = session.connection().connection.dbapi_connection
    names = ", ".join(f'"{c}"' for c in columns)
    plain = [_plain_column([row[c] for row in rows]) for c in columns]
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for values in zip(*plain, strict=True):
            copy.write_row(values)


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into the model's table in one statement."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    if _uses_copy(session, rows):
        _copy(session, table, rows)
    else:
        session.connection().execute(insert(table), list(rows))


def insert_returning_keys(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert `rows` and return their new primary keys (column `pk`), in the order given."""
    table = cast(Table, model.__table__)
    if not _uses_copy(session, rows):
        statement = insert(table).returning(table.c.pk, sort_by_parameter_order=True)
        return list(session.connection().scalars(statement, list(rows)))
    keys = list(
        session.connection().scalars(
            text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'pk')) FROM generate_series(1, :n)"),
            {"n": len(rows)},
        )
    )
    _copy(session, table, [{"pk": key, **row} for key, row in zip(keys, rows, strict=True)])
    return keys
