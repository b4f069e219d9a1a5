"""A resource written on its own (one statement on PostgreSQL) is stored and indexed as in a batch."""

from __future__ import annotations

from typing import Any

import pytest
import record_builders as b
from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.errors import NotFound
from joinedup.record import service, storage
from joinedup.record.models import (
    DateIndex,
    QuantityIndex,
    ReferenceIndex,
    StoredResource,
    StringIndex,
    TokenIndex,
)
from joinedup.record.storage import Version

INDEXES = (TokenIndex, ReferenceIndex, DateIndex, QuantityIndex, StringIndex)


def stored_indexes(db: Session, pk: int) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    for model in INDEXES:
        table = model.__table__
        columns = [c for c in table.c if c.name != "id"]
        found[table.name] = sorted(
            tuple(r) for r in db.execute(select(*columns).where(table.c.resource_pk == pk))
        )
    return found


def expected_indexes(pk: int, body: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    rows = storage.index_rows(pk, body)
    return {m.__tablename__: sorted(tuple(r.values()) for r in rows.get(m, [])) for m in INDEXES}


def check_stored(db: Session, written: Version, patient_id: str) -> None:
    R = StoredResource
    row = db.execute(
        select(R.pk, R.version, R.is_deleted, R.patient_id, R.created_by_org, R.body).where(
            R.resource_type == written.resource_type, R.resource_id == written.resource_id
        )
    ).one()
    assert tuple(row[1:5]) == (1, False, patient_id, b.PRINCIPALS["gp_a"].organisation_ods)
    assert storage.readable(row.body) == written.body
    indexes = stored_indexes(db, row.pk)
    assert indexes == expected_indexes(row.pk, written.body or {})
    assert indexes["record_token_index"] and indexes["record_date_index"]


def test_a_resource_written_alone_is_stored_and_indexed_as_in_a_batch(db: Session) -> None:
    gp = b.actor("gp_a")
    alone = service.create(db, actor=gp, body=b.patient(b.NUMBERS[0], family="O'Brien-Zoë")).version
    batch = service.create_many(db, actor=gp, bodies=[b.patient(b.NUMBERS[1]), b.patient(b.NUMBERS[2])])
    pid = alone.resource_id
    reading = b.observation(pid, value=73.25, when="2024-05-01T10:00:00.5+01:00")
    one = service.create(db, actor=gp, body=reading).version
    two = [w.version for w in service.create_many(db, actor=gp, bodies=[reading, b.observation(pid)])]
    for written in (alone, batch[0].version, batch[1].version):
        check_stored(db, written, written.resource_id)
    for written in (one, *two):
        check_stored(db, written, pid)
    assert stored_indexes(db, 0) == expected_indexes(0, {"resourceType": "Observation"})
    assert service.read(db, actor=gp, resource_type="Observation", resource_id=one.resource_id) == one


def test_a_reading_for_a_deleted_patient_is_not_found(db: Session) -> None:
    gp = b.actor("gp_a")
    pid = service.create(db, actor=gp, body=b.patient(b.NUMBERS[0])).version.resource_id
    service.delete(db, actor=gp, resource_type="Patient", resource_id=pid)
    with pytest.raises(NotFound, match=f"Observation.subject: Patient/{pid} does not exist"):
        service.create(db, actor=gp, body=b.observation(pid))
