"""Parse a FHIR search query string into a structured request, naming anything joinedup cannot answer.

Follows FHIR R4 §3.1.1 (Search): comma means OR within one parameter, repeating a parameter means AND;
prefixes eq, ne, gt, lt, ge, le on dates and quantities; token `system|code`; `_count`, `_offset` (our
paging cursor), `_sort`, `_include`, `_summary=count`, `_total`, `_lastUpdated`, `_id`. Unknown parameters
are an error unless the caller asks for `Prefer: handling=lenient`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from joinedup.errors import BadRequest
from joinedup.fhir.datetimes import DateRange, parse_range
from joinedup.fhir.search_params import SearchParameter, parameters_of, parse_reference

Prefix = Literal["eq", "ne", "gt", "lt", "ge", "le"]
PREFIXES: tuple[Prefix, ...] = ("eq", "ne", "gt", "lt", "ge", "le")
DEFAULT_COUNT = 20
MAX_COUNT = 1000
IGNORED = frozenset({"_format", "_pretty"})
SORTABLE = frozenset({"date", "string"})
TOTALS = ("none", "estimate", "accurate")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


@dataclass(frozen=True)
class TokenValue:
    system: str | None  # None: any system
    code: str | None  # None: any code in the system
    no_system: bool = False  # `|code`: only values without a system


@dataclass(frozen=True)
class RefValue:
    target_type: str | None
    target_id: str


@dataclass(frozen=True)
class DateValue:
    prefix: Prefix
    range: DateRange


@dataclass(frozen=True)
class QuantityValue:
    prefix: Prefix
    value: float
    precision: float
    system: str | None
    code: str | None


@dataclass(frozen=True)
class StringValue:
    text: str


ParsedValue = TokenValue | RefValue | DateValue | QuantityValue | StringValue


@dataclass(frozen=True)
class Criterion:
    """One parameter occurrence: its values are OR-ed; `modifier` is None, `missing`, `not` or `contains`."""

    name: str
    kind: str
    modifier: str | None
    values: tuple[ParsedValue, ...]
    missing: bool | None = None
    compartment: bool = False


@dataclass(frozen=True)
class SortKey:
    name: str
    kind: str
    descending: bool


@dataclass(frozen=True)
class Include:
    source_type: str
    param: str
    target_type: str | None


@dataclass(frozen=True)
class SearchRequest:
    resource_type: str
    criteria: tuple[Criterion, ...] = ()
    count: int = DEFAULT_COUNT
    offset: int = 0
    sort: tuple[SortKey, ...] = ()
    includes: tuple[Include, ...] = ()
    summary_count: bool = False
    ignored: tuple[str, ...] = field(default=())
    # `_total` (FHIR R4 §3.1.1.5.6): "accurate" or "estimate" counts every match; otherwise Bundle.total
    # is given only when the page itself shows it (the last page). None: not asked.
    total: str | None = None

    @property
    def wants_total(self) -> bool:
        """Must every match be counted (`_total=accurate` or `estimate`, `_summary=count`, `_count=0`)?"""
        return self.summary_count or self.count == 0 or self.total in ("accurate", "estimate")


def _split_or(text: str) -> list[str]:
    """Comma-separated alternatives; `\\,` is a literal comma (FHIR §3.1.1.5.7 escaping)."""
    parts = re.split(r"(?<!\\),", text)
    return [p.replace("\\,", ",").replace("\\|", "|").replace("\\$", "$") for p in parts]


def _prefixed(text: str) -> tuple[Prefix, str]:
    head = text[:2]
    if len(text) > 2 and (text[2].isdigit() or text[2] in "+-."):
        for prefix in PREFIXES:
            if head == prefix:
                return prefix, text[2:]
    return "eq", text


def _token(text: str) -> TokenValue:
    if "|" not in text:
        return TokenValue(None, text)
    system, _, value = text.partition("|")
    if not system:
        return TokenValue(None, value, no_system=True)
    return TokenValue(system, value or None)


def _reference(name: str, text: str, param: SearchParameter) -> RefValue:
    ref = parse_reference(text)
    if ref is not None:
        if param.targets and ref.target_type not in param.targets:
            raise BadRequest(f"{name}: {text!r} must refer to {' or '.join(param.targets)}")
        return RefValue(ref.target_type, ref.target_id)
    if "/" in text or not text:
        raise BadRequest(f"{name}: {text!r} is not a reference (expected Type/id or id)")
    return RefValue(param.targets[0] if len(param.targets) == 1 else None, text)


def _date(name: str, text: str) -> DateValue:
    prefix, rest = _prefixed(text)
    try:
        return DateValue(prefix, parse_range(rest))
    except ValueError as exc:
        raise BadRequest(f"{name}: {exc}") from None


def _quantity(name: str, text: str) -> QuantityValue:
    prefix, rest = _prefixed(text)
    number, _, unit = rest.partition("|")
    if not _NUMBER.fullmatch(number):
        raise BadRequest(
            f"{name}: {number!r} is not a number (expected e.g. gt100|http://unitsofmeasure.org|mm[Hg])"
        )
    decimals = len(number.split(".")[1]) if "." in number else 0
    system, _, code = unit.partition("|")
    return QuantityValue(prefix, float(number), 0.5 * 10.0**-decimals, system or None, code or None)


def _values(name: str, raw: str, param: SearchParameter) -> tuple[ParsedValue, ...]:
    values: list[ParsedValue] = []
    for text in _split_or(raw):
        if param.kind == "token":
            values.append(_token(text))
        elif param.kind == "reference":
            values.append(_reference(name, text, param))
        elif param.kind == "date":
            values.append(_date(name, text))
        elif param.kind == "quantity":
            values.append(_quantity(name, text))
        else:
            values.append(StringValue(text))
    return tuple(values)


MODIFIERS = {
    "token": {"not", "missing"},
    "string": {"contains", "missing"},
    "reference": {"missing"},
    "date": {"missing"},
    "quantity": {"missing"},
}


def _criterion(resource_type: str, key: str, raw: str) -> Criterion:
    name, _, modifier = key.partition(":")
    if "." in name:
        raise BadRequest(f"chained search ({key}) is not supported")
    if name == "_id":
        return Criterion(name, "_id", None, tuple(StringValue(v) for v in _split_or(raw)))
    if name == "_lastUpdated":
        return Criterion(name, "_lastUpdated", None, tuple(_date(name, v) for v in _split_or(raw)))
    param = parameters_of(resource_type).get(name)
    if param is None:
        raise LookupError(name)
    if modifier and modifier not in MODIFIERS[param.kind]:
        raise BadRequest(f"{key}: the modifier :{modifier} is not supported on a {param.kind} parameter")
    if modifier == "missing":
        if raw not in ("true", "false"):
            raise BadRequest(f"{key}: expected true or false, not {raw!r}")
        return Criterion(
            name, param.kind, "missing", (), missing=raw == "true", compartment=param.compartment
        )
    if not raw:
        raise BadRequest(f"{key}: a value is required")
    return Criterion(
        name, param.kind, modifier or None, _values(name, raw, param), compartment=param.compartment
    )


def _integer(name: str, raw: str, low: int, high: int) -> int:
    if not (raw.isascii() and raw.isdigit()):
        raise BadRequest(f"{name}: {raw!r} is not a whole number")
    return max(low, min(int(raw), high))


def _sort(resource_type: str, raw: str) -> tuple[SortKey, ...]:
    keys = []
    params = parameters_of(resource_type)
    for item in raw.split(","):
        descending = item.startswith("-")
        name = item.lstrip("-")
        if name in ("_id", "_lastUpdated"):
            keys.append(SortKey(name, name, descending))
            continue
        param = params.get(name)
        if param is None or param.kind not in SORTABLE:
            sortable = sorted(p.name for p in params.values() if p.kind in SORTABLE)
            raise BadRequest(
                f"_sort: cannot sort {resource_type} by {name!r} (sortable: "
                f"{', '.join(['_id', '_lastUpdated', *sortable])})"
            )
        keys.append(SortKey(name, param.kind, descending))
    return tuple(keys)


def _include(resource_type: str, raw: str) -> Include:
    source, _, rest = raw.partition(":")
    name, _, target = rest.partition(":")
    param = parameters_of(resource_type).get(name)
    if source != resource_type or param is None or param.kind != "reference":
        names = [p.name for p in parameters_of(resource_type).values() if p.kind == "reference"]
        raise BadRequest(
            f"_include: {raw!r} is not a reference parameter of {resource_type} "
            f"(supported: {', '.join(f'{resource_type}:{n}' for n in names) or 'none'})"
        )
    if target and param.targets and target not in param.targets:
        raise BadRequest(f"_include: {name} refers to {' or '.join(param.targets)}, not {target}")
    return Include(source, name, target or None)


def parse_search(
    resource_type: str, pairs: Sequence[tuple[str, str]], *, strict: bool = True
) -> SearchRequest:
    """A SearchRequest from query pairs; BadRequest naming the parameter when one cannot be answered."""
    criteria: list[Criterion] = []
    sort: tuple[SortKey, ...] = ()
    includes: list[Include] = []
    ignored: list[str] = []
    count, offset, summary_count, total = DEFAULT_COUNT, 0, False, None
    for key, raw in pairs:
        if key == "_count":
            count = _integer(key, raw, 0, MAX_COUNT)
        elif key == "_offset":
            offset = _integer(key, raw, 0, 10**9)
        elif key == "_sort":
            sort = _sort(resource_type, raw)
        elif key == "_include":
            includes.append(_include(resource_type, raw))
        elif key == "_summary":
            if raw != "count":
                raise BadRequest(f"_summary={raw} is not supported (only _summary=count)")
            summary_count = True
        elif key == "_total":
            if raw not in TOTALS:
                raise BadRequest(f"_total={raw} is not supported (none, estimate or accurate)")
            total = raw
        elif key in IGNORED:
            ignored.append(key)
        else:
            try:
                criteria.append(_criterion(resource_type, key, raw))
            except LookupError as unknown:
                if strict:
                    known = ", ".join(sorted(["_id", "_lastUpdated", *parameters_of(resource_type)]))
                    raise BadRequest(
                        f"unknown search parameter {key!r} for {resource_type} (supported: {known})"
                    ) from unknown
                ignored.append(key)
    return SearchRequest(
        resource_type,
        tuple(criteria),
        count,
        offset,
        sort,
        tuple(includes),
        summary_count,
        tuple(ignored),
        total,
    )


def named_patients(request: SearchRequest) -> set[str] | None:
    """The patient ids a search is restricted to by its own criteria, or None when it is not restricted."""
    for criterion in request.criteria:
        ids: set[str] | None = None
        if (criterion.compartment and criterion.modifier is None) or (
            criterion.name == "subject"
            and criterion.modifier is None
            and all(isinstance(v, RefValue) and v.target_type == "Patient" for v in criterion.values)
        ):
            ids = {v.target_id for v in criterion.values if isinstance(v, RefValue)}
        elif criterion.name == "_id" and request.resource_type == "Patient":
            ids = {v.text for v in criterion.values if isinstance(v, StringValue)}
        if ids is not None:
            return ids
    return None
