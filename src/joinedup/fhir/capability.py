"""The CapabilityStatement: exactly the interactions, search parameters and includes joinedup answers.

Built from the same tables the server runs on (the search parameter registry, the served types), so it
cannot claim what the code does not do.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from joinedup import __version__
from joinedup.fhir import audit_events, registry_views
from joinedup.fhir.search_params import PARAMETERS, SearchParameter

FHIR_VERSION = "4.0.1"
STORED_INTERACTIONS = ("read", "vread", "update", "delete", "history-instance", "create", "search-type")
COMMON_PARAMS = (
    {"name": "_id", "type": "token", "documentation": "Logical id (comma-separated: any of)"},
    {"name": "_lastUpdated", "type": "date", "documentation": "When the current version was stored"},
)
# Parameters whose name and meaning are the HL7 ones, so their definition URL can be given.
_OURS = {("Flag", "status"), ("Flag", "code")}
# HL7 defines these once for many clinical types (e.g. SearchParameter/clinical-patient).
_SHARED = {
    "patient": "clinical-patient",
    "date": "clinical-date",
    "code": "clinical-code",
    "encounter": "clinical-encounter",
    "type": "clinical-type",
}
PAGING = (
    "Paging with _count (default 20, at most 1000) and _offset; a next link exactly when more matches "
    "follow. Bundle.total is given with _total=accurate (or estimate, answered the same way), with "
    "_summary=count, or when the page shows it (the last page); otherwise it is left out, as is the last "
    "link. _sort on _id, _lastUpdated and date and string parameters; unknown parameters are an error "
    "unless 'Prefer: handling=lenient'."
)
SECURITY = (
    "Bearer tokens (`joinedup access token USERNAME`) carrying SMART on FHIR v2 scopes. No token: 401. "
    "No legitimate relationship with the patient: 403, unless a clinician sends X-Break-Glass-Reason "
    "(allowed, flagged and audited)."
)
SMART = {"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}


def _param(resource_type: str, param: SearchParameter) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": param.name, "type": param.kind, "documentation": param.documentation}
    if (resource_type, param.name) not in _OURS:
        entry["definition"] = (
            f"http://hl7.org/fhir/SearchParameter/{_definition_id(resource_type, param.name)}"
        )
    return entry


def _definition_id(resource_type: str, name: str) -> str:
    if name in _SHARED and resource_type != "Patient":
        return _SHARED[name]
    return f"{resource_type}-{name}"


def _stored(resource_type: str, params: Iterable[SearchParameter]) -> dict[str, Any]:
    listed = list(params)
    return {
        "type": resource_type,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{resource_type}",
        "interaction": [{"code": code} for code in STORED_INTERACTIONS],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalRead": "not-supported",
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchInclude": [f"{resource_type}:{p.name}" for p in listed if p.kind == "reference"],
        "searchParam": [*COMMON_PARAMS, *(_param(resource_type, p) for p in listed)],
    }


def _view(resource_type: str, params: dict[str, str]) -> dict[str, Any]:
    return {
        "type": resource_type,
        "documentation": "A read-only view of the joinedup registry (never a copy): "
        "Organization ids are registry ids, identifiers are ODS codes.",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            {"name": name, "type": "string" if name != "_id" else "token", "documentation": doc}
            for name, doc in params.items()
        ],
    }


def _audit_events() -> dict[str, Any]:
    return {
        "type": "AuditEvent",
        "documentation": "The access audit log (append-only, hash-chained): the privacy officer reads it "
        "all, a patient the entries about their own record.",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            {
                "name": name,
                "type": "date" if name == "date" else "reference" if name == "patient" else "token",
                "documentation": doc,
            }
            for name, doc in audit_events.SEARCH_PARAMS.items()
        ],
    }


def capability_statement(base: str, extra_resources: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """The server's CapabilityStatement (`extra_resources`: types other areas serve under the same base)."""
    resources = [_stored(rtype, params) for rtype, params in PARAMETERS.items()]
    resources.append(_view("Organization", registry_views.ORGANIZATION_PARAMS))
    resources.append(_view("Location", registry_views.LOCATION_PARAMS))
    resources.append(_audit_events())
    resources.extend(extra_resources)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date.today().isoformat(),
        "publisher": "joinedup",
        "kind": "instance",
        "software": {"name": "joinedup", "version": __version__},
        "implementation": {"description": "joinedup shared care record (FHIR R4)", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": PAGING,
                "security": {"cors": False, "service": [{"coding": [SMART]}], "description": SECURITY},
                "resource": resources,
                "interaction": [{"code": "transaction"}, {"code": "batch"}],
            }
        ],
    }
