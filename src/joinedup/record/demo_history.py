"""Synthetic care histories as FHIR resources: practice visits, hospital stays, community nursing. Pure.

Codes: SNOMED CT for encounter types and reasons, LOINC vital-sign codes with UCUM units (FHIR R4 vital
signs profile), HL7 v3 ActCode for encounter classes. Values follow a simple illness-and-recovery shape
around each person's own baseline; the shape and every number in it are assumptions, for a demo only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from joinedup.fhir.validation import NHS_NUMBER_SYSTEM
from joinedup.record.demo_people import Person
from joinedup.record.vital_signs import BY_CODE, LOINC, UCUM, VITAL_SIGNS_CATEGORY

SNOMED = "http://snomed.info/sct"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CLASSES = {"AMB": "ambulatory", "EMER": "emergency", "IMP": "inpatient encounter", "HH": "home health"}
CONSULTATION = ("11429006", "Consultation")
ADMISSION = ("32485007", "Hospital admission")
ED_VISIT = ("4525004", "Emergency department patient visit")
HOME_VISIT = ("439708006", "Home visit")
PRACTICE_REASONS = (
    ("38341003", "Hypertensive disorder"),
    ("44054006", "Diabetes mellitus type 2"),
    ("195967001", "Asthma"),
    ("13645005", "Chronic obstructive lung disease"),
    ("161891005", "Backache"),
    ("35489007", "Depressive disorder"),
)
ADMISSION_REASONS = (
    ("233604007", "Pneumonia"),
    ("84114007", "Heart failure"),
    ("1912002", "Fall"),
    ("195951007", "Acute exacerbation of chronic obstructive airways disease"),
    ("68566005", "Urinary tract infectious disease"),
    ("840539006", "COVID-19"),
)


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _concept(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": display}


@dataclass(frozen=True)
class Baseline:
    """A person's usual vital signs."""

    pulse: float
    respiration: float
    spo2: float
    temperature: float
    systolic: float
    diastolic: float
    weight: float


def baseline(rng: random.Random, person: Person, today: datetime) -> Baseline:
    age = person.age_on(today.date())
    adult_weight = rng.gauss(82 if person.gender == "male" else 70, 12)
    weight = adult_weight if age >= 18 else max(4.0, 3.5 + 3.0 * age)
    return Baseline(
        pulse=rng.gauss(72, 8),
        respiration=rng.gauss(15, 1.5),
        spo2=min(99.0, rng.gauss(98 - age / 40, 1)),
        temperature=rng.gauss(36.7, 0.2),
        systolic=rng.gauss(115 + age * 0.4, 10),
        diastolic=rng.gauss(76, 7),
        weight=weight,
    )


def patient(person: Person, patient_id: str, practice_id: str, first_registered: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": patient_id,
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": person.nhs_number}],
        "active": True,
        "name": [{"use": "official", "family": person.family, "given": [person.given]}],
        "gender": person.gender,
        "birthDate": person.birth_date.isoformat(),
        "address": [
            {"use": "home", "city": person.town, "postalCode": person.postcode_district, "country": "GB"}
        ],
        "generalPractitioner": [{"reference": f"Organization/{practice_id}"}],
        "meta": {"tag": [{"system": "urn:joinedup:demo", "code": "synthetic", "display": first_registered}]},
    }


def episode(patient_id: str, episode_id: str, org_id: str, title: str, start: datetime) -> dict[str, Any]:
    return {
        "resourceType": "EpisodeOfCare",
        "id": episode_id,
        "status": "active",
        "type": [{"text": title}],
        "patient": {"reference": f"Patient/{patient_id}"},
        "managingOrganization": {"reference": f"Organization/{org_id}"},
        "period": {"start": _instant(start)},
    }


@dataclass(frozen=True)
class Visit:
    """Where and why an encounter happens."""

    patient_id: str
    org_id: str
    site_id: str | None
    klass: str
    kind: tuple[str, str]
    reason: tuple[str, str] | None
    episode_id: str | None = None


def encounter(visit: Visit, encounter_id: str, start: datetime, end: datetime | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": encounter_id,
        "status": "finished" if end is not None else "in-progress",
        "class": {"system": ACT_CODE, "code": visit.klass, "display": CLASSES[visit.klass]},
        "type": [_concept(*visit.kind)],
        "subject": {"reference": f"Patient/{visit.patient_id}"},
        "period": {"start": _instant(start), **({"end": _instant(end)} if end else {})},
        "serviceProvider": {"reference": f"Organization/{visit.org_id}"},
    }
    if visit.reason:
        body["reasonCode"] = [_concept(*visit.reason)]
    if visit.site_id:
        body["location"] = [{"location": {"reference": f"Location/{visit.site_id}"}}]
    if visit.episode_id:
        body["episodeOfCare"] = [{"reference": f"EpisodeOfCare/{visit.episode_id}"}]
    return body


def observation(
    visit: Visit, encounter_id: str | None, code: str, value: float, when: datetime
) -> dict[str, Any]:
    sign = BY_CODE[code]
    body: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [VITAL_SIGNS_CATEGORY]}],
        "code": {"coding": [{"system": LOINC, "code": code, "display": sign.display}], "text": sign.display},
        "subject": {"reference": f"Patient/{visit.patient_id}"},
        "effectiveDateTime": _instant(when),
        "performer": [{"reference": f"Organization/{visit.org_id}"}],
        "valueQuantity": {"value": round(value, 1), "unit": sign.unit, "system": UCUM, "code": sign.unit},
    }
    if encounter_id:
        body["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    return body


def observation_set(
    visit: Visit, encounter_id: str | None, when: datetime, signs: dict[str, float]
) -> list[dict[str, Any]]:
    return [observation(visit, encounter_id, code, value, when) for code, value in signs.items()]


def illness_signs(rng: random.Random, base: Baseline, severity: float) -> dict[str, float]:
    """Vital signs of someone `severity` (0 well .. 1 at their worst) unwell, around their baseline."""
    return {
        "8867-4": base.pulse + 30 * severity + rng.gauss(0, 4),
        "9279-1": base.respiration + 9 * severity + rng.gauss(0, 1),
        "59408-5": min(100.0, base.spo2 - 6 * severity + rng.gauss(0, 0.8)),
        "8310-5": base.temperature + 1.6 * severity + rng.gauss(0, 0.15),
        "8480-6": base.systolic - 12 * severity + rng.gauss(0, 6),
    }


def clinic_signs(rng: random.Random, base: Baseline, adult: bool) -> dict[str, float]:
    signs = {"8867-4": base.pulse + rng.gauss(0, 5), "29463-7": base.weight + rng.gauss(0, 1.0)}
    if adult:
        signs["8480-6"] = base.systolic + rng.gauss(0, 8)
        signs["8462-4"] = base.diastolic + rng.gauss(0, 5)
    return signs


def home_signs(rng: random.Random, base: Baseline, fluid_kg: float) -> dict[str, float]:
    return {
        "29463-7": base.weight + fluid_kg + rng.gauss(0, 0.3),
        "59408-5": min(100.0, base.spo2 - 1 + rng.gauss(0, 1)),
        "8867-4": base.pulse + 5 + rng.gauss(0, 5),
    }


def stay_times(start: datetime, end: datetime, every: timedelta) -> list[datetime]:
    """Observation times through a stay: at arrival, then every `every`, up to its end."""
    times, moment = [], start + timedelta(minutes=20)
    while moment < end:
        times.append(moment)
        moment += every
    return times
