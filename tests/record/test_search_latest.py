"""A patient's newest resources by date (`patient=X&_sort=-date`), read from the patient's date index: the
same page, in the same order, as the general sorted search, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest
import record_builders as b
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.fhir.search_query import SearchRequest, parse_search
from joinedup.record import search, service
from joinedup.record.models import DateIndex, StoredResource


@pytest.fixture
def readings(db: Session) -> dict[str, str]:
    """Two patients; Ann has 24 readings with tied times, one without a time and one with a second date."""
    ids = {
        key: service.create(db, actor=b.actor("gp_a"), body=b.patient(b.NUMBERS[i])).version.resource_id
        for i, key in enumerate(("ann", "bob"))
    }
    bodies = []
    for i in range(24):
        code = ("8867-4", "59408-5")[i % 2]
        when = f"2024-05-{1 + i // 3:02d}T10:00:00Z"  # three readings share each time
        bodies.append(b.observation(ids["ann"], code=code, value=60 + i, when=when))
    undated = b.observation(ids["ann"], value=59)
    del undated["effectiveDateTime"]
    bodies.append(undated)
    bodies += [b.observation(ids["bob"], value=70, when=f"2024-06-0{d}T10:00:00Z") for d in range(1, 4)]
    written = service.create_many(db, actor=b.actor("gp_a"), bodies=bodies)
    # A second date for the first reading (as a resource with two dates for one parameter would have):
    # it must sort at its latest date.
    _add_date(db, written[0].version.resource_id, ids["ann"], datetime(2024, 5, 20, tzinfo=UTC))
    return ids


def _add_date(db: Session, resource_id: str, patient_id: str, low: datetime) -> None:
    """One more `date` index row (a day from `low`) for an Observation, naming `patient_id`."""
    pk = db.scalar(select(StoredResource.pk).where(StoredResource.resource_id == resource_id))
    db.add(
        DateIndex(
            resource_pk=pk, resource_type="Observation", param="date", patient_id=patient_id,
            low=low, high=low + timedelta(days=1),
        )
    )  # fmt: skip
    db.flush()


def general(db: Session, request: SearchRequest) -> list[int]:
    """The page by the general query (every match sorted in the database)."""
    query = search.matching(request, None, (StoredResource.pk,)).limit(request.count).offset(request.offset)
    return list(db.scalars(query))


def pks(db: Session, request: SearchRequest) -> list[int]:
    ids = [v.resource_id for v in search.find(db, request, limit=request.count, offset=request.offset)]
    by_id = {rid: pk for rid, pk in db.execute(select(StoredResource.resource_id, StoredResource.pk))}
    return [by_id[i] for i in ids]


@pytest.mark.parametrize(
    "extra",
    [
        [("_count", "100")],
        [("_count", "5")],
        [("_count", "5"), ("_offset", "5")],
        [("_count", "4"), ("_offset", "22")],
        [("_count", "3"), ("_offset", "30")],
        [("_count", "10"), ("code", "http://loinc.org|59408-5")],
        [("_count", "3"), ("date", "le2024-05-04")],
    ],
)
def test_the_page_matches_the_general_sorted_search(
    db: Session, readings: dict[str, str], extra: list[tuple[str, str]]
) -> None:
    request = parse_search("Observation", [("patient", readings["ann"]), ("_sort", "-date"), *extra])
    fast = search._newest_first_of_one_patient(db, request, None, limit=request.count, offset=request.offset)
    assert fast is not None
    assert pks(db, request) == general(db, request)


def test_newest_first_then_by_key_with_undated_last(db: Session, readings: dict[str, str]) -> None:
    request = parse_search(
        "Observation", [("patient", readings["ann"]), ("_sort", "-date"), ("_count", "30")]
    )
    found = service.search(db, actor=b.actor("gp_a"), request=request)
    values = [v.body["valueQuantity"]["value"] for v in found.versions if v.body]
    # 60 has a second date (the 20th), then the days newest first, each day's three readings in the order
    # stored, and the reading without a time last.
    later = [v for day in range(7, -1, -1) for v in range(60 + 3 * day, 63 + 3 * day) if v != 60]
    assert values == [60, *later, 59]
    assert found.total == 25


def test_date_index_rows_carry_the_patient(db: Session, readings: dict[str, str]) -> None:
    rows = db.execute(
        select(DateIndex.patient_id, StoredResource.patient_id).join(
            StoredResource, StoredResource.pk == DateIndex.resource_pk
        )
    ).all()
    assert rows and all(index_patient == row_patient for index_patient, row_patient in rows)


def test_other_searches_take_the_general_path(db: Session, readings: dict[str, str]) -> None:
    for pairs in (
        [("patient", readings["ann"]), ("_sort", "date")],
        [("patient", f"{readings['ann']},{readings['bob']}"), ("_sort", "-date")],
        [("subject", f"Patient/{readings['ann']}"), ("_sort", "-date")],
        [("patient", readings["ann"]), ("_sort", "-date,_id")],
    ):
        request = parse_search("Observation", pairs)
        assert search._newest_first_of_one_patient(db, request, None, limit=10, offset=0) is None


@pytest.mark.parametrize(
    "extra", [[], [("code", "http://loinc.org|59408-5")], [("_sort", "-date")], [("date", "le2024-05-04")]]
)
def test_the_count_of_one_patients_resources_matches_the_general_count(
    db: Session, readings: dict[str, str], extra: list[tuple[str, str]]
) -> None:
    for who in ("ann", "bob"):
        request = parse_search("Observation", [("patient", readings[who]), *extra])
        sub = search.matching(request).order_by(None).subquery()
        expected = db.scalar(select(func.count()).select_from(sub))
        assert search.count(db, request) == expected
        assert search.count(db, request, {readings[who]}) == expected
    request = parse_search("Observation", [("patient", readings["bob"])])
    gone = search.find(db, request, limit=1)[0].resource_id
    service.delete(db, actor=b.actor("gp_a"), resource_type="Observation", resource_id=gone)
    assert search.count(db, request) == 2  # a deleted resource is not counted


@pytest.mark.parametrize(("count", "more"), [("24", True), ("25", False), ("26", False)])
def test_a_next_page_exactly_when_more_follow(
    db: Session, readings: dict[str, str], count: str, more: bool
) -> None:
    # Ann has 25 readings, one of them with two dates (met twice by the walk) and one undated.
    request = parse_search(
        "Observation", [("patient", readings["ann"]), ("_sort", "-date"), ("_count", count)]
    )
    found = search.page(db, request, limit=request.count)
    assert (len(found.versions), found.has_more) == (min(25, int(count)), more)


def test_a_date_row_naming_another_patient_shows_nothing_of_theirs(
    db: Session, readings: dict[str, str]
) -> None:
    """The first page reads rows by the date index's patient: a row that disagreed with its resource would
    not show another patient's resource."""
    bobs = search.find(db, parse_search("Observation", [("patient", readings["bob"])]), limit=1)[0]
    _add_date(db, bobs.resource_id, readings["ann"], datetime(2030, 1, 1, tzinfo=UTC))
    request = parse_search("Observation", [("patient", readings["ann"]), ("_sort", "-date"), ("_count", "5")])
    shown = search.find(db, request, limit=request.count)
    assert len(shown) == 5 and {v.patient_id for v in shown} == {readings["ann"]}
