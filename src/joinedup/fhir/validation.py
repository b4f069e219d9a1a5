"""Parse request bodies and validate FHIR R4 resources with `fhir.resources` (its R4B models).

R4B changed none of the elements of the resources joinedup stores, so the R4B models validate R4 content.
Structure, cardinality, data types and unknown elements are the library's checks; on top of it come the
required code bindings the library leaves out and the UK Core rule that a Patient's NHS number is valid.

Validating an element is a pure function of its type and its JSON, and a device's readings repeat the same
code, category, subject and device elements thousands of times; so each distinct complex element is validated
once and the library's own validated instance is handed back to it next time (it takes an instance of the
element's model as already valid). The resource itself, with its primitives, is validated every time.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from functools import cache
from typing import Any

import orjson
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.resource import Resource
from fhir_core.fhirabstractmodel import FHIRAbstractModel
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


# Complex elements validated so far, by (element model, canonical JSON); cleared when full.
_VALIDATED: dict[tuple[type[FHIRAbstractModel], bytes], FHIRAbstractModel] = {}
_MAX_VALIDATED = 8192
# Datetimes and dataclasses are not JSON: such an element is validated directly, never remembered.
_KEY_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


@cache
def _complex_elements(model: type[FHIRAbstractModel]) -> dict[str, tuple[type[FHIRAbstractModel], bool]]:
    """The model's complex elements by JSON name: (the element's model, whether it repeats).

    Contained resources are left out: their model depends on each one's resourceType.
    """
    elements: dict[str, tuple[type[FHIRAbstractModel], bool]] = {}
    for name, field in model.model_fields.items():
        repeats, element = False, None
        for part in (field.annotation, *typing.get_args(field.annotation)):
            inner = typing.get_args(part) if typing.get_origin(part) is list else (part,)
            for candidate in inner:
                if hasattr(candidate, "get_model_klass"):
                    repeats = repeats or inner != (part,)
                    element = candidate.get_model_klass()
        if element is not None and not issubclass(element, Resource):
            elements[field.alias or name] = (element, repeats)
    return elements


def _validated(model: type[FHIRAbstractModel], value: Any) -> Any:
    """The library's validated instance for a complex element's JSON object (other values as they are)."""
    if not isinstance(value, dict):
        return value
    try:
        key = (model, orjson.dumps(value, option=_KEY_OPTIONS))
    except TypeError:
        return value
    instance = _VALIDATED.get(key)
    if instance is None:
        instance = model.model_validate(value)
        if len(_VALIDATED) >= _MAX_VALIDATED:
            _VALIDATED.clear()
        _VALIDATED[key] = instance
    return instance


def _with_validated_elements(model: type[FHIRAbstractModel], body: Mapping[str, Any]) -> dict[str, Any]:
    elements = _complex_elements(model)
    out: dict[str, Any] = {}
    for key, value in body.items():
        spec = elements.get(key)
        if spec is None:
            out[key] = value
        elif spec[1] and isinstance(value, list):
            out[key] = [_validated(spec[0], item) for item in value]
        else:
            out[key] = _validated(spec[0], value)
    return out


def validate_resource(body: Mapping[str, Any]) -> None:
    """Raise Invalid naming every problem the FHIR R4 models, required bindings and UK Core rules find."""
    resource_type = str(body.get("resourceType"))
    model = get_fhir_model_class(resource_type)
    try:
        model.model_validate(_with_validated_elements(model, body))
    except ValidationError:
        # Validated again whole: every problem is named with its full path, and the whole body's verdict is
        # the library's own (what validating without remembered elements would say).
        try:
            model.model_validate(body)
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
