"""A small virtual hospital for the wards and monitoring tests: registry teams, patients in the record,
the people who use it, and readings as devices send them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from joinedup.access.policy import Principal, Role
from joinedup.fhir.validation import NHS_NUMBER_SYSTEM
from joinedup.record import service as record
from joinedup.record.nhs_number import generate_test_numbers
from joinedup.record.service import Actor
from joinedup.registry import service as registry

DATA = Path(__file__).resolve().parent / "data" / "wards.toml"
DEVICE_SYSTEM = "https://fhir.joinedup.example/Id/device"
LOINC = "http://loinc.org"

GP = Actor(Principal("test-gp", Role.GP, organisation_ods="Y99991", display_name="Dr Test"))
NURSE = Actor(
    Principal(
        "test-nurse",
        Role.VIRTUAL_WARD_NURSE,
        organisation_ods="RT5",
        team_ids=frozenset({"vw-north"}),
        display_name="Nurse North",
    )
)
OTHER_NURSE = Actor(
    Principal(
        "small-nurse", Role.VIRTUAL_WARD_NURSE, organisation_ods="RT5", team_ids=frozenset({"vw-small"})
    )
)
ANALYST = Actor(Principal("test-analyst", Role.ANALYST))

UNITS = {
    "8867-4": "/min",
    "9279-1": "/min",
    "59408-5": "%",
    "8480-6": "mm[Hg]",
    "8310-5": "Cel",
    "29463-7": "kg",
}
CODES = {
    "pulse": "8867-4",
    "respiration_rate": "9279-1",
    "spo2": "59408-5",
    "systolic_bp": "8480-6",
    "temperature": "8310-5",
    "body_weight": "29463-7",
}


@dataclass(frozen=True)
class World:
    session: Session
    nhs_numbers: list[str]
    patient_ids: dict[str, str]


def build_world(session: Session, patients: int = 6) -> World:
    """Load the test registry and create `patients` patients registered at the test practice."""
    registry.load_file(session, DATA)
    numbers = generate_test_numbers(patients, seed=7)
    bodies = [
        {
            "resourceType": "Patient",
            "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": number}],
            "name": [{"family": f"Test{i}", "given": ["Pat"]}],
            "birthDate": "1940-01-01",
            "generalPractitioner": [{"reference": "Organization/test-practice"}],
        }
        for i, number in enumerate(numbers)
    ]
    written = record.create_many(session, actor=GP, bodies=bodies)
    session.flush()
    return World(session, numbers, {n: w.version.resource_id for n, w in zip(numbers, written, strict=True)})


def observation(
    nhs_number: str,
    parameter: str,
    value: float,
    *,
    at: datetime | None = None,
    device: str = "kit-1",
    unit: str | None = None,
) -> dict[str, Any]:
    """A device reading as a FHIR Observation."""
    at = at or datetime.now(UTC) - timedelta(minutes=1)
    code = CODES[parameter]
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"identifier": {"system": NHS_NUMBER_SYSTEM, "value": nhs_number}},
        "effectiveDateTime": at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "valueQuantity": {
            "value": value,
            "unit": unit or UNITS[code],
            "system": "http://unitsofmeasure.org",
            "code": unit or UNITS[code],
        },
        "device": {"identifier": {"system": DEVICE_SYSTEM, "value": device}},
    }


def acvpu(nhs_number: str, letter: str, *, at: datetime, device: str = "kit-1") -> dict[str, Any]:
    """A consciousness (ACVPU) reading."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1104441000000107"}]},
        "subject": {"identifier": {"system": NHS_NUMBER_SYSTEM, "value": nhs_number}},
        "effectiveDateTime": at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "valueString": letter,
        "device": {"identifier": {"system": DEVICE_SYSTEM, "value": device}},
    }
