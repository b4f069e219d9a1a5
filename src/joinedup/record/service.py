"""Shared care record use cases: every read, search and write of patient data is authorised and audited.

Other areas (the FHIR API, pages, monitoring, wards) use the record only through this module. Functions
add and flush, never commit. Each takes an `Actor`: who asks, their break-glass reason and request id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from joinedup.access.policy import Action, PatientContext
from joinedup.errors import BadRequest, Conflict, Invalid, NotFound, PreconditionFailed
from joinedup.fhir.search_params import STORED_TYPES, patient_of
from joinedup.fhir.search_query import SearchRequest, parse_search
from joinedup.fhir.validation import check_type, nhs_number_of
from joinedup.record import nhs_number as nhs_number_module
from joinedup.record import preparing, storage
from joinedup.record.authorising import Actor, PatientContexts, actor_named, check, check_many
from joinedup.record.context import TEAM_SYSTEM, context_from_body
from joinedup.record.models import StoredResource
from joinedup.record.references import check_references
from joinedup.record.searching import SearchResult, run_search
from joinedup.record.storage import NewResource, Version

__all__ = [
    "Actor", "Gone", "SearchResult", "Version", "Written", "actor_named", "check_reference_data", "create",
    "create_many",
    "delete", "history", "latest_observations", "new_id", "nhs_number_for", "patient_id_for", "read",
    "record_observation",
    "search", "update", "vread",
]  # fmt: skip


class Gone(NotFound):
    """The resource existed but was deleted (FHIR answers 410 Gone)."""

    status = 410
    code = "deleted"


@dataclass(frozen=True)
class Written:
    """A write's result: the version now current, and whether this request created it."""

    version: Version
    created: bool


def _live(session: Session, resource_type: str, resource_id: str) -> Version:
    found = storage.current(session, resource_type, resource_id)
    if found is None:
        raise NotFound(f"{resource_type}/{resource_id} does not exist")
    return found


def read(session: Session, *, actor: Actor, resource_type: str, resource_id: str) -> Version:
    """The current version; Gone (410) once deleted."""
    found = _live(session, resource_type, resource_id)
    contexts = PatientContexts.of_session(session)
    check(session, actor, Action.READ, resource_type, resource_id, contexts.of(found.patient_id))
    if found.is_deleted:
        raise Gone(f"{resource_type}/{resource_id} was deleted (version {found.version})")
    return found


def vread(session: Session, *, actor: Actor, resource_type: str, resource_id: str, version: int) -> Version:
    """One version, current or superseded."""
    current = _live(session, resource_type, resource_id)
    contexts = PatientContexts.of_session(session)
    check(session, actor, Action.READ, resource_type, resource_id, contexts.of(current.patient_id))
    found = storage.version_of(session, resource_type, resource_id, version)
    if found is None:
        raise NotFound(f"{resource_type}/{resource_id} has no version {version} (current: {current.version})")
    if found.is_deleted:
        raise Gone(f"version {version} of {resource_type}/{resource_id} is its deletion")
    return found


def history(session: Session, *, actor: Actor, resource_type: str, resource_id: str) -> list[Version]:
    """Every version of a resource, newest first (deletions included)."""
    row = storage.current_row(session, resource_type, resource_id)
    if row is None:
        raise NotFound(f"{resource_type}/{resource_id} does not exist")
    contexts = PatientContexts.of_session(session)
    check(session, actor, Action.READ, resource_type, resource_id, contexts.of(row.patient_id))
    return storage.all_versions(session, row)


def _preload_patients(bodies: Sequence[dict[str, Any]], contexts: PatientContexts) -> None:
    """Look up, in one go, the contexts of the stored patients the bodies belong to (not new ones)."""
    new_patients = {b["id"] for b in bodies if b["resourceType"] == "Patient"}
    contexts.preload([p for b in bodies if (p := patient_of(b)) and p not in new_patients])


def _patient_contexts(
    session: Session, bodies: Sequence[dict[str, Any]], created_by: str | None, contexts: PatientContexts
) -> list[PatientContext | None]:
    """Each body's patient context; patients created in the same batch are judged from their own body.
    Stored patients' contexts come from `contexts` (create_many preloads them, for its reference check)."""
    new_patients = {b["id"]: b for b in bodies if b["resourceType"] == "Patient"}
    result = []
    for body in bodies:
        pid = patient_of(body)
        if pid is not None and pid in new_patients and contexts.known.get(pid) is None:
            contexts.known[pid] = context_from_body(session, new_patients[pid], created_by, contexts.lookup)
        result.append(contexts.of(pid))
    return result


def _check_groups(
    session: Session,
    actor: Actor,
    action: Action,
    items: Sequence[tuple[str, str, PatientContext | None]],
) -> None:
    """One decision and audit entry per resource type and patient (IHE BALP: one event per patient per
    request), naming the resource, or the first and how many more."""
    groups: dict[tuple[str, str | None], list[str]] = {}
    contexts: dict[str | None, PatientContext | None] = {}
    for resource_type, resource_id, patient in items:
        number = patient.nhs_number if patient is not None else None
        groups.setdefault((resource_type, number), []).append(resource_id)
        contexts[number] = patient
    named = {
        key: ids[0] if len(ids) == 1 else f"{ids[0]} and {len(ids) - 1} more" for key, ids in groups.items()
    }
    check_many(session, actor, action, [(rtype, named[rtype, n], contexts[n]) for rtype, n in groups])


def create_many(
    session: Session,
    *,
    actor: Actor,
    bodies: Sequence[dict[str, Any]],
    keep_ids: bool = False,
    labels: Sequence[str] | None = None,
    contexts: PatientContexts | None = None,
) -> list[Written]:
    """Validate, authorise, audit and store a batch of new resources; all or nothing.

    With `keep_ids` the bodies carry ids assigned by the caller (a transaction Bundle resolving urn:uuid).
    A device reading already stored under its idempotency key (or sent twice in one batch) is stored once.
    `contexts`: patient contexts already looked up (`create_care_team_stay` passes the one it creates).
    """
    now = datetime.now(UTC)
    names = labels or [""] * len(bodies)
    prepared = [preparing.prepare(b, None, names[i]) for i, b in enumerate(bodies)]
    for body in prepared:
        body["id"] = preparing.check_id(body["id"]) if keep_ids and body.get("id") else preparing.new_id()
    keys = [preparing.idempotency_key(b) for b in prepared]
    already = storage.by_idempotency_key(session, "Observation", [k for k in keys if k])
    first_of_key: dict[str, int] = {}
    fresh = []
    for i, key in enumerate(keys):
        if key is None or (key not in already and key not in first_of_key):
            fresh.append(i)
            if key is not None:
                first_of_key[key] = i
    bodies_new = [prepared[i] for i in fresh]
    pending = {(b["resourceType"], b["id"]) for b in bodies_new}
    contexts = contexts or PatientContexts.of_session(session)
    # The patients' contexts are needed anyway; a patient that has one is a live Patient, so references to
    # it need no query of their own.
    _preload_patients(bodies_new, contexts)
    live = {("Patient", pid) for pid, context in contexts.known.items() if context is not None}
    check_references(session, bodies_new, pending | live, [names[i] for i in fresh])
    preparing.check_nhs_numbers(session, [b for b in bodies_new if b["resourceType"] == "Patient"])
    org = actor.principal.organisation_ods
    patients = _patient_contexts(session, bodies_new, org, contexts)
    _check_groups(
        session,
        actor,
        Action.CREATE,
        [
            (body["resourceType"], body["id"], patient)
            for body, patient in zip(bodies_new, patients, strict=True)
        ],
    )
    retried = [already[k] for k in dict.fromkeys(keys) if k is not None and k in already]
    _check_groups(
        session,
        actor,
        Action.READ,
        [("Observation", v.resource_id, contexts.of(v.patient_id)) for v in retried],
    )
    stored = storage.insert_new(
        session,
        [NewResource(prepared[i], patient_of(prepared[i]), org, keys[i]) for i in fresh],
        now,
    )
    by_index = dict(zip(fresh, stored, strict=True))
    written = []
    for i, key in enumerate(keys):
        if i in by_index:
            written.append(Written(by_index[i], True))
        elif key is not None and key in already:
            written.append(Written(already[key], False))
        else:
            written.append(Written(by_index[first_of_key[str(key)]], False))
    return written


def create_care_team_stay(
    session: Session, *, actor: Actor, patient_id: str, team_id: str, bodies: Sequence[dict[str, Any]]
) -> list[Written]:
    """Create the CareTeam (and EpisodeOfCare) that put a patient on registry team `team_id`'s caseload.

    A member of that team (a virtual-ward nurse admitting to her own ward) is authorised as she will be once
    the CareTeam exists: the admission is what gives her the legitimate relationship. Anyone else is
    authorised on the relationships the patient already has. Every write is audited as usual.
    """
    names_team = any(
        b.get("resourceType") == "CareTeam"
        and any(
            (p.get("member") or {}).get("identifier") == {"system": TEAM_SYSTEM, "value": team_id}
            for p in b.get("participant") or []
        )
        for b in bodies
    )
    contexts = PatientContexts.of_session(session)
    patient = contexts.of(patient_id)
    if patient is None:
        raise NotFound(f"no Patient/{patient_id} in the shared care record")
    if names_team and team_id in actor.principal.team_ids:
        joined = dataclasses.replace(patient, care_team_ids=patient.care_team_ids | {team_id})
        contexts.known[patient_id] = joined
    return create_many(session, actor=actor, bodies=bodies, keep_ids=True, contexts=contexts)


def create(
    session: Session,
    *,
    actor: Actor,
    body: dict[str, Any],
    resource_type: str | None = None,
    if_none_exist: SearchRequest | None = None,
) -> Written:
    """Create one resource; with `if_none_exist`, return the one match instead (412 if several match)."""
    if if_none_exist is not None:
        preparing.prepare(body, resource_type)
        matches = run_search(session, actor=actor, request=if_none_exist)
        if matches.total and matches.total > 1:
            raise PreconditionFailed(
                f"If-None-Exist matched {matches.total} resources; it must match one or none"
            )
        if matches.versions:
            return Written(matches.versions[0], False)
    if resource_type is not None:
        check_type(body, resource_type, STORED_TYPES)
    return create_many(session, actor=actor, bodies=[{**body, "id": None}])[0]


def record_observation(session: Session, *, actor: Actor, observation: dict[str, Any]) -> Written:
    """Store one Observation (a device reading: stored once however often it is retried)."""
    preparing.prepare(observation, "Observation")
    try:
        with session.begin_nested():
            return create_many(session, actor=actor, bodies=[{**observation, "id": None}])[0]
    except IntegrityError:
        # The same reading arrived on two connections at once; the other one stored it.
        key = preparing.idempotency_key(observation)
        existing = storage.by_idempotency_key(session, "Observation", [key] if key else [])
        if key is None or key not in existing:
            raise
        return Written(existing[key], False)


def update(
    session: Session,
    *,
    actor: Actor,
    resource_type: str,
    resource_id: str,
    body: dict[str, Any],
    if_match: int | None = None,
) -> Written:
    """Replace a resource (version checked against If-Match); a new id with no row is created as given."""
    if body.get("id") != resource_id:
        raise BadRequest(
            f"the resource's id ({body.get('id')!r}) must match the id in the URL ({resource_id!r})"
        )
    row = storage.current_row(session, resource_type, preparing.check_id(resource_id), lock=True)
    if row is None:
        if if_match is not None:
            raise PreconditionFailed(f"{resource_type}/{resource_id} does not exist, so If-Match cannot hold")
        prepared = preparing.prepare(body, resource_type)
        return create_many(session, actor=actor, bodies=[prepared], keep_ids=True)[0]
    if if_match is not None and row.version != if_match:
        raise PreconditionFailed(
            f"{resource_type}/{resource_id} is at version {row.version}, not {if_match}: "
            "read it again and retry"
        )
    prepared = preparing.prepare(body, resource_type)
    check_references(session, [prepared])
    if resource_type == "Patient":
        preparing.check_nhs_numbers(session, [prepared])
    contexts = PatientContexts.of_session(session)
    check(session, actor, Action.UPDATE, resource_type, resource_id, contexts.of(row.patient_id))
    new_patient = patient_of(prepared)
    if new_patient != row.patient_id:
        check(session, actor, Action.UPDATE, resource_type, resource_id, contexts.of(new_patient))
        row.patient_id = new_patient
    row.idempotency_key = preparing.idempotency_key(prepared)
    return Written(storage.supersede(session, row, prepared, datetime.now(UTC)), False)


def delete(session: Session, *, actor: Actor, resource_type: str, resource_id: str) -> Version:
    """Delete a resource (kept in history); a Patient with other records still pointing at it cannot go."""
    row = storage.current_row(session, resource_type, resource_id, lock=True)
    if row is None:
        raise NotFound(f"{resource_type}/{resource_id} does not exist")
    contexts = PatientContexts.of_session(session)
    check(session, actor, Action.DELETE, resource_type, resource_id, contexts.of(row.patient_id))
    if row.is_deleted:
        return storage.all_versions(session, row)[0]
    if resource_type == "Patient":
        other = session.scalars(
            select(StoredResource.resource_type + "/" + StoredResource.resource_id)
            .where(
                StoredResource.patient_id == resource_id,
                StoredResource.resource_type != "Patient",
                StoredResource.is_deleted.is_(False),
            )
            .limit(1)
        ).first()
        if other is not None:
            raise Conflict(f"Patient/{resource_id} cannot be deleted while {other} refers to it")
    return storage.supersede(session, row, None, datetime.now(UTC))


def search(session: Session, *, actor: Actor, request: SearchRequest) -> SearchResult:
    """Matches the caller may see: a search naming a patient is refused (403) without a relationship;
    a wider search leaves out patients the caller may not see."""
    return run_search(session, actor=actor, request=request)


def check_reference_data(
    session: Session, *, actor: Actor, resource_type: str, action: Action = Action.READ
) -> None:
    """Authorise and audit a look at registry views (Organization, Location): no patient involved."""
    check(session, actor, action, resource_type, None, None)


def new_id() -> str:
    """A fresh server-assigned id, for a caller that must know it before storing (a transaction Bundle)."""
    return preparing.new_id()


def patient_id_for(session: Session, *, nhs_number: str) -> str | None:
    """The FHIR id of the patient with this NHS number (None if the record has none); reads no record."""
    try:
        number = nhs_number_module.normalise(nhs_number)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    return storage.patient_id_by_nhs_number(session, number)


def latest_observations(
    session: Session, *, actor: Actor, nhs_number: str, codes: Sequence[str] = (), limit: int = 100
) -> list[dict[str, Any]]:
    """The patient's newest Observations (of these LOINC codes, if given), newest first; authorised and
    audited like any search. NotFound when no patient has this NHS number."""
    patient_id = patient_id_for(session, nhs_number=nhs_number)
    if patient_id is None:
        raise NotFound(f"no patient with NHS number {nhs_number}")
    pairs = [("patient", patient_id), ("_sort", "-date"), ("_count", str(limit))]
    if codes:
        pairs.append(("code", ",".join(f"http://loinc.org|{code}" for code in codes)))
    result = search(session, actor=actor, request=parse_search("Observation", pairs))
    return [v.body for v in result.versions if v.body is not None]


def nhs_number_for(session: Session, *, patient_id: str) -> str | None:
    """The NHS number of a stored patient (an identifier mapping: reads no clinical data), or None."""
    found = storage.current(session, "Patient", patient_id)
    return nhs_number_of(found.body) if found is not None and found.body is not None else None
