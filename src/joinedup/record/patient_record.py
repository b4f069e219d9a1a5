"""Use cases behind the record pages: find a patient, show their whole record, record their sharing choice.

Each look is authorised and audited: finding by NHS number names the patient (403 without a legitimate
relationship, unless glass is broken); finding by name shows only patients the user may see; opening a
record is one audited read of the whole record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from joinedup.access.policy import Action
from joinedup.errors import Invalid, NotFound
from joinedup.fhir.search_query import parse_search
from joinedup.fhir.validation import nhs_number_of
from joinedup.record import nhs_number, storage
from joinedup.record.authorising import Actor, PatientContexts, check
from joinedup.record.service import create, patient_id_for, search
from joinedup.record.storage import Version
from joinedup.record.timeline import Series, TimelineEntry, timeline, vital_sign_series

RECORD_TYPES = ("EpisodeOfCare", "Encounter", "Observation", "CareTeam", "Consent", "Flag")
PRIVACY_SCOPE = {"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}
# LOINC 59284-0 "Patient Consent" is the category FHIR R4's consent examples use.
CONSENT_CATEGORY = {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}
MAX_FOUND = 50


@dataclass(frozen=True)
class PatientSummary:
    """What a list of patients shows about each."""

    patient_id: str
    nhs_number: str
    name: str
    birth_date: str
    gender: str
    practice_id: str | None

    @property
    def age(self) -> int | None:
        if not self.birth_date:
            return None
        born = date.fromisoformat(self.birth_date[:10])
        today = date.today()
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class PatientRecord:
    """The whole record as the timeline page shows it."""

    summary: PatientSummary
    patient: dict[str, Any]
    timeline: list[TimelineEntry]
    vital_signs: list[Series]
    observations: list[dict[str, Any]]
    care_teams: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    sharing_opt_out: bool


def summarise(patient: dict[str, Any]) -> PatientSummary:
    names = patient.get("name") or [{}]
    official = next((n for n in names if n.get("use") == "official"), names[0])
    name = " ".join([*official.get("given", []), official.get("family", "")]).strip()
    gp: dict[str, Any] = next(iter(patient.get("generalPractitioner") or []), {})
    reference = str(gp.get("reference", ""))
    return PatientSummary(
        patient_id=str(patient.get("id")),
        nhs_number=nhs_number.format_(nhs_number_of(patient) or "") if nhs_number_of(patient) else "",
        name=name or "(no name recorded)",
        birth_date=str(patient.get("birthDate", "")),
        gender=str(patient.get("gender", "")),
        practice_id=reference.split("/", 1)[1] if reference.startswith("Organization/") else None,
    )


def _is_nhs_number_like(text: str) -> bool:
    compact = text.replace(" ", "")
    return compact.isascii() and compact.isdigit()


def find_patients(session: Session, *, actor: Actor, text: str) -> list[PatientSummary]:
    """Patients by NHS number (Forbidden without a relationship) or by name (only those the user may see)."""
    wanted = text.strip()
    if not wanted:
        raise Invalid("Enter an NHS number or a name")
    if _is_nhs_number_like(wanted):
        if not nhs_number.is_valid(wanted):
            raise Invalid(f"{wanted} is not a valid NHS number (10 digits with a Modulus 11 check digit)")
        patient_id = patient_id_for(session, nhs_number=wanted)
        if patient_id is None:
            check(session, actor, Action.SEARCH, "Patient", None, None)
            return []
        request = parse_search("Patient", [("_id", patient_id)])
    else:
        request = parse_search("Patient", [("name", wanted), ("_sort", "family"), ("_count", str(MAX_FOUND))])
    result = search(session, actor=actor, request=request)
    return [summarise(v.body) for v in result.versions if v.body is not None]


def patient_record(session: Session, *, actor: Actor, nhs_number_text: str) -> PatientRecord:
    """The whole record of one patient (one audited read); Forbidden without a relationship."""
    patient_id = patient_id_for(session, nhs_number=nhs_number_text)
    patient = storage.current(session, "Patient", patient_id) if patient_id else None
    if patient is None or patient.body is None or patient.is_deleted:
        raise NotFound(f"No patient with NHS number {nhs_number_text}")
    contexts = PatientContexts.of_session(session)
    context = contexts.of(patient.resource_id)
    check(session, actor, Action.READ, "Patient", f"{patient.resource_id} (whole record)", context)
    resources = [v.body for v in storage.compartment(session, patient.resource_id, RECORD_TYPES) if v.body]
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    return PatientRecord(
        summary=summarise(patient.body),
        patient=patient.body,
        timeline=timeline(resources),
        vital_signs=vital_sign_series(observations),
        observations=sorted(observations, key=_effective, reverse=True),
        care_teams=[r for r in resources if r["resourceType"] == "CareTeam"],
        flags=[r for r in resources if r["resourceType"] == "Flag"],
        consents=[r for r in resources if r["resourceType"] == "Consent"],
        sharing_opt_out=bool(context and context.sharing_opt_out),
    )


def _effective(observation: dict[str, Any]) -> str:
    return str(observation.get("effectiveDateTime") or observation.get("effectiveInstant") or "")


def record_sharing_choice(
    session: Session, *, actor: Actor, nhs_number_text: str, opt_out: bool, note: str = ""
) -> Version:
    """Record the patient's choice about sharing their record as an active Consent (deny = opt out)."""
    patient_id = patient_id_for(session, nhs_number=nhs_number_text)
    if patient_id is None:
        raise NotFound(f"No patient with NHS number {nhs_number_text}")
    consent: dict[str, Any] = {
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [PRIVACY_SCOPE]},
        "category": [{"coding": [CONSENT_CATEGORY]}],
        "patient": {"reference": f"Patient/{patient_id}"},
        "dateTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "provision": {"type": "deny" if opt_out else "permit"},
    }
    if note.strip():
        consent["policyRule"] = {"text": note.strip()[:500]}
    return create(session, actor=actor, body=consent).version
