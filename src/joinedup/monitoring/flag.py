"""An alert as a FHIR R4 Flag, the way remote-monitoring services publish alerts (Luscii: alerts as Flag
with a priority). Pure: plain values in, a Flag resource out.

Priority uses the FHIR core extension `flag-priority` (codes PN, PL, PM, PH of the flag-priority-code
system): emergency → PH, urgent → PM, review → PL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from joinedup.fhir.validation import NHS_NUMBER_SYSTEM
from joinedup.monitoring.schemas import AlertRead

RULE_SYSTEM = "https://fhir.joinedup.example/CodeSystem/monitoring-rule"
RULE_SET_EXTENSION = "https://fhir.joinedup.example/StructureDefinition/rule-set-version"
ALERT_STATUS_EXTENSION = "https://fhir.joinedup.example/StructureDefinition/alert-status"
PRIORITY_EXTENSION = "http://hl7.org/fhir/StructureDefinition/flag-priority"
PRIORITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/flag-priority-code"
PRIORITY = {
    "emergency": ("PH", "High priority"),
    "urgent": ("PM", "Medium priority"),
    "review": ("PL", "Low priority"),
}


def _instant(at: datetime) -> str:
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def flag_of(alert: AlertRead, patient_id: str | None = None) -> dict[str, Any]:
    """The alert as a Flag: active until resolved, with its priority, rule, rule-set version and status."""
    code, display = PRIORITY.get(alert.severity, ("PL", "Low priority"))
    subject: dict[str, Any] = {"identifier": {"system": NHS_NUMBER_SYSTEM, "value": alert.nhs_number}}
    if patient_id:
        subject["reference"] = f"Patient/{patient_id}"
    period = {"start": _instant(alert.raised_at)}
    if alert.resolved_at is not None:
        period["end"] = _instant(alert.resolved_at)
    return {
        "resourceType": "Flag",
        "id": alert.id,
        "meta": {"lastUpdated": _instant(alert.updated_at)},
        "extension": [
            {
                "url": PRIORITY_EXTENSION,
                "valueCodeableConcept": {
                    "coding": [{"system": PRIORITY_SYSTEM, "code": code, "display": display}]
                },
            },
            {"url": RULE_SET_EXTENSION, "valueString": alert.rule_set_version},
            {"url": ALERT_STATUS_EXTENSION, "valueCode": alert.status},
        ],
        "status": "inactive" if alert.status == "resolved" else "active",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/flag-category",
                        "code": "clinical",
                        "display": "Clinical",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": RULE_SYSTEM, "code": alert.rule_id}], "text": alert.message},
        "subject": subject,
        "period": period,
        "author": {"display": "joinedup remote monitoring"},
    }


def bundle_of(flags: list[dict[str, Any]]) -> dict[str, Any]:
    """A searchset Bundle of Flags."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(flags),
        "entry": [{"fullUrl": f"Flag/{f['id']}", "resource": f, "search": {"mode": "match"}} for f in flags],
    }
