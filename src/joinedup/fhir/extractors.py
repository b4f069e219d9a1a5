"""How search parameter values are read out of FHIR resources: a small FHIRPath subset over plain JSON.

Each extractor returns index values (Token, Ref, DateRange, folded str, Quantity) for one element path.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from joinedup.fhir.datetimes import DateRange, parse_range, period_range

ParamKind = Literal["token", "reference", "date", "string", "quantity"]
Resource = Mapping[str, Any]


@dataclass(frozen=True)
class Token:
    system: str | None
    code: str


@dataclass(frozen=True)
class Ref:
    target_type: str
    target_id: str


@dataclass(frozen=True)
class Quantity:
    value: float
    system: str | None
    code: str | None


IndexValue = Token | Ref | DateRange | str | Quantity
Extractor = Callable[[Resource], list[IndexValue]]


def elements(value: Any, path: str) -> Iterator[Any]:
    """Every value at a dotted `path` below `value`, stepping through lists (a small FHIRPath subset)."""
    return iter(_at(value, tuple(path.split(".")) if path else ()))


def _is_mapping(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)


def _flat(values: list[Any]) -> list[Any]:
    """`values` with lists spliced in (at any depth) and None left out."""
    out: list[Any] = []
    for value in values:
        if type(value) is list:
            out += _flat(value)
        elif value is not None:
            out.append(value)
    return out


def _at(value: Any, parts: tuple[str, ...]) -> list[Any]:
    """The values at the path `parts` below `value`, in document order (one pass, no generators)."""
    current = [value] if type(value) is dict else _flat([value])
    for part in parts:
        found: list[Any] = []
        for item in current:
            if type(item) is dict or isinstance(item, Mapping):
                child = item.get(part)
                if type(child) is list:
                    found += _flat(child)
                elif child is not None:
                    found.append(child)
        current = found
    return current


def fold(text: str) -> str:
    """Lower case without accents: FHIR string search matches 'Zoë' when asked for 'zoe'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def parse_reference(text: str) -> Ref | None:
    """`Type/id` (or an absolute URL ending so, or with `/_history/n`) as a Ref; None for other forms."""
    return _parsed_reference(text) if isinstance(text, str) else None


@lru_cache(maxsize=4096)  # a batch names the same few patients over and over; a Ref is immutable
def _parsed_reference(text: str) -> Ref | None:
    if text.startswith(("#", "urn:")):
        return None
    parts = text.split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) < 2 or not parts[-2][:1].isupper() or not parts[-1]:
        return None
    return Ref(parts[-2], parts[-1])


def codeable(path: str) -> Extractor:
    parts = tuple(f"{path}.coding".split("."))

    def extract(resource: Resource) -> list[IndexValue]:
        return [
            Token(coding.get("system"), str(coding["code"]))
            for coding in _at(resource, parts)
            if _is_mapping(coding) and coding.get("code") is not None
        ]

    return extract


def coding(path: str) -> Extractor:
    parts = tuple(path.split("."))

    def extract(resource: Resource) -> list[IndexValue]:
        return [
            Token(c.get("system"), str(c["code"]))
            for c in _at(resource, parts)
            if _is_mapping(c) and c.get("code") is not None
        ]

    return extract


def identifier(path: str) -> Extractor:
    parts = tuple(path.split("."))

    def extract(resource: Resource) -> list[IndexValue]:
        return [
            Token(i.get("system"), str(i["value"]))
            for i in _at(resource, parts)
            if _is_mapping(i) and i.get("value") is not None
        ]

    return extract


def code(path: str) -> Extractor:
    parts = tuple(path.split("."))

    def extract(resource: Resource) -> list[IndexValue]:
        return [Token(None, str(v)) for v in _at(resource, parts) if isinstance(v, str)]

    return extract


def reference(path: str) -> Extractor:
    parts = tuple(path.split("."))

    def extract(resource: Resource) -> list[IndexValue]:
        refs = [parse_reference(r.get("reference", "")) for r in _at(resource, parts) if _is_mapping(r)]
        return [r for r in refs if r is not None]

    return extract


def date(path: str) -> Extractor:
    parts = tuple(path.split("."))

    def extract(resource: Resource) -> list[IndexValue]:
        return [parse_range(v) for v in _at(resource, parts) if isinstance(v, str)]

    return extract


def period(path: str) -> Extractor:
    parts = tuple(path.split("."))

    def extract(resource: Resource) -> list[IndexValue]:
        return [period_range(p.get("start"), p.get("end")) for p in _at(resource, parts) if _is_mapping(p)]

    return extract


def choice_date(prefix: str) -> Extractor:
    """A dateTime, instant or Period choice element such as Observation.effective[x]."""

    as_date_time, as_instant, as_period = (
        date(prefix + "DateTime"),
        date(prefix + "Instant"),
        period(prefix + "Period"),
    )

    def extract(resource: Resource) -> list[IndexValue]:
        return as_date_time(resource) + as_instant(resource) + as_period(resource)

    return extract


def string(*paths: str) -> Extractor:
    split = [tuple(p.split(".")) for p in paths]

    def extract(resource: Resource) -> list[IndexValue]:
        return [fold(v) for p in split for v in _at(resource, p) if isinstance(v, str) and v.strip()]

    return extract


def quantity(path: str) -> Extractor:
    parts = tuple(path.split("."))

    def extract(resource: Resource) -> list[IndexValue]:
        return [
            Quantity(float(q["value"]), q.get("system"), q.get("code") or q.get("unit"))
            for q in _at(resource, parts)
            if _is_mapping(q) and isinstance(q.get("value"), int | float)
        ]

    return extract
