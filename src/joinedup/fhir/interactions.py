"""The FHIR R4 RESTful interactions (https://hl7.org/fhir/R4/http.html) as small functions.

Each takes the session, the actor and plain values, and returns (Outcome, resource): no web framework in
here, so every interaction is tested without HTTP. `base` is the service base URL used in links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy.orm import Session

from joinedup.access.policy import Action
from joinedup.errors import BadRequest, NotFound
from joinedup.fhir import registry_views
from joinedup.fhir.datetimes import format_instant
from joinedup.fhir.outcome import Outcome, parse_etag, status_line, version_outcome
from joinedup.fhir.search_params import STORED_TYPES
from joinedup.fhir.search_query import SearchRequest, parse_search
from joinedup.fhir.validation import check_type
from joinedup.monitoring import service as monitoring
from joinedup.record import service as record
from joinedup.record.service import Actor, SearchResult, Version

Answer = tuple[Outcome, dict[str, Any] | None]
SERVED_TYPES = STORED_TYPES + registry_views.REGISTRY_TYPES


def served_type(resource_type: str) -> str:
    """The type named in the URL, if joinedup serves it; NotFound otherwise."""
    if resource_type not in SERVED_TYPES:
        raise NotFound(f"joinedup does not serve {resource_type!r} (served: {', '.join(SERVED_TYPES)})")
    return resource_type


def _stored_type(resource_type: str, interaction: str) -> str:
    if served_type(resource_type) in registry_views.REGISTRY_TYPES:
        raise BadRequest(
            f"{resource_type} is a read-only view of the registry: {interaction} is not supported"
        )
    return resource_type


def read(session: Session, actor: Actor, resource_type: str, resource_id: str) -> Answer:
    """GET [base]/[type]/[id]"""
    if served_type(resource_type) in registry_views.REGISTRY_TYPES:
        record.check_reference_data(session, actor=actor, resource_type=resource_type)
        return Outcome(200), registry_views.read(session, resource_type, resource_id)
    version = record.read(session, actor=actor, resource_type=resource_type, resource_id=resource_id)
    return version_outcome(version, ""), version.body


def vread(session: Session, actor: Actor, resource_type: str, resource_id: str, version_id: str) -> Answer:
    """GET [base]/[type]/[id]/_history/[vid]"""
    if not (version_id.isascii() and version_id.isdigit()):
        raise NotFound(f"{resource_type}/{resource_id} has no version {version_id!r} (versions are numbers)")
    found = record.vread(
        session,
        actor=actor,
        resource_type=_stored_type(resource_type, "vread"),
        resource_id=resource_id,
        version=int(version_id),
    )
    return version_outcome(found, ""), found.body


def _history_entry(version: Version, base: str) -> dict[str, Any]:
    url = f"{base}/{version.resource_type}/{version.resource_id}"
    entry: dict[str, Any] = {"fullUrl": url}
    if version.body is not None:
        entry["resource"] = version.body
    entry["request"] = {
        "method": version.method,
        "url": url[len(base) + 1 :] if version.method != "POST" else version.resource_type,
    }
    status = 201 if version.version == 1 else 204 if version.is_deleted else 200
    modified = format_instant(version.last_updated)
    entry["response"] = {"status": status_line(status), "etag": version.etag, "lastModified": modified}
    return entry


def history(session: Session, actor: Actor, resource_type: str, resource_id: str, base: str) -> Answer:
    """GET [base]/[type]/[id]/_history: every version, newest first."""
    versions = record.history(
        session, actor=actor, resource_type=_stored_type(resource_type, "history"), resource_id=resource_id
    )
    bundle = {
        "resourceType": "Bundle",
        "type": "history",
        "total": len(versions),
        "entry": [_history_entry(v, base) for v in versions],
    }
    return Outcome(200), bundle


def if_none_exist(resource_type: str, query: str | None) -> SearchRequest | None:
    """The search an If-None-Exist header asks for (`identifier=system|value`), or None."""
    if query is None or not query.strip():
        return None
    pairs = parse_qsl(query.strip().lstrip("?"), keep_blank_values=True)
    if not pairs:
        raise BadRequest(f"If-None-Exist {query!r} is not a search query such as identifier=system|value")
    # "Matched more than one" names how many.
    return replace(parse_search(resource_type, pairs), total="accurate")


def create(
    session: Session,
    actor: Actor,
    resource_type: str,
    body: dict[str, Any],
    base: str,
    if_none_exist_header: str | None = None,
) -> Answer:
    """POST [base]/[type], conditional with If-None-Exist (200 and the match when one exists)."""
    _stored_type(resource_type, "create")
    check_type(body, resource_type, SERVED_TYPES)
    # A device's vital sign for a patient on a virtual ward goes through monitoring, so its rules run.
    if resource_type == "Observation" and (
        reading := monitoring.record_fhir_observation(session, actor=actor, observation=body)
    ):
        return version_outcome(reading.version, base, 201 if reading.created else 200), reading.version.body
    written = record.create(
        session,
        actor=actor,
        body=body,
        resource_type=resource_type,
        if_none_exist=if_none_exist(resource_type, if_none_exist_header),
    )
    outcome = version_outcome(written.version, base, 201 if written.created else 200)
    return outcome, written.version.body


def update(
    session: Session,
    actor: Actor,
    resource_type: str,
    resource_id: str,
    body: dict[str, Any],
    base: str,
    if_match: str | None = None,
) -> Answer:
    """PUT [base]/[type]/[id], version-checked with If-Match; creates the resource when the id is new."""
    _stored_type(resource_type, "update")
    check_type(body, resource_type, SERVED_TYPES)
    written = record.update(
        session,
        actor=actor,
        resource_type=resource_type,
        resource_id=resource_id,
        body=body,
        if_match=parse_etag(if_match),
    )
    return version_outcome(written.version, base, 201 if written.created else 200), written.version.body


def delete(session: Session, actor: Actor, resource_type: str, resource_id: str) -> Answer:
    """DELETE [base]/[type]/[id]: the resource is gone from reads and searches; its versions are kept."""
    version = record.delete(
        session, actor=actor, resource_type=_stored_type(resource_type, "delete"), resource_id=resource_id
    )
    return Outcome(204, etag=version.etag), None


def _page_link(base: str, resource_type: str, pairs: Sequence[tuple[str, str]], offset: int | None) -> str:
    kept = [(k, v) for k, v in pairs if k != "_offset"]
    if offset:
        kept.append(("_offset", str(offset)))
    query = urlencode(kept)
    return f"{base}/{resource_type}" + (f"?{query}" if query else "")


def _links(
    base: str, request: SearchRequest, pairs: Sequence[tuple[str, str]], result: SearchResult
) -> list[dict[str, str]]:
    rtype, count, offset, total = request.resource_type, request.count, request.offset, result.total
    links = [{"relation": "self", "url": _page_link(base, rtype, pairs, offset)}]
    if count and not request.summary_count:
        links.append({"relation": "first", "url": _page_link(base, rtype, pairs, 0)})
        if offset > 0:
            links.append(
                {"relation": "previous", "url": _page_link(base, rtype, pairs, max(0, offset - count))}
            )
        if result.has_more:
            links.append({"relation": "next", "url": _page_link(base, rtype, pairs, offset + count)})
        if result.is_total_exact:  # the last page is known only from the total
            last = ((total - 1) // count) * count if total else 0
            links.append({"relation": "last", "url": _page_link(base, rtype, pairs, last)})
    return links


def _entry(resource: dict[str, Any], base: str, mode: str) -> dict[str, Any]:
    url = f"{base}/{resource['resourceType']}/{resource['id']}"
    return {"fullUrl": url, "resource": resource, "search": {"mode": mode}}


def search(
    session: Session,
    actor: Actor,
    resource_type: str,
    pairs: Sequence[tuple[str, str]],
    base: str,
    strict: bool = True,
) -> Answer:
    """GET [base]/[type]?params: a searchset Bundle with paging links, `_include`s and `_summary=count`."""
    if served_type(resource_type) in registry_views.REGISTRY_TYPES:
        record.check_reference_data(session, actor=actor, resource_type=resource_type, action=Action.SEARCH)
        found = registry_views.search(
            session, resource_type, [(k, v) for k, v in pairs if k not in ("_count",)]
        )
        views = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "link": [{"relation": "self", "url": _page_link(base, resource_type, pairs, None)}],
            "entry": [_entry(r, base, "match") for r in found],
        }
        return Outcome(200), views
    request = parse_search(resource_type, pairs, strict=strict)
    result = record.search(session, actor=actor, request=request)
    entries = [_entry(v.body, base, "match") for v in result.versions if v.body is not None]
    entries += [_entry(v.body, base, "include") for v in result.included if v.body is not None]
    for rtype, rid in result.registry_refs:
        try:
            entries.append(_entry(registry_views.read(session, rtype, rid), base, "include"))
        except NotFound:
            continue
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if result.is_total_exact:  # optional in a searchset: counted only when asked (docs/fhir.md)
        bundle["total"] = result.total
    bundle["link"] = _links(base, request, pairs, result)
    if not request.summary_count:
        bundle["entry"] = entries
    return Outcome(200), bundle
