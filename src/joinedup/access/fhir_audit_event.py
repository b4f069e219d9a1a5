"""An audit entry as a FHIR R4 AuditEvent, shaped after IHE Basic Audit Log Patterns (BALP, release 1.1).

Pure: takes the stored entry (a mapping or an object with the same attribute names), returns JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
USERNAME_SYSTEM = "urn:joinedup:username"
AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ROLE_CLASS = "http://terminology.hl7.org/CodeSystem/v3-RoleClass"

# FHIR AuditEvent.action: C create, R read, U update, D delete, E execute (BALP records a search as E).
ACTION_CODES = {"create": "C", "read": "R", "update": "U", "delete": "D", "search": "E"}
INTERACTIONS = {
    "create": "create",
    "read": "read",
    "update": "update",
    "delete": "delete",
    "search": "search-type",
}
LOGIN_EVENTS = {"login": ("110122", "Login"), "logout": ("110123", "Logout")}


def audit_event_resource(entry: Mapping[str, Any] | object) -> dict[str, Any]:
    """A FHIR R4 AuditEvent (JSON) for one audit-log entry."""
    e = entry if isinstance(entry, Mapping) else vars(entry)
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": e["entry_id"],
        "type": _type(e),
        "action": ACTION_CODES.get(e["action"], "E"),
        "recorded": _instant(e["recorded_at"]),
        "outcome": "0" if e["outcome"] == "allowed" else "4",
        "outcomeDesc": e["reason"],
        "agent": _agents(e),
        "source": {
            "site": "joinedup",
            "observer": {"display": "joinedup"},
            "type": [{"system": SOURCE_TYPE, "code": "4", "display": "Application Server"}],
        },
        "entity": _entities(e),
    }
    subtype = _subtype(e)
    if subtype:
        resource["subtype"] = [subtype]
    resource["purposeOfEvent"] = _purpose(bool(e["break_glass"]))
    return resource


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _type(e: Mapping[str, Any]) -> dict[str, str]:
    if e["action"] in LOGIN_EVENTS:
        return {"system": DICOM, "code": "110114", "display": "User Authentication"}
    if e["action"] in ACTION_CODES:
        return {"system": AUDIT_EVENT_TYPE, "code": "rest", "display": "RESTful Operation"}
    return {"system": DICOM, "code": "110100", "display": "Application Activity"}


def _subtype(e: Mapping[str, Any]) -> dict[str, str] | None:
    if e["action"] in LOGIN_EVENTS:
        code, display = LOGIN_EVENTS[e["action"]]
        return {"system": DICOM, "code": code, "display": display}
    if e["action"] in INTERACTIONS:
        return {"system": RESTFUL_INTERACTION, "code": INTERACTIONS[e["action"]]}
    return None


def _purpose(break_glass: bool) -> list[dict[str, Any]]:
    if break_glass:
        return [
            {"coding": [{"system": ACT_REASON, "code": "ETREAT", "display": "Emergency Treatment"}]},
            {"coding": [{"system": ACT_CODE, "code": "BTG", "display": "break the glass"}]},
        ]
    return [{"coding": [{"system": ACT_REASON, "code": "TREAT", "display": "treatment"}]}]


def _agents(e: Mapping[str, Any]) -> list[dict[str, Any]]:
    user: dict[str, Any] = {
        "type": {"coding": [{"system": PARTICIPATION, "code": "IRCP", "display": "information recipient"}]},
        "who": {"identifier": {"system": USERNAME_SYSTEM, "value": e["username"]}, "display": e["username"]},
        "requestor": True,
    }
    if e.get("role"):
        user["role"] = [{"text": e["role"]}]
    if e.get("source_address"):
        user["network"] = {"address": e["source_address"], "type": "2"}
    agents = [user]
    if e.get("organisation_ods"):
        provider = {"system": ROLE_CLASS, "code": "PROV", "display": "healthcare provider"}
        agents.append(
            {
                "type": {"coding": [provider]},
                "who": {"identifier": {"system": ODS_SYSTEM, "value": e["organisation_ods"]}},
                "requestor": False,
            }
        )
    return agents


def _entities(e: Mapping[str, Any]) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = []
    if e.get("patient_nhs_number"):
        entities.append(
            {
                "what": {"identifier": {"system": NHS_NUMBER_SYSTEM, "value": e["patient_nhs_number"]}},
                "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
                "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
            }
        )
    if e.get("resource_type"):
        what = (
            {"reference": f"{e['resource_type']}/{e['resource_id']}"}
            if e.get("resource_id")
            else {"display": e["resource_type"]}
        )
        entity: dict[str, Any] = {
            "what": what,
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            "role": {"system": OBJECT_ROLE, "code": "4", "display": "Domain Resource"},
        }
        if e.get("request_id"):
            entity["detail"] = [{"type": "X-Request-ID", "valueString": e["request_id"]}]
        entities.append(entity)
    return entities
