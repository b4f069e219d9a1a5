"""The vital signs the record charts, by LOINC code with their UCUM units.

Codes and units are those of the FHIR R4 vital signs profile (https://hl7.org/fhir/R4/observation-vitalsigns.html).
"""

from __future__ import annotations

from dataclasses import dataclass

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
VITAL_SIGNS_CATEGORY = {
    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
    "code": "vital-signs",
    "display": "Vital Signs",
}


@dataclass(frozen=True)
class VitalSign:
    code: str
    display: str
    unit: str
    chart_title: str


VITAL_SIGNS: tuple[VitalSign, ...] = (
    VitalSign("8867-4", "Heart rate", "/min", "Pulse (beats per minute)"),
    VitalSign("9279-1", "Respiratory rate", "/min", "Respiration rate (breaths per minute)"),
    VitalSign("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", "SpO₂ (%)"),
    VitalSign("8480-6", "Systolic blood pressure", "mm[Hg]", "Systolic blood pressure (mmHg)"),
    VitalSign("8462-4", "Diastolic blood pressure", "mm[Hg]", "Diastolic blood pressure (mmHg)"),
    VitalSign("8310-5", "Body temperature", "Cel", "Temperature (°C)"),
    VitalSign("29463-7", "Body weight", "kg", "Weight (kg)"),
)
BY_CODE = {sign.code: sign for sign in VITAL_SIGNS}
