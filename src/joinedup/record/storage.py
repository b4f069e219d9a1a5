"""Versioned resource rows and their search index rows; called only by `record.service`, never commits.

A create inserts the current row and its index rows; an update or delete first copies the current row
into `record_resource_versions`, then replaces it and rewrites its index rows, all in the caller's
transaction. Batches go through one multi-row INSERT per table, which is what makes bundle ingest fast; on
PostgreSQL a single resource and its index rows go in with one statement (one round trip for a single POST).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, any_, bindparam, delete, insert, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from joinedup.db import Base, read_rows
from joinedup.fhir.datetimes import DateRange, format_instant
from joinedup.fhir.search_params import Quantity, Ref, Token, index_values, patient_of
from joinedup.record import bulk
from joinedup.record.models import (
    DateIndex,
    QuantityIndex,
    ReferenceIndex,
    ResourceVersion,
    StoredResource,
    StringIndex,
    TokenIndex,
)


@dataclass(frozen=True)
class Version:
    """One version of a resource as stored; `body` is None only for a deletion."""

    resource_type: str
    resource_id: str
    version: int
    last_updated: datetime
    is_deleted: bool
    body: dict[str, Any] | None
    patient_id: str | None = None
    created_by_org: str | None = None

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'

    @property
    def method(self) -> str:
        return "DELETE" if self.is_deleted else ("POST" if self.version == 1 else "PUT")


@dataclass(frozen=True)
class NewResource:
    """A validated resource about to be stored for the first time (its id already assigned)."""

    body: dict[str, Any]
    patient_id: str | None
    created_by_org: str | None
    idempotency_key: str | None = None


def stamp(body: dict[str, Any], version: int, now: datetime) -> dict[str, Any]:
    """The body with server-owned meta (versionId, lastUpdated), keeping the client's profiles and tags."""
    meta = {k: v for k, v in (body.get("meta") or {}).items() if k not in ("versionId", "lastUpdated")}
    meta.update(versionId=str(version), lastUpdated=format_instant(now))
    return {**body, "meta": meta}


def readable(body: dict[str, Any] | None) -> dict[str, Any] | None:
    """resourceType, id and meta first (PostgreSQL's JSONB keeps keys in its own order)."""
    if body is None or next(iter(body), None) == "resourceType":
        return body
    head: dict[str, Any] = {k: body[k] for k in ("resourceType", "id", "meta") if k in body}
    return {**head, **body}


VERSION_COLUMNS = (
    StoredResource.resource_type,
    StoredResource.resource_id,
    StoredResource.version,
    StoredResource.last_updated,
    StoredResource.is_deleted,
    StoredResource.body,
    StoredResource.patient_id,
    StoredResource.created_by_org,
)


def version_of_row(row: Any) -> Version:
    """A Version from a row of VERSION_COLUMNS (plain rows: no ORM objects to build on read paths)."""
    rtype, rid, version, last_updated, is_deleted, body, patient_id, created_by = row
    return Version(rtype, rid, version, last_updated, is_deleted, readable(body), patient_id, created_by)


def _version(row: StoredResource) -> Version:
    return Version(
        row.resource_type,
        row.resource_id,
        row.version,
        row.last_updated,
        row.is_deleted,
        readable(row.body),
        row.patient_id,
        row.created_by_org,
    )


# The columns of each index table in the order `index_tuples` gives them (the COPY column list).
INDEX_COLUMNS: dict[type[Base], tuple[str, ...]] = {
    TokenIndex: ("resource_pk", "resource_type", "param", "system", "code"),
    ReferenceIndex: ("resource_pk", "resource_type", "param", "target_type", "target_id"),
    DateIndex: ("resource_pk", "resource_type", "param", "low", "high", "patient_id"),
    QuantityIndex: ("resource_pk", "resource_type", "param", "value", "system", "code"),
    StringIndex: ("resource_pk", "resource_type", "param", "value"),
}
IndexTuples = dict[type[Base], list[tuple[Any, ...]]]


def index_tuples(pk: int, body: dict[str, Any], out: IndexTuples) -> None:
    """Add the rows of every index table for one resource to `out`, as tuples in INDEX_COLUMNS order
    (date rows also carry the resource's patient). Plain tuples: this runs for every resource stored."""
    rtype = body["resourceType"]
    for param, values in index_values(body).items():
        for value in values:
            if type(value) is Token:
                out[TokenIndex].append((pk, rtype, param, value.system, value.code[:256]))
            elif type(value) is Ref:
                out[ReferenceIndex].append((pk, rtype, param, value.target_type, value.target_id))
            elif type(value) is DateRange:
                out[DateIndex].append((pk, rtype, param, value.low, value.high, patient_of(body)))
            elif type(value) is Quantity:
                out[QuantityIndex].append((pk, rtype, param, value.value, value.system, value.code))
            else:
                assert isinstance(value, str)
                out[StringIndex].append((pk, rtype, param, value[:256]))


def index_rows(pk: int, body: dict[str, Any]) -> dict[type[Base], list[dict[str, Any]]]:
    """The rows of every index table for one resource, as dicts keyed by column."""
    out: IndexTuples = {table: [] for table in INDEX_COLUMNS}
    index_tuples(pk, body, out)
    return {
        table: [dict(zip(INDEX_COLUMNS[table], row, strict=True)) for row in rows]
        for table, rows in out.items()
        if rows
    }


def _write_indexes(session: Session, pairs: Iterable[tuple[int, dict[str, Any]]]) -> None:
    batches: IndexTuples = {table: [] for table in INDEX_COLUMNS}
    for pk, body in pairs:
        index_tuples(pk, body, batches)
    for table, rows in batches.items():
        bulk.insert_tuples(session, table, INDEX_COLUMNS[table], rows)


def _clear_indexes(session: Session, pk: int) -> None:
    for model in (TokenIndex, ReferenceIndex, DateIndex, StringIndex, QuantityIndex):
        session.execute(delete(model).where(model.resource_pk == pk))


_NEW_COLUMNS = (
    "resource_type",
    "resource_id",
    "version",
    "last_updated",
    "is_deleted",
    "patient_id",
    "created_by_org",
    "idempotency_key",
    "body",
)


def insert_new(session: Session, items: Sequence[NewResource], now: datetime) -> list[Version]:
    """Store first versions of `items` with their index rows: one INSERT per table for the whole batch."""
    if not items:
        return []
    bodies = [stamp(item.body, 1, now) for item in items]
    rows = [
        (
            body["resourceType"],
            body["id"],
            1,
            now,
            False,
            item.patient_id,
            item.created_by_org,
            item.idempotency_key,
            body,
        )
        for item, body in zip(items, bodies, strict=True)
    ]
    if len(rows) == 1 and session.connection().dialect.name == "postgresql":
        # One resource (a single POST): the row and its index rows in one statement, one round trip.
        indexes: IndexTuples = {table: [] for table in INDEX_COLUMNS}
        index_tuples(0, bodies[0], indexes)
        children = [(table, INDEX_COLUMNS[table], found) for table, found in indexes.items()]
        bulk.insert_one_with_children(session, StoredResource, _NEW_COLUMNS, rows[0], children)
    else:
        pks = bulk.insert_returning_keys(session, StoredResource, _NEW_COLUMNS, rows)
        _write_indexes(session, zip(pks, bodies, strict=True))
    return [
        Version(body["resourceType"], body["id"], 1, now, False, body, item.patient_id, item.created_by_org)
        for item, body in zip(items, bodies, strict=True)
    ]


def supersede(session: Session, row: StoredResource, body: dict[str, Any] | None, now: datetime) -> Version:
    """Keep the current version in the history table, then make `body` (None: a deletion) current."""
    session.execute(
        insert(ResourceVersion).values(
            resource_pk=row.pk,
            version=row.version,
            last_updated=row.last_updated,
            is_deleted=row.is_deleted,
            body=row.body,
        )
    )
    _clear_indexes(session, row.pk)
    row.version += 1
    row.last_updated = now
    row.is_deleted = body is None
    row.body = None if body is None else stamp(body, row.version, now)
    if row.body is not None:
        _write_indexes(session, [(row.pk, row.body)])
    session.flush()
    return _version(row)


def current_row(
    session: Session, resource_type: str, resource_id: str, *, lock: bool = False
) -> StoredResource | None:
    """The current row of a resource (deleted ones included), or None if it never existed."""
    query = select(StoredResource).where(
        StoredResource.resource_type == resource_type, StoredResource.resource_id == resource_id
    )
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def current(session: Session, resource_type: str, resource_id: str) -> Version | None:
    """The current version (deleted ones included), or None if the resource never existed."""
    query = select(*VERSION_COLUMNS).where(
        StoredResource.resource_type == resource_type, StoredResource.resource_id == resource_id
    )
    row = session.execute(query).first()
    return None if row is None else version_of_row(row)


def version_of(session: Session, resource_type: str, resource_id: str, version: int) -> Version | None:
    """Version `version` of a resource, from the current row or the history table."""
    row = current_row(session, resource_type, resource_id)
    if row is None:
        return None
    if row.version == version:
        return _version(row)
    old = session.get(ResourceVersion, (row.pk, version))
    if old is None:
        return None
    return Version(
        row.resource_type,
        row.resource_id,
        old.version,
        old.last_updated,
        old.is_deleted,
        readable(old.body),
        row.patient_id,
        row.created_by_org,
    )


def all_versions(session: Session, row: StoredResource) -> list[Version]:
    """Every version of a resource, newest first."""
    older = session.scalars(
        select(ResourceVersion)
        .where(ResourceVersion.resource_pk == row.pk)
        .order_by(ResourceVersion.version.desc())
    )
    return [_version(row)] + [
        Version(
            row.resource_type,
            row.resource_id,
            v.version,
            v.last_updated,
            v.is_deleted,
            readable(v.body),
            row.patient_id,
            row.created_by_org,
        )
        for v in older
    ]


def existing(session: Session, refs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of (type, id) exist and are not deleted."""
    if not refs:
        return set()
    found = session.execute(
        select(StoredResource.resource_type, StoredResource.resource_id).where(
            tuple_(StoredResource.resource_type, StoredResource.resource_id).in_(sorted(refs)),
            StoredResource.is_deleted.is_(False),
        )
    )
    return {(t, i) for t, i in found}


def by_idempotency_key(session: Session, resource_type: str, keys: Iterable[str]) -> dict[str, Version]:
    """Resources already stored under these idempotency keys (a retried device reading)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    postgresql = session.connection().dialect.name == "postgresql"
    statement = _BY_IDEMPOTENCY_KEY_PG if postgresql else _BY_IDEMPOTENCY_KEY
    rows = read_rows(session, statement, {"resource_type": resource_type, "keys": wanted})
    return {row[0]: version_of_row(row[1:]) for row in rows if row[0] is not None}


_BY_IDEMPOTENCY_KEY = select(StoredResource.idempotency_key, *VERSION_COLUMNS).where(
    StoredResource.resource_type == bindparam("resource_type"),
    StoredResource.idempotency_key.in_(bindparam("keys", expanding=True)),
)
# One array parameter on PostgreSQL: the same statement for every batch size (an expanding IN is rendered
# and sent anew with one parameter per key).
_BY_IDEMPOTENCY_KEY_PG = select(StoredResource.idempotency_key, *VERSION_COLUMNS).where(
    StoredResource.resource_type == bindparam("resource_type"),
    StoredResource.idempotency_key == any_(bindparam("keys", type_=ARRAY(String()))),
)


_BY_PKS = select(StoredResource.pk, *VERSION_COLUMNS).where(
    StoredResource.pk == any_(bindparam("pks", type_=ARRAY(BigInteger())))
)


def rows_by_pk(session: Session, pks: Sequence[int]) -> list[Version]:
    """Current versions of the rows with these keys, in the order given."""
    if not pks:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # One array parameter, so the statement is the same whatever the page size: built once.
        found = connection.execute(_BY_PKS, {"pks": list(pks)})
    else:
        found = connection.execute(
            select(StoredResource.pk, *VERSION_COLUMNS).where(StoredResource.pk.in_(pks))
        )
    # Plain rows from the connection: no ORM work per row (reads of a whole page of bodies).
    rows = {row[0]: version_of_row(row[1:]) for row in found.all()}
    return [rows[pk] for pk in pks if pk in rows]


def patient_id_by_nhs_number(session: Session, number: str) -> str | None:
    """The id of the live Patient with this NHS number (ten digits), or None."""
    R, T = StoredResource, TokenIndex
    query = (
        select(R.resource_id)
        .join(T, T.resource_pk == R.pk)
        .where(
            T.resource_type == "Patient",
            T.param == "identifier",
            T.system == "https://fhir.nhs.uk/Id/nhs-number",
            T.code == number,
            R.is_deleted.is_(False),
        )
    )
    return session.scalars(query.limit(1)).first()


def compartment(session: Session, patient_id: str, resource_types: Sequence[str]) -> list[Version]:
    """Every live resource of these types in the patient's compartment, oldest first."""
    rows = session.execute(
        select(*VERSION_COLUMNS)
        .where(
            StoredResource.patient_id == patient_id,
            StoredResource.resource_type.in_(resource_types),
            StoredResource.is_deleted.is_(False),
        )
        .order_by(StoredResource.pk)
    )
    return [version_of_row(row) for row in rows]
