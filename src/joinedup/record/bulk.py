"""Multi-row inserts for the record's batches: PostgreSQL COPY for larger batches, executemany otherwise.

COPY runs on the session's own connection, so it is part of the request's transaction like any INSERT.
Instants go in as naive UTC (as `models.UtcInstant` stores them) and JSON bodies as text for JSONB, told by
each column's type. Rows come as dicts (`insert_rows`) or, on the record's hot path, as tuples in a given
column order (`insert_tuples`, `insert_returning_keys`); one COPY writer serves both.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import orjson
from sqlalchemy import JSON, String, Table, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from joinedup.db import Base, UtcInstant, json_text, naive_utc

# Below this many rows executemany is as quick as COPY and simpler.
COPY_FROM_ROWS = 20


def _uses_copy(session: Session, rows: Sequence[Any]) -> bool:
    return len(rows) >= COPY_FROM_ROWS and session.connection().dialect.name == "postgresql"


def _json_text(value: Any) -> Any:
    """JSON values as the text JSON columns store (db.json_text, as SQLAlchemy binds them), others as is."""
    return json_text(value) if isinstance(value, dict | list) else value


def _converters(table: Table, columns: Sequence[str]) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, conversion) of the columns whose values COPY cannot take as they are."""
    found: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        kind = table.c[name].type
        if isinstance(kind, UtcInstant):
            found.append((index, naive_utc))
        elif isinstance(kind, JSON):
            found.append((index, _json_text))
    return found


def _copy(session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    raw: Any = session.connection().connection.dbapi_connection
    names = ", ".join(f'"{c}"' for c in columns)
    converters = _converters(table, columns)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(_converted(row, converters))


def _converted(row: Sequence[Any], converters: Sequence[tuple[int, Callable[[Any], Any]]]) -> Sequence[Any]:
    """The row with the values of the converted columns converted (None stays None)."""
    if not converters:
        return row
    values = list(row)
    for index, convert in converters:
        if values[index] is not None:
            values[index] = convert(values[index])
    return values


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into the model's table in one statement."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    if _uses_copy(session, rows):
        columns = list(rows[0])
        _copy(session, table, columns, (tuple(row[c] for c in columns) for row in rows))
    else:
        session.connection().execute(insert(table), list(rows))


def insert_tuples(
    session: Session, model: type[Base], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (tuples of values in the order of `columns`) into the model's table in one statement."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    if _uses_copy(session, rows):
        _copy(session, table, columns, rows)
    else:
        session.connection().execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


def insert_one_with_children(
    session: Session,
    model: type[Base],
    columns: Sequence[str],
    row: Sequence[Any],
    children: Sequence[tuple[type[Base], Sequence[str], Sequence[Sequence[Any]]]],
) -> int:
    """PostgreSQL: insert one row (tuple in the order of `columns`) and the rows of `children` that refer to
    it, in one statement; returns its new key (column `pk`).

    Each child is (model, columns, rows) whose first column takes the new key (the rows' first values are
    ignored). Each child's rows go in as one JSON array, so the statement's text is the same whatever their
    number: built once and prepared by the driver.
    """
    parent = cast(Table, model.__table__)
    tables = tuple((cast(Table, child.__table__), tuple(names)) for child, names, _rows in children)
    sql = _one_with_children_sql(parent, tuple(columns), tables)
    params = list(_converted(row, _cached_converters(parent, tuple(columns))))
    for (table, names), (_child, _names, rows) in zip(tables, children, strict=True):
        converters = _cached_converters(table, names)
        values = [_converted(child_row, converters)[1:] for child_row in rows]
        params.append(orjson.dumps(values).decode())
    return int(session.connection().exec_driver_sql(sql, tuple(params)).scalar_one())


@functools.cache
def _cached_converters(table: Table, columns: tuple[str, ...]) -> list[tuple[int, Callable[[Any], Any]]]:
    return _converters(table, columns)


@functools.cache
def _one_with_children_sql(
    parent: Table, columns: tuple[str, ...], children: tuple[tuple[Table, tuple[str, ...]], ...]
) -> str:
    dialect: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]

    def sql_type(table: Table, name: str) -> str:
        # Strings as text: a cast to varchar(n) would cut a long value, where storing it is refused.
        kind = table.c[name].type
        return "text" if isinstance(kind, String) else str(kind.compile(dialect=dialect))

    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f"%s::{sql_type(parent, c)}" for c in columns)
    parts = [f'new_row AS (INSERT INTO "{parent.name}" ({names}) VALUES ({values}) RETURNING pk)']
    for number, (table, child_columns) in enumerate(children):
        listed = ", ".join(f'"{c}"' for c in child_columns)
        fields = ", ".join(f"(element->>{i})::{sql_type(table, c)}" for i, c in enumerate(child_columns[1:]))
        parts.append(
            f'child_{number} AS (INSERT INTO "{table.name}" ({listed}) SELECT new_row.pk, {fields} '
            "FROM new_row, json_array_elements(%s::json) AS element)"
        )
    return f"WITH {', '.join(parts)} SELECT pk FROM new_row"


def insert_returning_keys(
    session: Session, model: type[Base], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """Insert `rows` (tuples in the order of `columns`) and return their new primary keys (column `pk`),
    in the order given."""
    table = cast(Table, model.__table__)
    if not _uses_copy(session, rows):
        statement = insert(table).returning(table.c.pk, sort_by_parameter_order=True)
        params = [dict(zip(columns, row, strict=True)) for row in rows]
        return list(session.connection().scalars(statement, params))
    keys = list(
        session.connection().scalars(
            text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'pk')) FROM generate_series(1, :n)"),
            {"n": len(rows)},
        )
    )
    keyed = ((key, *row) for key, row in zip(keys, rows, strict=True))
    _copy(session, table, ["pk", *columns], keyed)
    return keys
