"""Parse request bodies and validate FHIR R4 resources with `fhir.resources` (its R4B models).

R4B changed none of the elements of the resources joinedup stores, so the R4B models validate R4 content.
Structure, cardinality, data types and unknown elements are the library's checks; on top of it come the
required code bindings the library leaves out and the UK Core rule that a Patient's NHS number is valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from joinedup.errors import BadRequest, Invalid
from joinedup.record import nhs_number

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_ORGANISATION_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"

# Required bindings (FHIR R4 value sets named in each element's definition) the library does not check.
REQUIRED_CODES: dict[tuple[str, str], frozenset[str]] = {
    ("Patient", "gender"): frozenset({"male", "female", "other", "unknown"}),
    ("Observation", "status"): frozenset(
        {
            "registered",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "cancelled",
            "entered-in-error",
            "unknown",
        }
    ),
    ("Encounter", "status"): frozenset(
        {
            "planned",
            "arrived",
            "triaged",
            "in-progress",
            "onleave",
            "finished",
            "cancelled",
            "entered-in-error",
            "unknown",
        }
    ),
    ("EpisodeOfCare", "status"): frozenset(
        {"planned", "waitlist", "active", "onhold", "finished", "cancelled", "entered-in-error"}
    ),
    ("CareTeam", "status"): frozenset({"proposed", "active", "suspended", "inactive", "entered-in-error"}),
    ("Consent", "status"): frozenset(
        {"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"}
    ),
    ("Flag", "status"): frozenset({"active", "inactive", "entered-in-error"}),
}

_MESSAGES = {
    "extra_forbidden": "unknown element",
    "missing": "is required",
    "model_field_validation.missing": "is required",
}


def parse_json(raw: bytes) -> dict[str, Any]:
    """The JSON object in a request body; BadRequest saying where the JSON breaks."""
    if not raw.strip():
        raise BadRequest("the request body is empty; a FHIR resource in JSON was expected")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise BadRequest("the request body must be a JSON object with a resourceType")
    return value


def _where(resource_type: str, loc: tuple[int | str, ...]) -> str:
    path = resource_type
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _describe(resource_type: str, error: Mapping[str, Any]) -> str:
    loc = tuple(p for p in error.get("loc", ()) if p != "resource_type")
    message = _MESSAGES.get(str(error.get("type")), str(error.get("msg", "is not valid")))
    return f"{_where(resource_type, loc)}: {message.replace('Value error, ', '')}"


def check_type(body: Mapping[str, Any], expected: str | None, supported: tuple[str, ...]) -> str:
    """The body's resourceType, checked against the endpoint (`expected`) and the supported types."""
    resource_type = body.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type:
        raise BadRequest("the resource has no resourceType")
    if expected is not None and resource_type != expected:
        raise BadRequest(
            f"resourceType {resource_type!r} does not match the endpoint, which takes {expected}"
        )
    if resource_type not in supported:
        raise BadRequest(
            f"resourceType {resource_type!r} is not stored here (supported: {', '.join(supported)})"
        )
    return resource_type


def validate_resource(body: Mapping[str, Any]) -> None:
    """Raise Invalid naming every problem the FHIR R4 models, required bindings and UK Core rules find."""
    resource_type = str(body.get("resourceType"))
    try:
        get_fhir_model_class(resource_type).model_validate(body)
    except ValidationError as exc:
        problems = [_describe(resource_type, e) for e in exc.errors()]
        raise Invalid("; ".join(problems[:10])) from None
    for (rtype, element), codes in REQUIRED_CODES.items():
        value = body.get(element)
        if rtype == resource_type and value is not None and value not in codes:
            raise Invalid(f"{rtype}.{element}: {value!r} is not one of {', '.join(sorted(codes))}")
    if resource_type == "Patient":
        _check_nhs_numbers(body)


def _check_nhs_numbers(body: Mapping[str, Any]) -> None:
    found = False
    for index, ident in enumerate(body.get("identifier") or []):
        if ident.get("system") != NHS_NUMBER_SYSTEM:
            continue
        found = True
        value = ident.get("value")
        if not isinstance(value, str) or not nhs_number.is_valid(value):
            raise Invalid(
                f"Patient.identifier[{index}].value: {value!r} is not a valid NHS number "
                "(10 digits with a Modulus 11 check digit)"
            )
    if not found:
        raise Invalid(f"Patient.identifier: a patient needs an NHS number (system {NHS_NUMBER_SYSTEM})")


def nhs_number_of(patient: Mapping[str, Any]) -> str | None:
    """The patient's NHS number as ten digits (the first NHS number identifier), or None."""
    for ident in patient.get("identifier") or []:
        value = ident.get("value") if isinstance(ident, Mapping) else None
        if ident.get("system") == NHS_NUMBER_SYSTEM and isinstance(value, str) and nhs_number.is_valid(value):
            return nhs_number.normalise(value)
    return None


def normalise_nhs_numbers(patient: dict[str, Any]) -> None:
    """Store NHS numbers as ten digits so that identifier search finds '943 476 5919' as '9434765919'."""
    for ident in patient.get("identifier") or []:
        if ident.get("system") == NHS_NUMBER_SYSTEM and nhs_number.is_valid(ident.get("value", "")):
            ident["value"] = nhs_number.normalise(ident["value"])
