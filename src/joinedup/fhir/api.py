"""The FHIR R4 REST routes at /fhir/r4: thin adapters from HTTP to the interactions in `interactions`.

One route per type and interaction (not one catch-all), so the OpenAPI document lists each and other
areas may serve further types (AuditEvent) under the same base. Errors become OperationOutcomes in
`web.app`'s one handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response

from joinedup.errors import JoinedupError
from joinedup.fhir import audit_events, bundles, interactions
from joinedup.fhir.capability import capability_statement
from joinedup.fhir.interactions import Answer
from joinedup.fhir.outcome import FHIR_JSON, Outcome, operation_outcome
from joinedup.fhir.registry_views import REGISTRY_TYPES
from joinedup.fhir.search_params import STORED_TYPES
from joinedup.fhir.validation import parse_json
from joinedup.record.service import Actor
from joinedup.web.auth import Access
from joinedup.web.deps import DbSession

BASE_PATH = "/fhir/r4"
# Mounted at /fhir: the base itself (/fhir/r4, where Bundles are POSTed) needs a non-empty route path.
router = APIRouter(prefix="/r4", tags=["FHIR R4"])
public_router = APIRouter(prefix="/r4", tags=["FHIR R4"])


class MethodNotAllowed(JoinedupError):
    """The interaction exists in FHIR but not on this type here (a registry view is read-only)."""

    status = 405
    code = "not-supported"


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {FHIR_JSON: {"schema": {"type": "object"}}}}
    for status, text in {
        400: "Bad request (OperationOutcome)",
        401: "No or bad credentials",
        403: "Refused by the access policy",
        404: "Not found",
        409: "Conflict",
        410: "Deleted",
        412: "Version precondition failed",
        422: "Invalid resource",
    }.items()
}
RESOURCE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            FHIR_JSON: {"schema": {"type": "object"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


async def raw_body(request: Request) -> bytes:
    """The request body as sent (parsed by `validation.parse_json`, so malformed JSON is a FHIR 400)."""
    return await request.body()


Body = Annotated[bytes, Depends(raw_body)]


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + BASE_PATH


def actor_of(access: Access) -> Actor:
    return Actor(access.principal, access.break_glass_reason, access.request_id, access.source_address)


def _prefer(request: Request, key: str) -> str | None:
    for part in request.headers.get("prefer", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == key:
            return value.strip().strip('"').lower()
    return None


def respond(request: Request, answer: Answer) -> Response:
    """The FHIR response: status, Location/ETag/Last-Modified, and the body as Prefer: return= asks."""
    outcome, resource = answer
    if outcome.status == 204 or resource is None:
        return Response(status_code=outcome.status, headers=outcome.headers())
    wanted = _prefer(request, "return") if request.method in ("POST", "PUT") else None
    if wanted == "minimal":
        return Response(status_code=outcome.status, headers=outcome.headers())
    if wanted == "operationoutcome":
        resource = operation_outcome("information", "informational", f"{outcome.status}: done")
    content = orjson.dumps(resource)
    return Response(content, status_code=outcome.status, headers=outcome.headers(), media_type=FHIR_JSON)


@public_router.get("/metadata", responses=ERRORS)
def metadata(request: Request) -> Response:
    """The CapabilityStatement: what this FHIR R4 (4.0.1) server supports."""
    return respond(request, (Outcome(200), capability_statement(base_url(request))))


@router.get("/AuditEvent", responses=ERRORS)
def search_audit_events(request: Request, session: DbSession, access: Access) -> Response:
    """Search the audit log as AuditEvents (privacy officer; a patient for their own record)."""
    answer = audit_events.search(session, actor_of(access), _search_pairs(request), base_url(request))
    return respond(request, answer)


@router.get("/AuditEvent/{id}", responses=ERRORS)
def read_audit_event(request: Request, id: str, session: DbSession, access: Access) -> Response:
    """One audit log entry as a FHIR AuditEvent (IHE Basic Audit Log Patterns)."""
    return respond(request, audit_events.read(session, actor_of(access), id))


@router.post("", responses=ERRORS, openapi_extra=RESOURCE_BODY)
def transaction(request: Request, body: Body, session: DbSession, access: Access) -> Response:
    """Process a transaction (all or nothing) or batch Bundle; urn:uuid references are resolved."""
    bundle = parse_json(body)
    wanted = _prefer(request, "return") == "representation"
    answer = bundles.process(session, actor_of(access), bundle, base_url(request), representation=wanted)
    return respond(request, answer)


router.add_api_route("/", transaction, methods=["POST"], include_in_schema=False)


def _search_pairs(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


async def search_form(request: Request) -> list[tuple[str, str]]:
    """Search parameters from a form body (POST [type]/_search) and the query string together."""
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)] + _search_pairs(request)


SearchForm = Annotated[list[tuple[str, str]], Depends(search_form)]


def _add_type_routes(resource_type: str) -> None:
    """The routes of one resource type (registry views answer writes with 405)."""
    stored = resource_type in STORED_TYPES

    def search(request: Request, session: DbSession, access: Access) -> Response:
        strict = _prefer(request, "handling") != "lenient"
        answer = interactions.search(
            session, actor_of(access), resource_type, _search_pairs(request), base_url(request), strict
        )
        return respond(request, answer)

    def post_search(request: Request, session: DbSession, access: Access, pairs: SearchForm) -> Response:
        strict = _prefer(request, "handling") != "lenient"
        answer = interactions.search(
            session, actor_of(access), resource_type, pairs, base_url(request), strict
        )
        return respond(request, answer)

    def read(request: Request, id: str, session: DbSession, access: Access) -> Response:
        return respond(request, interactions.read(session, actor_of(access), resource_type, id))

    def create(
        request: Request,
        body: Body,
        session: DbSession,
        access: Access,
        if_none_exist: Annotated[str | None, Header()] = None,
    ) -> Response:
        _writable(stored, resource_type)
        answer = interactions.create(
            session, actor_of(access), resource_type, parse_json(body), base_url(request), if_none_exist
        )
        return respond(request, answer)

    def update(
        request: Request,
        id: str,
        body: Body,
        session: DbSession,
        access: Access,
        if_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        _writable(stored, resource_type)
        answer = interactions.update(
            session, actor_of(access), resource_type, id, parse_json(body), base_url(request), if_match
        )
        return respond(request, answer)

    def delete(request: Request, id: str, session: DbSession, access: Access) -> Response:
        _writable(stored, resource_type)
        return respond(request, interactions.delete(session, actor_of(access), resource_type, id))

    def history(request: Request, id: str, session: DbSession, access: Access) -> Response:
        _writable(stored, resource_type)
        answer = interactions.history(session, actor_of(access), resource_type, id, base_url(request))
        return respond(request, answer)

    def vread(request: Request, id: str, vid: str, session: DbSession, access: Access) -> Response:
        _writable(stored, resource_type)
        return respond(request, interactions.vread(session, actor_of(access), resource_type, id, vid))

    name = resource_type
    routes: list[tuple[str, str, Callable[..., Response], str, dict[str, Any] | None]] = [
        ("GET", "", search, f"Search {name} (see /metadata for the parameters).", None),
        ("POST", "/_search", post_search, f"Search {name} with the parameters in a form body.", None),
        ("POST", "", create, f"Create a {name} (conditional with If-None-Exist).", RESOURCE_BODY),
        ("GET", "/{id}", read, f"Read the current version of a {name}.", None),
        ("PUT", "/{id}", update, f"Update a {name} (version-checked with If-Match).", RESOURCE_BODY),
        ("DELETE", "/{id}", delete, f"Delete a {name} (its versions are kept).", None),
        ("GET", "/{id}/_history", history, f"Every version of a {name}, newest first.", None),
        ("GET", "/{id}/_history/{vid}", vread, f"One version of a {name}.", None),
    ]
    for method, suffix, endpoint, summary, extra in routes:
        endpoint.__doc__ = summary
        router.add_api_route(
            f"/{resource_type}{suffix}",
            endpoint,
            methods=[method],
            responses=ERRORS,
            openapi_extra=extra,
            operation_id=f"{method.lower()}_{resource_type}{_operation_suffix(suffix)}",
            include_in_schema=stored or (method == "GET" and "_history" not in suffix),
        )


def _operation_suffix(suffix: str) -> str:
    return suffix.replace("/", "_").replace("{", "").replace("}", "")


def _writable(stored: bool, resource_type: str) -> None:
    if not stored:
        raise MethodNotAllowed(f"{resource_type} is a read-only view of the registry")


for _type in STORED_TYPES + REGISTRY_TYPES:
    _add_type_routes(_type)
