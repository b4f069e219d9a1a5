"""Read a device reading sent as a FHIR R4 Observation into plain values, refusing what cannot be used.

The shape follows the FHIR R4 vital signs profile: LOINC code, `valueQuantity` in UCUM, `effectiveDateTime`
with a time zone, the device by identifier (`Observation.device.identifier`), the patient by NHS number
identifier or by `Patient/id` reference. Consciousness (ACVPU) comes as SNOMED CT 1104441000000107 with the
letter in `valueString` (or `valueCodeableConcept.text`). Value ranges are checked by
`vitals.validate_reading`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from joinedup.errors import Invalid
from joinedup.fhir.validation import NHS_NUMBER_SYSTEM
from joinedup.monitoring.news2 import ACVPU
from joinedup.record import nhs_number as nhs

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ACVPU_CODE = "1104441000000107"
"""SNOMED CT: ACVPU (Alert Confusion Voice Pain Unresponsive) scale score, as UK NEWS2 records use."""
FUTURE_TOLERANCE = timedelta(minutes=5)
"""Device clocks drift: a reading up to five minutes ahead is taken as now; beyond that it is refused."""


class ReadingRefused(Invalid):
    """A reading that cannot be stored; the detail says why in words the sender can act on."""


@dataclass(frozen=True)
class IncomingReading:
    """The parts of a reading joinedup needs, read from its Observation."""

    code: str
    value: float | None
    value_text: str | None
    unit: str
    effective_at: datetime
    device_system: str
    device_value: str
    nhs_number: str | None
    patient_id: str | None

    @property
    def device(self) -> str:
        return f"{self.device_system}|{self.device_value}"

    @property
    def is_consciousness(self) -> bool:
        return self.code == ACVPU_CODE


def read_observation(body: Mapping[str, Any], *, now: datetime) -> IncomingReading:
    """The reading in `body`; ReadingRefused naming the first thing wrong with it."""
    if body.get("resourceType") != "Observation":
        raise ReadingRefused(f"a reading must be a FHIR Observation, not {body.get('resourceType')!r}")
    device_system, device_value = _device(body)
    nhs_number, patient_id = _subject(body)
    effective_at = _effective(body, now)
    system, code = _code(body)
    if code == ACVPU_CODE and system == SNOMED:
        text = _acvpu(body)
        return IncomingReading(
            code, None, text, "{ACVPU}", effective_at, device_system, device_value, nhs_number, patient_id
        )
    if system != LOINC:
        raise ReadingRefused(
            f"Observation.code: a vital sign needs a LOINC code (system {LOINC}), not {system!r}"
        )
    value, unit = _quantity(body)
    return IncomingReading(
        code, value, None, unit, effective_at, device_system, device_value, nhs_number, patient_id
    )


def _device(body: Mapping[str, Any]) -> tuple[str, str]:
    device = body.get("device")
    ident = device.get("identifier") if isinstance(device, Mapping) else None
    if (
        not isinstance(ident, Mapping)
        or not isinstance(ident.get("value"), str)
        or not ident["value"].strip()
    ):
        raise ReadingRefused("Observation.device.identifier: a reading must name the device that took it")
    return str(ident.get("system") or ""), ident["value"].strip()


def _subject(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    subject = body.get("subject")
    if not isinstance(subject, Mapping):
        raise ReadingRefused(
            "Observation.subject: a reading must name the patient (NHS number or Patient/id)"
        )
    ident = subject.get("identifier")
    if isinstance(ident, Mapping) and ident.get("system") == NHS_NUMBER_SYSTEM:
        value = str(ident.get("value", ""))
        number = _nhs_number(value)
        if number is None:
            raise ReadingRefused(f"Observation.subject.identifier: {value!r} is not a valid NHS number")
        return number, None
    reference = subject.get("reference")
    if isinstance(reference, str) and reference.startswith("Patient/") and len(reference) > len("Patient/"):
        return None, reference.removeprefix("Patient/")
    raise ReadingRefused(
        f"Observation.subject: name the patient by NHS number (identifier system {NHS_NUMBER_SYSTEM}) "
        "or as Patient/id"
    )


@functools.lru_cache(maxsize=4096)
def _nhs_number(value: str) -> str | None:
    """The NHS number as ten digits, None when not valid (Modulus 11); a kit sends the same one all day."""
    return nhs.normalise(value) if nhs.is_valid(value) else None


def _effective(body: Mapping[str, Any], now: datetime) -> datetime:
    text = body.get("effectiveDateTime") or body.get("effectiveInstant")
    if not isinstance(text, str):
        raise ReadingRefused("Observation.effectiveDateTime: a reading must say when it was taken")
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ReadingRefused(f"Observation.effectiveDateTime: {text!r} is not a date and time") from None
    if at.tzinfo is None or at.utcoffset() is None or "T" not in text:
        raise ReadingRefused(f"Observation.effectiveDateTime: {text!r} needs a time and a time zone (e.g. Z)")
    at = at.astimezone(UTC)
    if at > now + FUTURE_TOLERANCE:
        raise ReadingRefused(
            f"Observation.effectiveDateTime: {text} is in the future (now {now:%Y-%m-%dT%H:%M:%SZ}); "
            "check the device clock"
        )
    return at


def _code(body: Mapping[str, Any]) -> tuple[str, str]:
    codings = (body.get("code") or {}).get("coding") if isinstance(body.get("code"), Mapping) else None
    if not isinstance(codings, list) or not codings:
        raise ReadingRefused("Observation.code.coding: a reading needs a coded kind (LOINC)")
    for coding in codings:
        if isinstance(coding, Mapping) and coding.get("system") in (LOINC, SNOMED) and coding.get("code"):
            return str(coding["system"]), str(coding["code"])
    first = codings[0] if isinstance(codings[0], Mapping) else {}
    return str(first.get("system")), str(first.get("code"))


def _quantity(body: Mapping[str, Any]) -> tuple[float, str]:
    quantity = body.get("valueQuantity")
    if not isinstance(quantity, Mapping):
        raise ReadingRefused("Observation.valueQuantity: a vital sign needs a value with a UCUM unit")
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReadingRefused(f"Observation.valueQuantity.value: {value!r} is not a number")
    system = quantity.get("system")
    if system is not None and system != UCUM:
        raise ReadingRefused(f"Observation.valueQuantity.system: units must be UCUM ({UCUM}), not {system!r}")
    unit = quantity.get("code") or quantity.get("unit")
    if not isinstance(unit, str) or not unit:
        raise ReadingRefused("Observation.valueQuantity.code: the UCUM unit is missing")
    return float(value), unit


def _acvpu(body: Mapping[str, Any]) -> str:
    concept = body.get("valueCodeableConcept")
    text = body.get("valueString")
    if text is None and isinstance(concept, Mapping):
        text = concept.get("text")
    if not isinstance(text, str) or text.strip().upper() not in ACVPU:
        raise ReadingRefused(f"ACVPU: the value must be one of A, C, V, P, U, not {text!r}")
    return text.strip().upper()
