"""What public voice asks of the registry: places to choose from, their names, who runs them, and the
place names that redaction must leave alone (a hospital called "St Mary's" is not a person called Mary)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from joinedup.registry import service as registry
from joinedup.voice.schemas import PlaceRef

_SUFFIX = re.compile(
    r"\s+(?:community\s+hospital|hospital|infirmary|nhs\s+(?:foundation\s+)?trust)$", re.IGNORECASE
)


@dataclass(frozen=True)
class PlaceOption:
    """One choice in the form's place list: the value sent as `about`, and the label a person reads."""

    value: str
    label: str


@dataclass(frozen=True)
class PlaceGroups:
    """The form's place list, grouped as a person looks for a place."""

    organisations: list[PlaceOption]
    sites: list[PlaceOption]
    services: list[PlaceOption]

    @property
    def values(self) -> set[str]:
        return {o.value for o in (*self.organisations, *self.sites, *self.services)}


def place_choices(session: Session, *, on: date) -> PlaceGroups:
    """Every organisation, site and service open on `on` (organisations by ODS code if they have one)."""
    snap = registry.snapshot(session, on=on)
    organisations = [
        PlaceOption(o.ods_code or o.id, f"{o.name} ({o.ods_code})" if o.ods_code else o.name)
        for o in snap.organisations
        if o.kind != "healthwatch"
    ]
    sites = [PlaceOption(s.id, f"{s.name}, {s.town}" if s.town else s.name) for s in snap.sites]
    services = [
        PlaceOption(svc.id, f"{svc.name} at {site.name}") for site in snap.sites for svc in site.services
    ]
    return PlaceGroups(
        sorted(organisations, key=lambda o: o.label),
        sorted(sites, key=lambda o: o.label),
        sorted(services, key=lambda o: o.label),
    )


def place_words(session: Session, *, on: date) -> list[str]:
    """Names, aliases and towns of every organisation, site, service and area, with short forms
    ("Rutland Memorial" for "Rutland Memorial Hospital"): never redacted as people's names."""
    snap = registry.snapshot(session, on=on)
    words: set[str] = set()
    for org in snap.organisations:
        words.update([org.name, *org.aliases])
    for site in snap.sites:
        words.update(n for n in (site.name, site.town) if n)
        words.update(svc.name for svc in site.services)
    for area in registry.list_areas(session):
        words.update([area.name, *area.aliases])
    words.update(_SUFFIX.sub("", w) for w in list(words))
    return sorted(w for w in words if w.strip())


def responsible_organisation(session: Session, place: registry.PlaceRead, *, on: date) -> str | None:
    """The registry id of the organisation that ran `place` on `on` (None if the registry does not say)."""
    if place.kind == "organisation":
        return place.id
    snap = registry.snapshot(session, on=on)
    for site in snap.sites:
        operator = site.operators[0].organisation_id if site.operators else None
        if place.kind == "site" and site.id == place.id:
            return operator
        for service in site.services:
            if place.kind == "service" and service.id == place.id:
                return service.organisation_id or operator
    return None


def places_named(session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], PlaceRef]:
    """Registry names of the places (kind, id), whether or not they are still open; a service open today is
    named with its site ("Emergency department at Leicester Royal Infirmary")."""
    wanted = set(keys)
    services: dict[str, str] = {}
    if any(kind == "service" for kind, _ in wanted):
        for site in registry.snapshot(session, on=date.today()).sites:
            services.update({svc.id: f"{svc.name} at {site.name}" for svc in site.services})
    named: dict[tuple[str, str], PlaceRef] = {}
    for kind, place_id in wanted:
        if kind == "organisation":
            org = registry.get_organisation(session, place_id)
            if org is not None:
                named[(kind, place_id)] = PlaceRef(kind=kind, id=org.id, name=org.name, ods_code=org.ods_code)
                continue
        found = registry.resolve_place(session, place_id)
        name = found.name if found is not None and found.kind == kind else place_id
        named[(kind, place_id)] = PlaceRef(kind=kind, id=place_id, name=services.get(place_id, name))
    return named


def organisation_named(session: Session, organisation_id: str) -> PlaceRef:
    """An organisation by registry id, as a place (its id shown if the registry no longer has it)."""
    org = registry.get_organisation(session, organisation_id)
    if org is None:
        return PlaceRef(kind="organisation", id=organisation_id, name=organisation_id)
    return PlaceRef(kind="organisation", id=org.id, name=org.name, ods_code=org.ods_code)
