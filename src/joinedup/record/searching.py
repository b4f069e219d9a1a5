"""Search with access checks: a search that names patients is authorised for each of them (403 if not);
a wider search is narrowed to the patients the caller may see, and each patient shown is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from joinedup.access.policy import Action
from joinedup.errors import BadRequest
from joinedup.fhir.search_params import Ref, parameters_of
from joinedup.fhir.search_query import SearchRequest, named_patients
from joinedup.record import search, storage
from joinedup.record.authorising import Actor, PatientContexts, check, check_many, may
from joinedup.record.references import REGISTRY_TYPES
from joinedup.record.storage import Version

# A search that touches more patients than this must name a patient (or narrow itself) instead.
MAX_PATIENTS_PER_SEARCH = 1000


@dataclass(frozen=True)
class SearchResult:
    """One page of matches, the resources `_include` added, and registry resources to include by reference.

    `total` is the number of matches when `is_total_exact`; otherwise (every match was not counted: the
    request did not ask, and the page does not show the end) it is only a lower bound.
    """

    total: int
    versions: list[Version]
    included: list[Version]
    registry_refs: list[tuple[str, str]]
    has_more: bool = False  # a next page exists
    is_total_exact: bool = True


def _allowed_patients(
    session: Session, actor: Actor, request: SearchRequest, contexts: PatientContexts
) -> set[str]:
    check(session, actor, Action.SEARCH, request.resource_type, None, None)
    candidates = [
        p for p in search.patients_matching(session, request, limit=MAX_PATIENTS_PER_SEARCH + 1) if p
    ]
    if len(candidates) > MAX_PATIENTS_PER_SEARCH:
        raise BadRequest(
            f"this search reaches more than {MAX_PATIENTS_PER_SEARCH} patients: name a patient (patient=...) "
            "or narrow it"
        )
    contexts.preload(candidates)
    return {
        pid
        for pid in candidates
        if (ctx := contexts.of(pid)) is not None and may(actor, Action.SEARCH, request.resource_type, ctx)
    }


def _authorise_named(
    session: Session, actor: Actor, request: SearchRequest, named: set[str], contexts: PatientContexts
) -> set[str]:
    contexts.preload(named)
    existing = {pid for pid in named if contexts.of(pid) is not None}
    if not existing:
        check(session, actor, Action.SEARCH, request.resource_type, None, None)
    check_many(
        session,
        actor,
        Action.SEARCH,
        [(request.resource_type, None, contexts.of(p)) for p in sorted(existing)],
    )
    return existing


def run_search(session: Session, *, actor: Actor, request: SearchRequest) -> SearchResult:
    """A page of results the caller may see, with `_include`s, every patient shown in the audit log."""
    contexts = PatientContexts.of_session(session)
    named = named_patients(request)
    if named is not None:
        seen = _authorise_named(session, actor, request, named, contexts)
        patients = None
    else:
        seen = patients = _allowed_patients(session, actor, request, contexts)
    if request.summary_count or request.count == 0:
        return SearchResult(search.count(session, request, patients), [], [], [])
    found = search.page(session, request, patients, limit=request.count, offset=request.offset)
    versions = found.versions
    # The last page shows the total (unless it is past the end); otherwise every match is counted only
    # when the request asks.
    at_end = not found.has_more and (bool(versions) or request.offset == 0)
    if at_end:
        total, exact = request.offset + len(versions), True
    elif request.wants_total:
        total, exact = search.count(session, request, patients), True
    else:
        total, exact = (request.offset + len(versions) + found.has_more if versions else 0), False
    if named is None:
        shown = dict.fromkeys(v.patient_id for v in versions if v.patient_id)
        check_many(
            session, actor, Action.SEARCH, [(request.resource_type, None, contexts.of(p)) for p in shown]
        )
    included, registry_refs = _includes(session, request, versions, seen)
    return SearchResult(total, versions, included, registry_refs, found.has_more, exact)


def _includes(
    session: Session, request: SearchRequest, versions: list[Version], seen: set[str]
) -> tuple[list[Version], list[tuple[str, str]]]:
    """Resources named by `_include`: stored ones only if they belong to a patient already authorised."""
    params = parameters_of(request.resource_type)
    refs: dict[tuple[str, str], None] = {}
    for include in request.includes:
        for version in versions:
            for ref in params[include.param].extract(version.body or {}):
                if isinstance(ref, Ref) and include.target_type in (None, ref.target_type):
                    refs[(ref.target_type, ref.target_id)] = None
    included: list[Version] = []
    registry_refs: list[tuple[str, str]] = []
    for rtype, rid in refs:
        if rtype in REGISTRY_TYPES:
            registry_refs.append((rtype, rid))
            continue
        found = storage.current(session, rtype, rid)
        if found is not None and not found.is_deleted and found.patient_id in seen:
            included.append(found)
    return included, registry_refs
