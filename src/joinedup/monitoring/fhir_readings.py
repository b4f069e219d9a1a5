"""Which Observations POSTed to the FHIR API are device readings of a patient on a virtual ward, and so go
through the monitoring path (stored once per device and time, rules run, alerts raised), exactly as MQTT
readings do. Everything else is stored by the record as any Observation. Reads only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from joinedup.fhir.validation import NHS_NUMBER_SYSTEM
from joinedup.monitoring.observations import ACVPU_CODE, LOINC, SNOMED
from joinedup.monitoring.vitals import VITAL_SIGNS
from joinedup.record import nhs_number as nhs
from joinedup.wards import service as wards


def is_monitored_reading(session: Session, body: Mapping[str, Any]) -> bool:
    """True for a vital sign (LOINC, or ACVPU in SNOMED CT) naming a device, for a patient with an open
    virtual-ward stay. Such a reading must never bypass the rules, even when it is malformed: the
    monitoring path then refuses it with its reason."""
    if body.get("resourceType") != "Observation" or not _names_device(body) or not _is_vital_sign(body):
        return False
    subject = body.get("subject")
    if not isinstance(subject, Mapping):
        return False
    ident = subject.get("identifier")
    if isinstance(ident, Mapping) and ident.get("system") == NHS_NUMBER_SYSTEM:
        value = str(ident.get("value", ""))
        return nhs.is_valid(value) and wards.get_open_admission(session, nhs.normalise(value)) is not None
    reference = subject.get("reference")
    if isinstance(reference, str) and reference.startswith("Patient/"):
        patient_id = reference.removeprefix("Patient/")
        return bool(patient_id) and bool(wards.open_admissions_by_patient_id(session, [patient_id]))
    return False


def _names_device(body: Mapping[str, Any]) -> bool:
    device = body.get("device")
    ident = device.get("identifier") if isinstance(device, Mapping) else None
    return isinstance(ident, Mapping) and isinstance(ident.get("value"), str) and bool(ident["value"].strip())


def _is_vital_sign(body: Mapping[str, Any]) -> bool:
    code = body.get("code")
    codings = code.get("coding") if isinstance(code, Mapping) else None
    for coding in codings if isinstance(codings, list) else []:
        if not isinstance(coding, Mapping):
            continue
        if coding.get("system") == LOINC and coding.get("code") in VITAL_SIGNS:
            return True
        if coding.get("system") == SNOMED and coding.get("code") == ACVPU_CODE:
            return True
    return False
