"""A patient's joined-up timeline and vital-sign series, from the FHIR resources of their record. Pure.

Every provider's episodes and encounters in one list, newest first, each naming its organisation (the
registry's name, looked up by the caller); observations become one time series per vital sign for charts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from joinedup.fhir.datetimes import parse_range
from joinedup.fhir.search_params import parse_reference
from joinedup.record.vital_signs import BY_CODE, VitalSign

Resource = Mapping[str, Any]
ENCOUNTER_CLASSES = {
    "AMB": "Appointment",
    "IMP": "Hospital stay",
    "EMER": "Emergency department",
    "HH": "Home visit",
    "VR": "Virtual consultation",
    "OBSENC": "Observation stay",
}


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to the patient, with the provider that did it."""

    start: datetime
    end: datetime | None
    kind: str
    title: str
    provider_id: str | None
    status: str
    detail: str = ""


@dataclass
class Series:
    """One vital sign over time, ready for a chart."""

    sign: VitalSign
    times: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


def _text(concepts: Any) -> str:
    for concept in concepts if isinstance(concepts, list) else [concepts]:
        if not isinstance(concept, Mapping):
            continue
        if concept.get("text"):
            return str(concept["text"])
        for coding in concept.get("coding") or []:
            if coding.get("display"):
                return str(coding["display"])
    return ""


def _provider(reference: Any) -> str | None:
    ref = parse_reference(str(reference.get("reference", ""))) if isinstance(reference, Mapping) else None
    return ref.target_id if ref is not None and ref.target_type == "Organization" else None


def _period(resource: Resource) -> tuple[datetime, datetime | None] | None:
    period = resource.get("period") or {}
    if not period.get("start"):
        return None
    end = parse_range(period["end"]).low if period.get("end") else None
    return parse_range(period["start"]).low, end


def timeline(resources: Sequence[Resource]) -> list[TimelineEntry]:
    """Episodes of care and encounters of every provider, newest first."""
    entries = []
    for resource in resources:
        kind, when = resource.get("resourceType"), _period(resource)
        if when is None:
            continue
        if kind == "EpisodeOfCare":
            title = _text(resource.get("type")) or "Episode of care"
            entries.append(
                TimelineEntry(
                    when[0],
                    when[1],
                    "Episode of care",
                    title,
                    _provider(resource.get("managingOrganization")),
                    str(resource.get("status")),
                )
            )
        elif kind == "Encounter":
            klass = (resource.get("class") or {}).get("code", "")
            title = _text(resource.get("type")) or ENCOUNTER_CLASSES.get(klass, "Encounter")
            detail = _text(resource.get("reasonCode"))
            entries.append(
                TimelineEntry(
                    when[0],
                    when[1],
                    ENCOUNTER_CLASSES.get(klass, "Encounter"),
                    title,
                    _provider(resource.get("serviceProvider")),
                    str(resource.get("status")),
                    detail,
                )
            )
    return sorted(entries, key=lambda e: e.start, reverse=True)


def vital_sign_series(observations: Sequence[Resource]) -> list[Series]:
    """One series per vital sign found, oldest reading first; other observations are left out."""
    found: dict[str, Series] = {}
    readings: list[tuple[datetime, str, float]] = []
    for obs in observations:
        value = (obs.get("valueQuantity") or {}).get("value")
        when = obs.get("effectiveDateTime") or obs.get("effectiveInstant")
        if not isinstance(value, int | float) or not isinstance(when, str):
            continue
        for coding in (obs.get("code") or {}).get("coding") or []:
            if coding.get("code") in BY_CODE:
                readings.append((parse_range(when).low, str(coding["code"]), float(value)))
                break
    for moment, code, value in sorted(readings):
        series = found.setdefault(code, Series(BY_CODE[code]))
        series.times.append(moment.isoformat())
        series.values.append(value)
    return [found[sign.code] for sign in BY_CODE.values() if sign.code in found]
