"""FHIR resources and callers for the record and FHIR tests (synthetic people, 999 NHS numbers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from joinedup.access.policy import Principal, Role
from joinedup.record.nhs_number import generate_test_numbers
from joinedup.record.service import Actor
from joinedup.registry import service as registry

REGISTRY = Path(__file__).resolve().parent / "data" / "registry.toml"
NHS = "https://fhir.nhs.uk/Id/nhs-number"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
NUMBERS = generate_test_numbers(40, seed=6)

PRINCIPALS = {
    "gp_a": Principal("gp-a", Role.GP, "Y90001", "Dr A"),
    "gp_b": Principal("gp-b", Role.GP, "Y90002", "Dr B"),
    "clinician": Principal("clinician", Role.HOSPITAL_CLINICIAN, "RWE", "Dr UHL"),
    "nurse": Principal("nurse", Role.VIRTUAL_WARD_NURSE, "RT5", "Nurse", frozenset({"vw-team-1"})),
    "analyst": Principal("analyst", Role.ANALYST, None, "Analyst"),
    "device": Principal("device-1", Role.DEVICE, "RT5", "Oximeter"),
}


def load_registry(session: Session) -> None:
    registry.load_file(session, REGISTRY)
    session.flush()


def actor(name: str, reason: str | None = None) -> Actor:
    return Actor(PRINCIPALS[name], break_glass_reason=reason, request_id=f"test-{name}")


def patient(
    number: str,
    *,
    practice: str = "demo-practice-a",
    family: str = "Smith",
    given: str = "Ann",
    birth_date: str = "1948-03-05",
    gender: str = "female",
) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": NHS, "value": number}],
        "name": [{"use": "official", "family": family, "given": [given]}],
        "gender": gender,
        "birthDate": birth_date,
        "generalPractitioner": [{"reference": f"Organization/{practice}"}],
    }


def observation(
    patient_id: str,
    *,
    code: str = "8867-4",
    value: float = 72.0,
    unit: str = "/min",
    when: str = "2024-05-01T10:00:00Z",
    device: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }
    if device is not None:
        body["device"] = {"identifier": {"system": "urn:ietf:rfc:3986", "value": device}}
    return body


def episode(patient_id: str, organisation: str, status: str = "active") -> dict[str, Any]:
    return {
        "resourceType": "EpisodeOfCare",
        "status": status,
        "patient": {"reference": f"Patient/{patient_id}"},
        "managingOrganization": {"reference": f"Organization/{organisation}"},
        "period": {"start": "2024-04-01"},
    }


def opt_out(patient_id: str, when: str = "2024-06-01T09:00:00Z", deny: bool = True) -> dict[str, Any]:
    return {
        "resourceType": "Consent",
        "status": "active",
        "scope": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}
            ]
        },
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": f"Patient/{patient_id}"},
        "dateTime": when,
        "provision": {"type": "deny" if deny else "permit"},
    }
