"""Vital-sign readings checked at the door: LOINC code, UCUM unit and a physiological range.

Codes and units follow the FHIR R4 vital signs profile (LOINC codes, UCUM units). A value that cannot
be a living person's is rejected; one that is possible but rarely real is accepted as needing review,
so a person looks at it before any rule scores it. Ranges are assumptions, labelled as such below.
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class VitalSign:
    """One kind of reading: its LOINC code, its UCUM unit and the ranges a value is checked against."""

    code: str
    parameter: str
    display: str
    unit: str
    possible: tuple[float, float]
    plausible: tuple[float, float]
    source: str


_RANGE_SOURCE = (
    "assumption: 'possible' bounds are beyond any recorded survivable value; 'plausible' bounds are "
    "where readings from home devices are usually real; outside them a clinician reviews the reading"
)

VITAL_SIGNS: dict[str, VitalSign] = {
    sign.code: sign
    for sign in (
        VitalSign("8867-4", "pulse", "Heart rate", "/min", (0, 350), (25, 250), _RANGE_SOURCE),
        VitalSign("9279-1", "respiration_rate", "Respiratory rate", "/min", (0, 100), (4, 60), _RANGE_SOURCE),
        VitalSign(
            "59408-5",
            "spo2",
            "Oxygen saturation by pulse oximetry",
            "%",
            (0, 100),
            (70, 100),
            _RANGE_SOURCE + "; pulse oximeter accuracy is specified from 70% (ISO 80601-2-61)",
        ),
        VitalSign(
            "2708-6", "spo2", "Oxygen saturation in arterial blood", "%", (0, 100), (70, 100), _RANGE_SOURCE
        ),
        VitalSign(
            "8480-6", "systolic_bp", "Systolic blood pressure", "mm[Hg]", (0, 350), (50, 280), _RANGE_SOURCE
        ),
        VitalSign("8310-5", "temperature", "Body temperature", "Cel", (10, 47), (32, 43), _RANGE_SOURCE),
        VitalSign("29463-7", "body_weight", "Body weight", "kg", (0.2, 700), (25, 350), _RANGE_SOURCE),
    )
}
"""Every vital sign joinedup accepts, by LOINC code."""


class ReadingRejected(ValueError):
    """A reading that cannot be stored as it is; `reason` says why in words a clinician can act on."""

    def __init__(self, code: str, value: object, unit: str, reason: str) -> None:
        super().__init__(f"reading {code} = {value!r} {unit!r} rejected: {reason}")
        self.code = code
        self.value = value
        self.unit = unit
        self.reason = reason


@dataclass(frozen=True)
class ValidatedReading:
    """A reading that passed the checks; `needs_review` readings are held for a clinician, not scored."""

    code: str
    parameter: str
    value: float
    unit: str
    needs_review: bool
    review_reason: str | None = None


def validate_reading(code: str, value: float, unit: str) -> ValidatedReading:
    """Check a reading's LOINC code, UCUM unit and value; raise ReadingRejected when it cannot be right."""
    sign = VITAL_SIGNS.get(code)
    if sign is None:
        known = ", ".join(f"{c} ({s.display})" for c, s in VITAL_SIGNS.items())
        raise ReadingRejected(code, value, unit, f"unknown LOINC code; accepted codes are {known}")
    if unit != sign.unit:
        raise ReadingRejected(
            code, value, unit, f"{sign.display} must be in UCUM unit {sign.unit!r}, not {unit!r}"
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ReadingRejected(code, value, unit, "the value must be a finite number")
    low, high = sign.possible
    if not low <= value <= high:
        raise ReadingRejected(
            code,
            value,
            unit,
            f"{sign.display} of {value} {sign.unit} is outside the possible range {low}-{high} {sign.unit}",
        )
    plausible_low, plausible_high = sign.plausible
    if plausible_low <= value <= plausible_high:
        return ValidatedReading(code, sign.parameter, float(value), unit, needs_review=False)
    reason = (
        f"{sign.display} of {value} {sign.unit} is outside the usual range "
        f"{plausible_low}-{plausible_high} {sign.unit}: check the device and the patient"
    )
    return ValidatedReading(code, sign.parameter, float(value), unit, needs_review=True, review_reason=reason)
