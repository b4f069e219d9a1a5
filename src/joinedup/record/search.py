"""FHIR search as SQL over the index tables: each criterion is an EXISTS over one index table.

Date comparisons follow FHIR R4 §3.1.1.4.3 with half-open ranges: eq = the value's range lies inside
the searched range; gt = it reaches past the searched range; lt = it starts before it; ge = lt's opposite
(starts inside or after, or reaches past); le = gt's opposite. Quantities without a prefix match within
half of their last stated digit (FHIR R4 §3.1.1.4.2, "number" precision).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, not_, or_, select, true
from sqlalchemy.orm import Session

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
from joinedup.record.storage import Version, rows_by_pk

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
    sub = matching(request, patients).order_by(None).subquery()
    return int(session.scalar(select(func.count()).select_from(sub)) or 0)


def find(
    session: Session, request: SearchRequest, patients: set[str] | None = None, *, limit: int, offset: int = 0
) -> list[Version]:
    """Up to `limit` matching resources after `offset`, in order.

    The page's keys are chosen first (from indexes, without reading bodies), then only those rows are read.
    """
    keys = list(session.scalars(matching(request, patients, (R.pk,)).limit(limit).offset(offset)))
    return rows_by_pk(session, keys)


def patients_matching(session: Session, request: SearchRequest, *, limit: int) -> Sequence[str | None]:
    """The distinct patients (None for resources outside any compartment) among the matches."""
    sub = matching(request).order_by(None).subquery()
    return list(session.scalars(select(sub.c.patient_id).distinct().limit(limit)))
