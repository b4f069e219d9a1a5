"""Build the access policy's PatientContext from a patient's record: practice, care teams, episodes, consent.

Care teams name their members as Organization references or as logical references by identifier:
`USERNAME_SYSTEM` for a joinedup user and `TEAM_SYSTEM` for a registry team (a virtual-ward team).
A sharing opt-out is the patient's latest active Consent of scope `patient-privacy` with provision deny.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from joinedup.access.policy import PatientContext
from joinedup.db import read_rows
from joinedup.fhir.search_params import elements, parse_reference
from joinedup.fhir.validation import NHS_NUMBER_SYSTEM, ODS_ORGANISATION_SYSTEM, nhs_number_of
from joinedup.record.models import StoredResource
from joinedup.registry import service as registry

USERNAME_SYSTEM = "urn:joinedup:username"  # as access.fhir_audit_event names users
TEAM_SYSTEM = "urn:joinedup:team"  # a registry team id
OPEN_EPISODE = frozenset({"planned", "waitlist", "active", "onhold"})
OPEN_ENCOUNTER = frozenset({"arrived", "triaged", "in-progress", "onleave"})
CONTEXT_TYPES = ("CareTeam", "EpisodeOfCare", "Encounter", "Consent")

__all__ = [
    "NHS_NUMBER_SYSTEM",
    "TEAM_SYSTEM",
    "USERNAME_SYSTEM",
    "OdsLookup",
    "context_from_body",
    "contexts_for",
]


class OdsLookup:
    """Registry organisation id → ODS code, asked once per id per request (`preload`: many in one query)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[str, str | None] = {}

    def preload(self, bodies: Iterable[Any]) -> None:
        """Look up, in one query, every Organization the bodies refer to that is not known yet."""
        ids = _organisation_ids(bodies) - self.known.keys()
        if ids:
            self.known.update(registry.ods_codes(self.session, ids))

    def ods(self, reference: Mapping[str, Any] | None) -> str | None:
        """The ODS code an Organization reference names (by registry id or by ODS identifier)."""
        if not isinstance(reference, Mapping):
            return None
        ident = reference.get("identifier")
        if isinstance(ident, Mapping) and ident.get("system") == ODS_ORGANISATION_SYSTEM:
            value = ident.get("value")
            return value.upper() if isinstance(value, str) else None
        ref = parse_reference(str(reference.get("reference", "")))
        if ref is None or ref.target_type != "Organization":
            return None
        if ref.target_id not in self.known:
            org = registry.get_organisation(self.session, ref.target_id)
            self.known[ref.target_id] = org.ods_code if org is not None else None
        return self.known[ref.target_id]


def _organisation_ids(bodies: Iterable[Any]) -> set[str]:
    """The ids of every `Organization/...` reference anywhere in the bodies (parsed JSON: dicts and lists,
    tested by exact type because this walks every body of a batch's patients; anything else is left to
    `OdsLookup.ods`, which looks up what was not preloaded)."""
    found: set[str] = set()
    stack = list(bodies)
    while stack:
        value = stack.pop()
        if type(value) is dict:
            reference = value.get("reference")
            if type(reference) is str and "Organization/" in reference:
                ref = parse_reference(reference)
                if ref is not None and ref.target_type == "Organization":
                    found.add(ref.target_id)
            stack += [v for v in value.values() if type(v) is dict or type(v) is list]
        elif type(value) is list:
            stack += value
    return found


def _identifiers(team: Mapping[str, Any], system: str) -> set[str]:
    return {
        str(i["value"])
        for i in elements(team, "participant.member.identifier")
        if isinstance(i, Mapping) and i.get("system") == system and i.get("value")
    }


def _collect(
    patient: Mapping[str, Any],
    resources: Sequence[Mapping[str, Any]],
    holders: set[str],
    created_by: str | None,
    lookup: OdsLookup,
) -> PatientContext:
    team_orgs: set[str | None] = set()
    usernames: set[str] = set()
    team_ids: set[str] = set()
    episode_orgs: set[str | None] = set()
    for body in resources:
        kind, status = body.get("resourceType"), body.get("status")
        if kind == "CareTeam" and status == "active":
            team_orgs.update(lookup.ods(m) for m in body.get("managingOrganization") or [])
            team_orgs.update(lookup.ods(m) for m in elements(body, "participant.member"))
            usernames |= _identifiers(body, USERNAME_SYSTEM)
            team_ids |= _identifiers(body, TEAM_SYSTEM)
        elif kind == "EpisodeOfCare" and status in OPEN_EPISODE:
            episode_orgs.add(lookup.ods(body.get("managingOrganization")))
        elif kind == "Encounter" and status in OPEN_ENCOUNTER:
            episode_orgs.add(lookup.ods(body.get("serviceProvider")))
    practices = [lookup.ods(gp) for gp in patient.get("generalPractitioner") or []]
    return PatientContext(
        nhs_number=nhs_number_of(patient) or "",
        registered_practice_ods=next((p for p in practices if p), None),
        care_team_org_ods=frozenset(o for o in team_orgs if o),
        care_team_usernames=frozenset(usernames),
        open_episode_org_ods=frozenset(o for o in episode_orgs if o),
        created_by_org_ods=created_by,
        sharing_opt_out=_opted_out(_privacy(resources)),
        data_holder_org_ods=frozenset(holders),
        care_team_ids=frozenset(team_ids),
    )


def _is_privacy(consent: Mapping[str, Any]) -> bool:
    return any(
        c.get("code") == "patient-privacy"
        for c in elements(consent, "scope.coding")
        if isinstance(c, Mapping)
    )


def _opted_out(consents: list[Mapping[str, Any]]) -> bool:
    if not consents:
        return False
    latest = max(
        consents, key=lambda c: (str(c.get("dateTime", "")), str(c.get("meta", {}).get("lastUpdated", "")))
    )
    provision = latest.get("provision")
    return isinstance(provision, Mapping) and provision.get("type") == "deny"


def _privacy(bodies: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [
        b
        for b in bodies
        if b.get("resourceType") == "Consent" and b.get("status") == "active" and _is_privacy(b)
    ]


def _data_holders(session: Session, patient_ids: list[str]) -> dict[str, set[str]]:
    """Organisations holding each patient's data; asked only for patients who opted out (the only use)."""
    holders: dict[str, set[str]] = defaultdict(set)
    if not patient_ids:
        return holders
    R = StoredResource
    query = select(R.patient_id, R.created_by_org).where(R.patient_id.in_(patient_ids)).distinct()
    for patient_id, org in session.execute(query):
        if patient_id is not None and org:
            holders[patient_id].add(org)
    return holders


# Built once: this runs on every read and write of patient data.
ContextRow = tuple[str | None, str, dict[str, Any] | None, str | None]
_R = StoredResource
_CONTEXT_ROWS = select(_R.patient_id, _R.resource_type, _R.body, _R.created_by_org).where(
    _R.patient_id.in_(bindparam("patient_ids", expanding=True)),
    _R.resource_type.in_(("Patient", *CONTEXT_TYPES)),
    _R.is_deleted.is_(False),
)


def contexts_for(
    session: Session, patient_ids: Iterable[str], lookup: OdsLookup | None = None
) -> dict[str, PatientContext]:
    """The PatientContext of each existing patient id: one query (two if someone opted out)."""
    wanted = sorted(set(patient_ids))
    if not wanted:
        return {}
    lookup = lookup or OdsLookup(session)
    rows = cast(Iterable[ContextRow], read_rows(session, _CONTEXT_ROWS, {"patient_ids": wanted}))
    patients: dict[str, tuple[Mapping[str, Any], str | None]] = {}
    related: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for patient_id, resource_type, body, created_by in rows:
        if patient_id is None or body is None:
            continue
        if resource_type == "Patient":
            patients[patient_id] = (body, created_by)
        else:
            related[patient_id].append(body)
    holders = _data_holders(session, [p for p in patients if _opted_out(_privacy(related[p]))])
    lookup.preload([*(body for body, _ in patients.values()), *related.values()])
    return {
        pid: _collect(body, related[pid], holders[pid], created_by, lookup)
        for pid, (body, created_by) in patients.items()
    }


def context_from_body(
    session: Session, patient: Mapping[str, Any], created_by: str | None, lookup: OdsLookup | None = None
) -> PatientContext:
    """The context of a patient not stored yet (being created), from the Patient resource alone."""
    holders = {created_by} if created_by else set()
    lookup = lookup or OdsLookup(session)
    lookup.preload([patient])
    return _collect(patient, [], holders, created_by, lookup)
