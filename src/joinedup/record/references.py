"""Every reference in a resource must resolve: to a stored resource, or to a registry organisation or site.

Organizations and Locations are the registry's own organisations and sites (never copies), so a reference
`Organization/rwe` is checked against the registry. A logical reference (identifier only) is not resolved.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from joinedup.errors import Invalid, NotFound
from joinedup.fhir.search_params import STORED_TYPES, parse_reference
from joinedup.record import storage
from joinedup.registry import service as registry

REGISTRY_TYPES = ("Organization", "Location")
_KNOWN = "joinedup.record.registry_ids"


def references_in(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(element path, reference text) of every Reference.reference below `value`."""
    if isinstance(value, Mapping):
        ref = value.get("reference")
        if isinstance(ref, str):
            yield path, ref
        for key, item in value.items():
            if key != "reference" and key != "contained":
                yield from references_in(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from references_in(item, f"{path}[{index}]")


def _reference_texts(value: Any, found: list[str]) -> None:
    """Append every Reference.reference below `value`, in the order `references_in` yields them."""
    if isinstance(value, dict | Mapping):
        ref = value.get("reference")
        if isinstance(ref, str):
            found.append(ref)
        for key, item in value.items():
            if key != "reference" and key != "contained" and not isinstance(item, _LEAVES):
                _reference_texts(item, found)
    elif isinstance(value, list):
        for item in value:
            if not isinstance(item, _LEAVES):
                _reference_texts(item, found)


_LEAVES = (str, int, float, type(None))
"""JSON values that hold no references (bool is an int)."""


def _where(label: str, body: Mapping[str, Any], text: str) -> str:
    """The element path (prefixed with `label`) of the first reference `text` in `body`, for messages."""
    for path, found in references_in(body, str(body.get("resourceType"))):
        if found == text:
            return f"{label}{path}"
    return f"{label}{body.get('resourceType')}"


def check_references(
    session: Session,
    bodies: Sequence[Mapping[str, Any]],
    pending: Iterable[tuple[str, str]] = (),
    labels: Sequence[str] | None = None,
) -> None:
    """Raise NotFound naming the first reference that points at nothing (`pending`: created alongside).

    References are collected without their paths (a batch repeats the same few: each distinct text is
    parsed once), and every stored target is looked up in one query; a path is worked out only for the
    message of a reference that fails.
    """
    will_exist = set(pending)
    wanted: dict[tuple[str, str], tuple[int, str]] = {}
    parsed: dict[str, tuple[str, str] | None] = {}
    supported = STORED_TYPES + REGISTRY_TYPES
    for index, body in enumerate(bodies):
        texts: list[str] = []
        _reference_texts(body, texts)
        for text in texts:
            if text.startswith("#"):
                continue
            if text not in parsed:
                ref = parse_reference(text)
                parsed[text] = None if ref is None else (ref.target_type, ref.target_id)
            key = parsed[text]
            if key is None or key[0] not in supported:
                where = _where(labels[index] if labels else "", body, text)
                if key is None:
                    raise Invalid(f"{where}: {text!r} is not a reference of the form Type/id")
                raise Invalid(
                    f"{where}: references to {key[0]} are not supported (joinedup resolves "
                    f"{', '.join(supported)})"
                )
            if key not in will_exist:
                wanted.setdefault(key, (index, text))
    stored = storage.existing(session, {k for k in wanted if k[0] in STORED_TYPES})
    for key, (index, text) in wanted.items():
        found = key in stored if key[0] in STORED_TYPES else _in_registry(session, *key)
        if not found:
            where = _where(labels[index] if labels else "", bodies[index], text)
            raise NotFound(f"{where}: {text} does not exist")


def _in_registry(session: Session, resource_type: str, resource_id: str) -> bool:
    """Whether the registry has this organisation or site; remembered for the rest of the transaction."""
    known: dict[tuple[str, str], bool] = session.info.setdefault(_KNOWN, {})
    key = (resource_type, resource_id)
    if key not in known:
        lookup = registry.get_organisation if resource_type == "Organization" else registry.get_site
        known[key] = lookup(session, resource_id) is not None
    return known[key]


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_KNOWN, None)
