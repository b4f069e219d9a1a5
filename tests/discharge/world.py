"""A small hospital for the discharge tests: patients in the shared record, two of them in hospital at the
Royal Infirmary and one at the General, one at home; the people who raise and receive referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from joinedup.access.policy import Principal, Role
from joinedup.fhir.validation import NHS_NUMBER_SYSTEM
from joinedup.record import service as record
from joinedup.record.nhs_number import generate_test_numbers
from joinedup.record.service import Actor
from joinedup.registry import service as registry

DATA = Path(__file__).resolve().parent / "data" / "discharge.toml"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
HOUSING_TEAM = "lri-housing-support-officers"
BLABY_TEAM = "blaby-housing-adaptations-team"

GP = Actor(Principal("test-gp", Role.GP, organisation_ods="Y99991"))
CLINICIAN = Actor(Principal("test-clinician", Role.HOSPITAL_CLINICIAN, organisation_ods="RWE"))
LPT_CLINICIAN = Actor(Principal("lpt-clinician", Role.HOSPITAL_CLINICIAN, organisation_ods="RT5"))
HOUSING = Actor(Principal("test-housing", Role.DISCHARGE_SUPPORT, team_ids=frozenset({HOUSING_TEAM})))
BLABY = Actor(Principal("test-blaby", Role.DISCHARGE_SUPPORT, team_ids=frozenset({BLABY_TEAM})))
ANALYST = Actor(Principal("test-analyst", Role.ANALYST))


@dataclass(frozen=True)
class World:
    session: Session
    at_lri: list[str]
    at_lgh: str
    at_home: str
    admitted: datetime


def _instant(at: datetime) -> str:
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def _admit(session: Session, patient_id: str, site: str, start: datetime) -> None:
    """The practice refers the patient to UHL (an open episode); the hospital records the inpatient stay."""
    episode = {
        "resourceType": "EpisodeOfCare",
        "status": "active",
        "patient": {"reference": f"Patient/{patient_id}"},
        "managingOrganization": {"reference": "Organization/uhl"},
        "period": {"start": _instant(start)},
    }
    record.create_many(session, actor=GP, bodies=[episode])
    stay = {
        "resourceType": "Encounter",
        "status": "in-progress",
        "class": {"system": ACT_CODE, "code": "IMP", "display": "inpatient encounter"},
        "subject": {"reference": f"Patient/{patient_id}"},
        "period": {"start": _instant(start)},
        "serviceProvider": {"reference": "Organization/uhl"},
        "location": [{"location": {"reference": f"Location/{site}"}}],
    }
    record.create_many(session, actor=CLINICIAN, bodies=[stay])


def build_world(session: Session) -> World:
    """Load the test registry; four patients at the test practice, three of them in hospital since 20 days."""
    registry.load_file(session, DATA)
    numbers = generate_test_numbers(4, seed=11)
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
    ids = [w.version.resource_id for w in written]
    admitted = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
    for patient_id, site in zip(ids[:3], ("lri", "lri", "lgh"), strict=True):
        _admit(session, patient_id, site, admitted)
    session.flush()
    return World(session, numbers[:2], numbers[2], numbers[3], admitted)
