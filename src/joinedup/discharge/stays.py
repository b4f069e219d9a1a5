"""Is the patient in hospital? Their open inpatient stay at a site, read from the shared care record.

A stay is an Encounter of class inpatient (HL7 v3 ActCode IMP, ACUTE or NONAC) whose status is still open
(arrived, triaged, in-progress, onleave: FHIR R4 Encounter.status) and whose location is the registry site
(`Location/<site id>`), or, when it names no location, whose provider runs that site.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from joinedup.fhir.search_query import parse_search
from joinedup.record import service as record
from joinedup.record.service import Actor
from joinedup.registry import service as registry

INPATIENT_CLASSES = frozenset({"IMP", "ACUTE", "NONAC"})
OPEN_STATUSES = ("arrived", "triaged", "in-progress", "onleave")


def _site_operators(session: Session, site_id: str, on: datetime) -> set[str]:
    day = on.date()
    return {
        op.organisation_id
        for op in registry.site_detail(session, site_id).operators
        if (op.start is None or op.start <= day) and (op.end is None or op.end > day)
    }


def _start(body: Mapping[str, Any]) -> datetime | None:
    text = str((body.get("period") or {}).get("start") or "")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def _is_at(body: Mapping[str, Any], site_id: str, operators: set[str] | None) -> bool:
    locations = [
        str((entry.get("location") or {}).get("reference", "")) for entry in body.get("location") or []
    ]
    if locations:
        return f"Location/{site_id}" in locations
    provider = str((body.get("serviceProvider") or {}).get("reference", ""))
    return operators is not None and provider.removeprefix("Organization/") in operators


def open_hospital_stay(session: Session, *, actor: Actor, patient_id: str, site_id: str) -> datetime | None:
    """When the patient's open inpatient stay at `site_id` began, or None when they are not in hospital there.

    The record search is the caller's own: authorised and audited, refused (403) without a relationship.
    """
    request = parse_search(
        "Encounter", [("patient", patient_id), ("status", ",".join(OPEN_STATUSES)), ("_count", "100")]
    )
    found = record.search(session, actor=actor, request=request)
    operators: set[str] | None = None
    starts = []
    for version in found.versions:
        body = version.body or {}
        if (body.get("class") or {}).get("code") not in INPATIENT_CLASSES:
            continue
        if not body.get("location") and operators is None:
            operators = _site_operators(session, site_id, datetime.now().astimezone())
        start = _start(body)
        if start is not None and _is_at(body, site_id, operators):
            starts.append(start)
    return min(starts, default=None)
