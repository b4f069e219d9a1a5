"""The search parameters joinedup supports, per resource type, and how each is read out of a resource.

Names, types and expressions follow the FHIR R4 search parameter registry
(https://hl7.org/fhir/R4/searchparameter-registry.html); `status` on Flag and `code` on Flag are ours,
marked so in their documentation. The `patient` parameters are answered from the patient compartment
column that every stored resource carries, so they need no index rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from joinedup.fhir.extractors import (
    Extractor,
    IndexValue,
    ParamKind,
    Quantity,
    Ref,
    Resource,
    Token,
    choice_date,
    code,
    codeable,
    coding,
    date,
    elements,
    fold,
    identifier,
    parse_reference,
    period,
    quantity,
    reference,
    string,
)

__all__ = [
    "IndexValue", "Quantity", "Ref", "SearchParameter", "Token", "elements", "fold", "index_values",
    "parameters_of", "parse_reference", "patient_of",
]  # fmt: skip


@dataclass(frozen=True)
class SearchParameter:
    """One search parameter: its FHIR name, type and expression, and how to read its values."""

    name: str
    kind: ParamKind
    expression: str
    documentation: str
    extract: Extractor
    targets: tuple[str, ...] = ()
    # True: answered from the resource's patient compartment column rather than an index table.
    compartment: bool = False


def _patient(path: str, expression: str) -> SearchParameter:
    return SearchParameter(
        "patient",
        "reference",
        expression,
        "The patient the resource is about",
        reference(path),
        ("Patient",),
        True,
    )


NAME_PARTS = ("name.family", "name.given", "name.text", "name.prefix", "name.suffix")

PARAMETERS: dict[str, tuple[SearchParameter, ...]] = {
    "Patient": (
        SearchParameter(
            "identifier",
            "token",
            "Patient.identifier",
            "A patient identifier (NHS number: https://fhir.nhs.uk/Id/nhs-number|9990000018)",
            identifier("identifier"),
        ),
        SearchParameter(
            "name",
            "string",
            "Patient.name",
            "Any part of a name (starts with, any case)",
            string(*NAME_PARTS),
        ),
        SearchParameter(
            "family",
            "string",
            "Patient.name.family",
            "Family name (starts with, any case)",
            string("name.family"),
        ),
        SearchParameter(
            "given",
            "string",
            "Patient.name.given",
            "Given name (starts with, any case)",
            string("name.given"),
        ),
        SearchParameter("birthdate", "date", "Patient.birthDate", "Date of birth", date("birthDate")),
        SearchParameter(
            "gender", "token", "Patient.gender", "male | female | other | unknown", code("gender")
        ),
        SearchParameter(
            "general-practitioner",
            "reference",
            "Patient.generalPractitioner",
            "The registered GP practice (Organization)",
            reference("generalPractitioner"),
            ("Organization",),
        ),
        SearchParameter(
            "address-postcode",
            "string",
            "Patient.address.postalCode",
            "Postcode (starts with)",
            string("address.postalCode"),
        ),
    ),
    "Observation": (
        _patient("subject", "Observation.subject.where(resolve() is Patient)"),
        SearchParameter(
            "subject",
            "reference",
            "Observation.subject",
            "Who the observation is about",
            reference("subject"),
            ("Patient",),
        ),
        SearchParameter("code", "token", "Observation.code", "LOINC or SNOMED CT code", codeable("code")),
        SearchParameter(
            "category", "token", "Observation.category", "e.g. vital-signs", codeable("category")
        ),
        SearchParameter(
            "date", "date", "Observation.effective", "When the observation was made", choice_date("effective")
        ),
        SearchParameter("status", "token", "Observation.status", "final | amended | ...", code("status")),
        SearchParameter(
            "encounter",
            "reference",
            "Observation.encounter",
            "The encounter",
            reference("encounter"),
            ("Encounter",),
        ),
        SearchParameter(
            "value-quantity",
            "quantity",
            "Observation.value as Quantity",
            "Value with UCUM unit",
            quantity("valueQuantity"),
        ),
    ),
    "Encounter": (
        _patient("subject", "Encounter.subject.where(resolve() is Patient)"),
        SearchParameter(
            "subject", "reference", "Encounter.subject", "The patient", reference("subject"), ("Patient",)
        ),
        SearchParameter("date", "date", "Encounter.period", "When the encounter happened", period("period")),
        SearchParameter(
            "status", "token", "Encounter.status", "planned | in-progress | finished | ...", code("status")
        ),
        SearchParameter(
            "class", "token", "Encounter.class", "Inpatient, ambulatory, virtual...", coding("class")
        ),
        SearchParameter("type", "token", "Encounter.type", "Kind of encounter (SNOMED CT)", codeable("type")),
        SearchParameter(
            "service-provider",
            "reference",
            "Encounter.serviceProvider",
            "The provider organisation",
            reference("serviceProvider"),
            ("Organization",),
        ),
        SearchParameter(
            "episode-of-care",
            "reference",
            "Encounter.episodeOfCare",
            "The episode of care",
            reference("episodeOfCare"),
            ("EpisodeOfCare",),
        ),
        SearchParameter(
            "location",
            "reference",
            "Encounter.location.location",
            "Where it happened",
            reference("location.location"),
            ("Location",),
        ),
    ),
    "EpisodeOfCare": (
        _patient("patient", "EpisodeOfCare.patient"),
        SearchParameter(
            "status", "token", "EpisodeOfCare.status", "planned | active | finished | ...", code("status")
        ),
        SearchParameter(
            "organization",
            "reference",
            "EpisodeOfCare.managingOrganization",
            "The provider",
            reference("managingOrganization"),
            ("Organization",),
        ),
        SearchParameter("date", "date", "EpisodeOfCare.period", "Period of the episode", period("period")),
        SearchParameter("type", "token", "EpisodeOfCare.type", "Kind of episode", codeable("type")),
    ),
    "CareTeam": (
        _patient("subject", "CareTeam.subject.where(resolve() is Patient)"),
        SearchParameter(
            "subject", "reference", "CareTeam.subject", "The patient", reference("subject"), ("Patient",)
        ),
        SearchParameter("status", "token", "CareTeam.status", "proposed | active | ...", code("status")),
        SearchParameter("category", "token", "CareTeam.category", "Kind of team", codeable("category")),
        SearchParameter(
            "participant",
            "reference",
            "CareTeam.participant.member",
            "A member (Organization)",
            reference("participant.member"),
            ("Organization",),
        ),
        SearchParameter("date", "date", "CareTeam.period", "Period of the team", period("period")),
    ),
    "Consent": (
        _patient("patient", "Consent.patient"),
        SearchParameter(
            "status", "token", "Consent.status", "draft | active | inactive | ...", code("status")
        ),
        SearchParameter("category", "token", "Consent.category", "Kind of consent", codeable("category")),
        SearchParameter("scope", "token", "Consent.scope", "e.g. patient-privacy", codeable("scope")),
        SearchParameter(
            "date", "date", "Consent.dateTime", "When the consent was recorded", date("dateTime")
        ),
    ),
    "Flag": (
        _patient("subject", "Flag.subject.where(resolve() is Patient)"),
        SearchParameter(
            "subject",
            "reference",
            "Flag.subject",
            "Who the flag is about",
            reference("subject"),
            ("Patient",),
        ),
        SearchParameter("date", "date", "Flag.period", "Period the flag is active", period("period")),
        SearchParameter(
            "status", "token", "Flag.status", "active | inactive (joinedup addition)", code("status")
        ),
        SearchParameter(
            "code", "token", "Flag.code", "What the flag is about (joinedup addition)", codeable("code")
        ),
    ),
}

# The element that names each type's patient: the FHIR R4 Patient compartment definition.
COMPARTMENT: dict[str, str | None] = {
    "Patient": None,
    "Observation": "subject",
    "Encounter": "subject",
    "EpisodeOfCare": "patient",
    "CareTeam": "subject",
    "Consent": "patient",
    "Flag": "subject",
}

STORED_TYPES: tuple[str, ...] = tuple(PARAMETERS)


def parameters_of(resource_type: str) -> dict[str, SearchParameter]:
    """The search parameters of `resource_type` by name (empty for a type joinedup does not store)."""
    return {p.name: p for p in PARAMETERS.get(resource_type, ())}


def patient_of(resource: Resource) -> str | None:
    """The id of the Patient a resource belongs to (itself for a Patient), or None."""
    resource_type = resource.get("resourceType")
    if resource_type == "Patient":
        value = resource.get("id")
        return value if isinstance(value, str) else None
    element = COMPARTMENT.get(str(resource_type))
    if element is None:
        return None
    target = resource.get(element)
    ref = parse_reference(target.get("reference", "")) if isinstance(target, Mapping) else None
    return ref.target_id if ref is not None and ref.target_type == "Patient" else None


def index_values(resource: Resource) -> dict[str, list[IndexValue]]:
    """Every indexed parameter of a resource and its values (compartment parameters excluded)."""
    values: dict[str, list[IndexValue]] = {}
    for param in PARAMETERS.get(str(resource.get("resourceType")), ()):
        if param.compartment:
            continue
        found = param.extract(resource)
        if len(found) == 1:
            values[param.name] = found
        elif found:
            values[param.name] = list(dict.fromkeys(found))
    return values
