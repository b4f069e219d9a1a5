"""Transaction and batch Bundles POSTed at the base (FHIR R4 §3.1.0.11, "transaction").

A transaction is all or nothing: entries are processed DELETE, POST, PUT, GET (the spec's order), every
`urn:uuid:` fullUrl is given its new id and references to it are rewritten before anything is stored, and
the first failure fails the whole Bundle (the request's transaction rolls back). In a batch each entry
succeeds or fails alone, inside its own savepoint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError
from sqlalchemy.orm import Session

from joinedup.errors import BadRequest, Invalid, JoinedupError, NotFound, PreconditionFailed
from joinedup.fhir import interactions
from joinedup.fhir.datetimes import format_instant
from joinedup.fhir.outcome import Outcome, error_outcome, status_line
from joinedup.monitoring import service as monitoring
from joinedup.record import service as record
from joinedup.record.service import Actor, Version

ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}


@dataclass
class Entry:
    """One Bundle entry, as parsed: where it sits, what it asks, and (once done) its response."""

    index: int
    method: str
    url: str
    full_url: str | None
    resource: dict[str, Any] | None
    if_none_exist: str | None = None
    if_match: str | None = None
    response: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        return f"Bundle.entry[{self.index}] ({self.method} {self.url}): "

    @property
    def type_and_id(self) -> tuple[str, str | None]:
        path = self.url.split("?")[0].strip("/")
        rtype, _, rid = path.partition("/")
        return rtype, rid or None


def _check_envelope(bundle: dict[str, Any]) -> str:
    if bundle.get("resourceType") != "Bundle":
        raise BadRequest(f"POST at the base takes a Bundle, not {bundle.get('resourceType')!r}")
    if bundle.get("type") not in ("transaction", "batch"):
        raise BadRequest(f"Bundle.type must be transaction or batch, not {bundle.get('type')!r}")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise Invalid("Bundle.entry must be a list")
    shells = [{k: v for k, v in e.items() if k != "resource"} if isinstance(e, dict) else e for e in entries]
    try:
        # Entries are validated independently of each other, so each distinct shell once is the same check
        # (a device's Bundle repeats one request a hundred times); errors are located on the full list.
        # repr: equal shells of JSON values have equal reprs, and it costs a fraction of json.dumps.
        distinct = list({repr(s): s for s in shells}.values())
        try:
            Bundle.model_validate({**bundle, "entry": distinct})
        except ValidationError:
            Bundle.model_validate({**bundle, "entry": shells})
    except ValidationError as exc:
        where = "; ".join(
            f"Bundle.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise Invalid(where) from None
    return str(bundle["type"])


def _entries(bundle: dict[str, Any]) -> list[Entry]:
    parsed = []
    for index, raw in enumerate(bundle.get("entry") or []):
        request = raw.get("request") or {}
        method, url = str(request.get("method", "")).upper(), str(request.get("url", ""))
        if not method or not url:
            raise Invalid(f"Bundle.entry[{index}].request: method and url are required in a {bundle['type']}")
        resource = raw.get("resource")
        if method in ("POST", "PUT") and not isinstance(resource, dict):
            raise Invalid(f"Bundle.entry[{index}]: a {method} needs a resource")
        if method not in ORDER or method in ("PATCH", "HEAD"):
            raise BadRequest(f"Bundle.entry[{index}].request.method {method} is not supported")
        parsed.append(
            Entry(
                index,
                method,
                url,
                raw.get("fullUrl"),
                resource,
                request.get("ifNoneExist"),
                request.get("ifMatch"),
            )
        )
    return parsed


def _rewrite(value: Any, ids: dict[str, str], base: str) -> Any:
    """Replace, in place, references to urn:uuid fullUrls (and to this server's URLs) by Type/id."""
    if isinstance(value, dict):
        for item in value.values():
            if isinstance(item, (dict, list)):
                _rewrite(item, ids, base)
        ref = value.get("reference")
        if isinstance(ref, str) and (ref.startswith("urn:") or ref.startswith(base)):
            if ref in ids:
                value["reference"] = ids[ref]
            elif ref.startswith(base + "/"):
                value["reference"] = ref[len(base) + 1 :]
            elif ref.startswith("urn:uuid:"):
                raise NotFound(f"reference {ref} names no entry of this Bundle")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                _rewrite(item, ids, base)
    return value


def _assign_ids(session: Session, actor: Actor, entries: list[Entry], ids: dict[str, str]) -> None:
    """Ids for POSTed resources (or the existing match of an ifNoneExist), keyed by their fullUrl."""
    for entry in entries:
        rtype, rid = entry.type_and_id
        if entry.method == "POST" and entry.body is None:
            interactions.served_type(rtype)
            rid = _conditional_match(session, actor, entry, rtype) or record.new_id()
            if entry.body is None:
                entry.body = {**(entry.resource or {}), "id": rid}
        elif entry.method == "POST" and entry.body:
            rid = entry.body["id"]
        if entry.full_url and rid and entry.method in ("POST", "PUT"):
            ids[entry.full_url] = f"{rtype}/{rid}"


def _preassign(entries: list[Entry], ids: dict[str, str]) -> None:
    """Plain POSTs get their ids up front, so an entry may refer to one processed after it."""
    for entry in entries:
        if entry.method == "POST" and not entry.if_none_exist and entry.body is None:
            entry.body = {**(entry.resource or {}), "id": record.new_id()}
    _assign_ids_without_search(entries, ids)


def _assign_ids_without_search(entries: list[Entry], ids: dict[str, str]) -> None:
    for entry in entries:
        rtype, rid = entry.type_and_id
        if entry.method == "POST" and entry.body:
            rid = entry.body["id"]
        if (
            entry.full_url
            and rid
            and entry.method in ("POST", "PUT")
            and (entry.method == "PUT" or entry.body)
        ):
            ids[entry.full_url] = f"{rtype}/{rid}"


def _conditional_match(session: Session, actor: Actor, entry: Entry, rtype: str) -> str | None:
    request = interactions.if_none_exist(rtype, entry.if_none_exist)
    if request is None:
        return None
    found = record.search(session, actor=actor, request=request)
    if found.total > 1:
        raise PreconditionFailed(f"{entry.label}ifNoneExist matched {found.total} resources")
    if not found.versions:
        return None
    match = found.versions[0]
    entry.body = {}
    entry.response = _response(match, 200)
    return match.resource_id


def _response(version: Version, status: int, base: str = "") -> dict[str, Any]:
    response: dict[str, Any] = {
        "status": status_line(status),
        "etag": version.etag,
        "lastModified": format_instant(version.last_updated),
    }
    if status == 201:
        response["location"] = f"{version.resource_type}/{version.resource_id}/_history/{version.version}"
    return response


def _reading(session: Session, actor: Actor, entry: Entry) -> dict[str, Any]:
    """Store a device reading as `POST [base]/Observation` does: rules run, alerts raised, once per device
    and time (200 and the stored reading for a retry)."""
    reading = monitoring.record_fhir_observation(session, actor=actor, observation=entry.body or {})
    if reading is None:  # checked just before; kept honest if the stay closed in between
        raise Invalid("the reading's patient is no longer on a virtual ward")
    return {**_response(reading.version, 201 if reading.created else 200), "resource": reading.version.body}


def _labelled(entry: Entry, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return action()
    except JoinedupError as exc:
        if exc.detail.startswith("Bundle.entry"):
            raise
        raise type(exc)(entry.label + exc.detail) from None


def _other(session: Session, actor: Actor, entry: Entry, base: str) -> dict[str, Any]:
    """A PUT, DELETE or GET entry, answered as Bundle.entry.response."""
    rtype, rid = entry.type_and_id
    if entry.method == "PUT":
        if rid is None:
            raise BadRequest("a PUT needs Type/id as its url")
        outcome, body = interactions.update(
            session, actor, rtype, rid, entry.body or {}, base, entry.if_match
        )
    elif entry.method == "DELETE":
        outcome, body = interactions.delete(session, actor, rtype, rid or "")
    elif rid is None or "?" in entry.url:
        query = entry.url.partition("?")[2]
        outcome, body = interactions.search(
            session, actor, rtype, parse_qsl(query, keep_blank_values=True), base
        )
    else:
        outcome, body = interactions.read(session, actor, rtype, rid)
    response = _outcome_response(outcome)
    if body is not None and entry.method == "GET":
        response["resource"] = body
    return response


def _outcome_response(outcome: Outcome) -> dict[str, Any]:
    response: dict[str, Any] = {"status": status_line(outcome.status)}
    if outcome.location:
        response["location"] = outcome.location
    if outcome.etag:
        response["etag"] = outcome.etag
    if outcome.last_modified:
        response["lastModified"] = format_instant(outcome.last_modified)
    return response


def _reply(kind: str, entries: list[Entry], representation: bool) -> dict[str, Any]:
    out = []
    for entry in sorted(entries, key=lambda e: e.index):
        item: dict[str, Any] = {"response": {k: v for k, v in entry.response.items() if k != "resource"}}
        resource = entry.response.get("resource")
        if resource is not None and (representation or entry.method == "GET"):
            item["resource"] = resource
        out.append(item)
    return {"resourceType": "Bundle", "type": f"{kind}-response", "entry": out}


def _execute(session: Session, actor: Actor, entries: list[Entry], ids: dict[str, str], base: str) -> None:
    """Rewrite references, then run the entries in the spec's order (POSTs in one batch insert)."""
    for entry in entries:
        if entry.method == "PUT":
            entry.body = entry.resource
        if entry.body:
            entry.body = _labelled(entry, lambda e=entry: _rewrite(e.body, ids, base))  # type: ignore[misc]
    ordered = sorted(entries, key=lambda e: (ORDER[e.method], e.index))
    for entry in (e for e in ordered if e.method == "DELETE"):
        entry.response = _labelled(entry, lambda e=entry: _other(session, actor, e, base))  # type: ignore[misc]
    creates = [e for e in ordered if e.method == "POST" and e.body]
    for entry in creates:  # a device's vital sign of a patient on a virtual ward: through monitoring
        if entry.body and monitoring.is_monitored_fhir_reading(session, entry.body):
            entry.response = _labelled(entry, lambda e=entry: _reading(session, actor, e))  # type: ignore[misc]
    creates = [e for e in creates if not e.response]
    written = record.create_many(
        session,
        actor=actor,
        bodies=[e.body or {} for e in creates],
        keep_ids=True,
        labels=[e.label for e in creates],
    )
    for entry, result in zip(creates, written, strict=True):
        entry.response = {
            **_response(result.version, 201 if result.created else 200),
            "resource": result.version.body,
        }
    for entry in (e for e in ordered if e.method in ("PUT", "GET")):
        entry.response = _labelled(entry, lambda e=entry: _other(session, actor, e, base))  # type: ignore[misc]


def _transaction(session: Session, actor: Actor, entries: list[Entry], base: str) -> None:
    ids: dict[str, str] = {}
    _preassign(entries, ids)
    _assign_ids(session, actor, entries, ids)
    _execute(session, actor, entries, ids, base)


def _urns(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["reference"]} if str(value.get("reference", "")).startswith("urn:") else set()
        return found.union(*(_urns(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_urns(v) for v in value))
    return set()


def _dependencies_first(entries: list[Entry]) -> list[Entry]:
    """Batch entries in the spec's order, a POST after the entries whose urn:uuid it refers to."""
    ordered = sorted(entries, key=lambda e: (ORDER[e.method], e.index))
    placed: list[Entry] = []
    waiting = list(ordered)
    while waiting:
        urls = {e.full_url for e in waiting}
        ready = [e for e in waiting if not (_urns(e.resource) & urls) - {e.full_url}] or waiting[:1]
        placed.append(ready[0])
        waiting.remove(ready[0])
    return placed


def _batch(session: Session, actor: Actor, entries: list[Entry], base: str) -> None:
    ids: dict[str, str] = {}
    _preassign(entries, ids)
    for entry in _dependencies_first(entries):
        try:
            with session.begin_nested():
                _assign_ids(session, actor, [entry], ids)
                _execute(session, actor, [entry], ids, base)
        except JoinedupError as exc:
            entry.response = {"status": status_line(exc.status), "outcome": error_outcome(exc)}


def process(
    session: Session, actor: Actor, bundle: dict[str, Any], base: str, representation: bool = False
) -> tuple[Outcome, dict[str, Any]]:
    """POST [base] with a transaction or batch Bundle; the matching -response Bundle."""
    kind = _check_envelope(bundle)
    entries = _entries(bundle)
    if kind == "transaction":
        _transaction(session, actor, entries, base)
    else:
        _batch(session, actor, entries, base)
    return Outcome(200), _reply(kind, entries, representation)
