"""FHIR search as SQL over the index tables: each criterion is an EXISTS over one index table.

Date comparisons follow FHIR R4 §3.1.1.4.3 with half-open ranges: eq = the value's range lies inside
the searched range; gt = it reaches past the searched range; lt = it starts before it; ge = lt's opposite
(starts inside or after, or reaches past); le = gt's opposite. Quantities without a prefix match within
half of their last stated digit (FHIR R4 §3.1.1.4.2, "number" precision).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from joinedup.db import flushed_connection
from joinedup.fhir.datetimes import DateRange
from joinedup.fhir.search_params import fold
from joinedup.fhir.search_query import (
    Criterion,
    DateValue,
    QuantityValue,
    RefValue,
    SearchRequest,
    SortKey,
    StringValue,
    TokenValue,
)
from joinedup.record.models import (
    DateIndex,
    QuantityIndex,
    ReferenceIndex,
    StoredResource,
    StringIndex,
    TokenIndex,
)
from joinedup.record.storage import VERSION_COLUMNS, Version, rows_by_pk, version_of_row

R = StoredResource
IndexModel = (
    type[TokenIndex] | type[ReferenceIndex] | type[DateIndex] | type[StringIndex] | type[QuantityIndex]
)
INDEX: dict[str, IndexModel] = {
    "token": TokenIndex,
    "reference": ReferenceIndex,
    "date": DateIndex,
    "string": StringIndex,
    "quantity": QuantityIndex,
}


def _range_clause(low: ColumnElement[Any], high: ColumnElement[Any], value: DateValue) -> ColumnElement[bool]:
    p: DateRange = value.range
    eq = and_(low >= p.low, high <= p.high)
    return {
        "eq": eq,
        "ne": not_(eq),
        "gt": high > p.high,
        "lt": low < p.low,
        "ge": or_(low >= p.low, high > p.high),
        "le": or_(low < p.low, high <= p.high),
    }[value.prefix]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _value_clause(criterion: Criterion, value: object) -> ColumnElement[bool]:
    if isinstance(value, TokenValue):
        t = TokenIndex
        clauses = [] if value.code is None else [t.code == value.code]
        if value.no_system:
            clauses.append(t.system.is_(None))
        elif value.system is not None:
            clauses.append(t.system == value.system)
        return and_(true(), *clauses)
    if isinstance(value, RefValue):
        ref = ReferenceIndex
        same_id = ref.target_id == value.target_id
        return same_id if value.target_type is None else and_(same_id, ref.target_type == value.target_type)
    if isinstance(value, DateValue):
        return _range_clause(DateIndex.low.expression, DateIndex.high.expression, value)
    if isinstance(value, QuantityValue):
        return _quantity_clause(value)
    assert isinstance(value, StringValue)
    text = _escape_like(fold(value.text))
    pattern = f"%{text}%" if criterion.modifier == "contains" else f"{text}%"
    return StringIndex.value.like(pattern, escape="\\")


def _quantity_clause(value: QuantityValue) -> ColumnElement[bool]:
    q = QuantityIndex
    n, half = value.value, value.precision
    compare = {
        "eq": and_(q.value >= n - half, q.value < n + half),
        "ne": or_(q.value < n - half, q.value >= n + half),
        "gt": q.value > n,
        "lt": q.value < n,
        "ge": q.value >= n,
        "le": q.value <= n,
    }[value.prefix]
    if value.code is not None:
        compare = and_(compare, q.code == value.code)
    if value.system is not None:
        compare = and_(compare, q.system == value.system)
    return compare


def _criterion_clause(resource_type: str, criterion: Criterion) -> ColumnElement[bool]:
    if criterion.kind == "_id":
        return R.resource_id.in_([v.text for v in criterion.values if isinstance(v, StringValue)])
    if criterion.kind == "_lastUpdated":
        return or_(
            *(
                _range_clause(R.last_updated.expression, R.last_updated.expression, v)
                for v in criterion.values
                if isinstance(v, DateValue)
            )
        )
    if criterion.compartment:
        if criterion.modifier == "missing":
            return R.patient_id.is_(None) if criterion.missing else R.patient_id.is_not(None)
        return R.patient_id.in_([v.target_id for v in criterion.values if isinstance(v, RefValue)])
    model = INDEX[criterion.kind]
    owned = and_(model.resource_pk == R.pk, model.param == criterion.name)
    if criterion.modifier == "missing":
        present = exists().where(owned)
        return not_(present) if criterion.missing else present
    alternatives = (
        or_(*(_value_clause(criterion, v) for v in criterion.values)) if criterion.values else false()
    )
    found = exists().where(owned, alternatives)
    return not_(found) if criterion.modifier == "not" else found


def _sort_column(key: SortKey) -> ColumnElement[Any]:
    if key.name == "_id":
        return R.resource_id.expression
    if key.name == "_lastUpdated":
        return R.last_updated.expression
    pick: ColumnElement[Any]
    if key.kind == "date":
        column = DateIndex.high if key.descending else DateIndex.low
        pick = func.max(column) if key.descending else func.min(column)
        owner = and_(DateIndex.resource_pk == R.pk, DateIndex.param == key.name)
    else:
        text = StringIndex.value
        pick = func.max(text) if key.descending else func.min(text)
        owner = and_(StringIndex.resource_pk == R.pk, StringIndex.param == key.name)
    return select(pick).where(owner).scalar_subquery()


def matching(
    request: SearchRequest, patients: set[str] | None = None, columns: Sequence[Any] = (R.pk, R.patient_id)
) -> Select[Any]:
    """SELECT `columns` of every live resource matching the request, in the requested order.

    `patients`, when given, keeps only resources of those patients (the ones the caller may see).
    """
    query = select(*columns).where(R.resource_type == request.resource_type, R.is_deleted.is_(False))
    if patients is not None:
        query = query.where(R.patient_id.in_(sorted(patients)))
    for criterion in request.criteria:
        query = query.where(_criterion_clause(request.resource_type, criterion))
    order: list[ColumnElement[Any]] = []
    for key in request.sort:
        column = _sort_column(key)
        order.append(column.desc().nulls_last() if key.descending else column.asc().nulls_last())
    return query.order_by(*order, R.pk)


def count(session: Session, request: SearchRequest, patients: set[str] | None = None) -> int:
    """How many resources match, without loading them."""
    patient = _only_one_patient(request, patients)
    if patient is not None:
        found = flushed_connection(session).scalar(
            _one_patient_count(), {"rtype": request.resource_type, "patient": patient}
        )
        return int(found or 0)
    sub = matching(request, patients).order_by(None).subquery()
    return int(flushed_connection(session).scalar(select(func.count()).select_from(sub)) or 0)


def _only_one_patient(request: SearchRequest, patients: set[str] | None) -> str | None:
    """The patient when the search is that patient's resources and nothing else (`patient=X` alone)."""
    if patients is not None or len(request.criteria) != 1:
        return None
    return _one_named_patient(request)


_STATEMENTS: dict[tuple[str, ...], Select[Any]] = {}
"""Statements of the commonest searches, built once with bound parameters (building one is most of the
CPU of a quick query); the same SQL `matching` builds for them."""


def _one_patient_count() -> Select[Any]:
    key = ("count",)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = select(func.count()).where(
            R.resource_type == bindparam("rtype"),
            R.is_deleted.is_(False),
            R.patient_id == bindparam("patient"),
        )
    return _STATEMENTS[key]


def _one_patient_dated(param: str) -> Select[Any]:
    """One patient's resources of a type joined to their `param` dates, newest first (limit `fetch`)."""
    key = ("dated", param)
    if key not in _STATEMENTS:
        d = aliased(DateIndex)
        _STATEMENTS[key] = (
            select(R.pk)
            .join(d, d.resource_pk == R.pk)
            .where(
                R.resource_type == bindparam("rtype"),
                R.is_deleted.is_(False),
                R.patient_id == bindparam("patient"),
                d.patient_id == bindparam("patient"),
                d.resource_type == bindparam("rtype"),
                d.param == param,
            )
            .order_by(d.high.desc(), R.pk)
            .limit(bindparam("fetch"))
        )
    return _STATEMENTS[key]


def _one_patient_newest_rows(param: str) -> Select[Any]:
    """The rows of one patient's resources of a type, newest `param` date first (limit `fetch`): the walk
    of the date index `ix_record_date_index_patient_newest` in its own order, each row read by key, so
    it stops at the page. The patient and type are asked of the index rows only (the rows' own are the
    same, and checked as read): asked of both, PostgreSQL expects almost no rows and reads them all."""
    key = ("newest rows", param)
    if key not in _STATEMENTS:
        d = aliased(DateIndex)
        _STATEMENTS[key] = (
            select(R.pk, *VERSION_COLUMNS)
            .join(d, d.resource_pk == R.pk)
            .where(
                R.is_deleted.is_(False),
                d.patient_id == bindparam("patient"),
                d.resource_type == bindparam("rtype"),
                d.param == param,
            )
            .order_by(d.high.desc(), d.resource_pk)
            .limit(bindparam("fetch"))
        )
    return _STATEMENTS[key]


@dataclass(frozen=True)
class Page:
    """One page of matches, in order, and whether any match follows it."""

    versions: list[Version]
    has_more: bool


def page(
    session: Session, request: SearchRequest, patients: set[str] | None = None, *, limit: int, offset: int = 0
) -> Page:
    """Up to `limit` matching resources after `offset`, in order; one more is looked for, to tell whether
    a next page exists without counting every match.

    The page's keys are chosen first (from indexes, without reading bodies), then only those rows are read;
    a patient's newest first reads the rows in the same walk of the patient's dates.
    """
    walked = _newest_first_of_one_patient(session, request, patients, limit=limit + 1, offset=offset)
    if walked is not None:
        return Page(walked[:limit], len(walked) > limit)
    query = matching(request, patients, (R.pk,)).limit(limit + 1).offset(offset)
    keys = list(flushed_connection(session).scalars(query))
    return Page(rows_by_pk(session, keys[:limit]), len(keys) > limit)


def find(
    session: Session, request: SearchRequest, patients: set[str] | None = None, *, limit: int, offset: int = 0
) -> list[Version]:
    """Up to `limit` matching resources after `offset`, in order."""
    return page(session, request, patients, limit=limit, offset=offset).versions


def _one_named_patient(request: SearchRequest) -> str | None:
    for criterion in request.criteria:
        if criterion.compartment and criterion.modifier is None:
            ids = {v.target_id for v in criterion.values if isinstance(v, RefValue)}
            return next(iter(ids)) if len(ids) == 1 else None
    return None


def _newest_first_of_one_patient(
    session: Session, request: SearchRequest, patients: set[str] | None, *, limit: int, offset: int
) -> list[Version] | None:
    """The page for one patient's resources sorted by a date, newest first (`patient=X&_sort=-date`),
    walking the patient's date index from the newest instead of sorting all their resources; None if the
    search is not of that form. The first page of `patient=X` alone reads its rows in the walk itself.

    The same order as `matching`: by each resource's latest date (a resource with several dates is placed
    at its latest, the first time the walk meets it), then by key, resources with no date last.
    """
    patient = _one_named_patient(request)
    if patient is None or len(request.sort) != 1 or limit <= 0:
        return None
    key = request.sort[0]
    if key.kind != "date" or not key.descending or key.name in ("_lastUpdated", "_id"):
        return None
    plain = _only_one_patient(request, patients) is not None  # `patient=X` alone: a statement built once
    # Deeper pages would read the row of every resource they skip; other criteria need the rows' own
    # indexes, so those walks choose keys only.
    with_rows = plain and offset == 0
    first, walked_all = _walk(session, request, patients, patient, key.name, offset + limit, with_rows)
    keys = list(first)[offset : offset + limit]
    undated: list[int] = []
    if len(keys) < limit and walked_all:
        d = _DATES
        query = matching(request, patients, (R.pk,)).order_by(None)
        query = query.where(~exists().where(d.resource_pk == R.pk, d.param == key.name)).order_by(R.pk)
        skip = max(0, offset - len(first))
        undated = list(flushed_connection(session).scalars(query.limit(limit - len(keys)).offset(skip)))
    if not with_rows:
        return rows_by_pk(session, keys + undated)
    return [version_of_row(first[k][1:]) for k in keys] + rows_by_pk(session, undated)


_DATES = aliased(DateIndex)  # apart from any date criterion's own EXISTS over the date index
_ROW_KEYS = ["pk", *(column.key for column in VERSION_COLUMNS)]  # a row of _one_patient_newest_rows
_ROW_TYPE, _ROW_PATIENT = _ROW_KEYS.index("resource_type"), _ROW_KEYS.index("patient_id")


def _walk(
    session: Session,
    request: SearchRequest,
    patients: set[str] | None,
    patient: str,
    param: str,
    wanted: int,
    with_rows: bool,
) -> tuple[dict[int, Any], bool]:
    """The first `wanted` distinct resources of the patient's `param` dates, newest first (key → row), and
    whether the walk reached the end. A resource with several dates is met more than once, so the walk
    reads further until it has `wanted` distinct ones."""
    d, rtype, fetch = _DATES, request.resource_type, wanted
    plain = _only_one_patient(request, patients) is not None
    while True:
        values: dict[str, Any] = {"rtype": rtype, "patient": patient, "fetch": fetch}
        if with_rows:
            statement = _one_patient_newest_rows(param)
        elif plain:
            statement = _one_patient_dated(param)
        else:
            statement = matching(request, patients, (R.pk,)).order_by(None).join(d, d.resource_pk == R.pk)
            statement = statement.where(d.patient_id == patient, d.resource_type == rtype, d.param == param)
            statement, values = statement.order_by(d.high.desc(), R.pk).limit(fetch), {}
        rows = flushed_connection(session).execute(statement, values).all()
        first: dict[int, Any] = {}
        for row in rows:
            # That statement asks the index rows alone: their resource must agree.
            if not with_rows or (row[_ROW_TYPE], row[_ROW_PATIENT]) == (rtype, patient):
                first.setdefault(row[0], row)
        walked_all = len(rows) < fetch
        if len(first) >= wanted or walked_all:
            return first, walked_all
        fetch *= 4


def patients_matching(session: Session, request: SearchRequest, *, limit: int) -> Sequence[str | None]:
    """The distinct patients (None for resources outside any compartment) among the matches."""
    sub = matching(request).order_by(None).subquery()
    return list(session.scalars(select(sub.c.patient_id).distinct().limit(limit)))
