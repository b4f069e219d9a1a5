"""Check resources before they are stored: type, FHIR validation, patient compartment, NHS number clashes.

Each check raises the error the FHIR edge answers with (400, 409, 422); nothing here writes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from joinedup.errors import BadRequest, Conflict, Invalid
from joinedup.fhir.datetimes import parse_range
from joinedup.fhir.search_params import COMPARTMENT, STORED_TYPES, patient_of
from joinedup.fhir.validation import (
    NHS_NUMBER_SYSTEM,
    check_type,
    nhs_number_of,
    normalise_nhs_numbers,
    validate_resource,
)
from joinedup.record.models import StoredResource, TokenIndex

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}", re.ASCII)


def new_id() -> str:
    """A server-assigned logical id (FHIR ids are at most 64 of [A-Za-z0-9-.])."""
    return str(uuid.uuid4())


def check_id(resource_id: str) -> str:
    if not _ID.fullmatch(resource_id):
        raise BadRequest(f"{resource_id!r} is not a FHIR id (1-64 letters, digits, '-' or '.')")
    return resource_id


def prepare(body: Mapping[str, Any], expected_type: str | None, label: str = "") -> dict[str, Any]:
    """A validated copy of `body` (NHS numbers as ten digits); errors prefixed with `label`."""
    try:
        check_type(body, expected_type, STORED_TYPES)
        validate_resource(body)
        copy = dict(body)
        if copy["resourceType"] == "Patient":
            copy["identifier"] = [dict(i) for i in copy.get("identifier", [])]
            normalise_nhs_numbers(copy)
        else:
            _check_compartment(copy)
        return copy
    except (BadRequest, Invalid) as exc:
        if not label:
            raise
        raise type(exc)(f"{label}{exc.detail}") from None


def _check_compartment(body: Mapping[str, Any]) -> None:
    element = COMPARTMENT[str(body["resourceType"])]
    if patient_of(body) is None:
        raise Invalid(f"{body['resourceType']}.{element}: must refer to the Patient it is about (Patient/id)")


def idempotency_key(body: Mapping[str, Any]) -> str | None:
    """Device identifier + effective time + code of a device reading, so a retried reading is stored once.

    The code is part of the key because one device (a pulse oximeter) sends several readings at one time.
    """
    if body.get("resourceType") != "Observation":
        return None
    device = body.get("device")
    ident = device.get("identifier") if isinstance(device, Mapping) else None
    effective = body.get("effectiveDateTime") or body.get("effectiveInstant")
    if not isinstance(ident, Mapping) or not ident.get("value") or not isinstance(effective, str):
        return None
    codings = (body.get("code") or {}).get("coding") or [{}]
    first = codings[0]
    when = parse_range(effective).low.isoformat()
    parts = (ident.get("system", ""), ident["value"], when, first.get("system", ""), first.get("code", ""))
    return "|".join(str(p) for p in parts)[:400]


def check_nhs_numbers(session: Session, patients: Sequence[Mapping[str, Any]]) -> None:
    """Conflict when an NHS number is already another patient's, or twice in one batch."""
    numbers: dict[str, str] = {}
    for patient in patients:
        number = nhs_number_of(patient)
        if number is None:
            continue
        if number in numbers:
            raise Conflict(f"NHS number {number} is given to two patients in the same request")
        numbers[number] = str(patient.get("id"))
    if not numbers:
        return
    R, T = StoredResource, TokenIndex
    rows = session.execute(
        select(T.code, R.resource_id)
        .join(R, and_(R.pk == T.resource_pk, R.is_deleted.is_(False)))
        .where(
            T.resource_type == "Patient",
            T.param == "identifier",
            T.system == NHS_NUMBER_SYSTEM,
            T.code.in_(sorted(numbers)),
        )
    )
    for number, owner in rows:
        if owner != numbers[number]:
            raise Conflict(f"NHS number {number} already belongs to Patient/{owner}")
