"""FHIR Organization and Location as read-only views of the registry's organisations and sites.

The registry is the one model of the ICS: these resources are built from it on every request, never
stored, so the id of an Organization is the registry id and its ODS code is the identifier
`https://fhir.nhs.uk/Id/ods-organization-code` (as the NHS ODS FHIR API gives it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from joinedup.errors import BadRequest, NotFound
from joinedup.fhir.search_params import fold
from joinedup.fhir.validation import ODS_ORGANISATION_SYSTEM
from joinedup.registry import service as registry

REGISTRY_TYPES = ("Organization", "Location")
ORGANIZATION_PARAMS = {
    "_id": "Registry id",
    "identifier": "ODS code (system|code or code)",
    "name": "Name or former name (starts with, any case)",
    "type": "Kind, e.g. gp practice",
}
LOCATION_PARAMS = {
    "_id": "Registry id",
    "name": "Name (starts with, any case)",
    "address-postalcode": "Postcode (starts with)",
    "address-city": "Town (starts with)",
}
PAGE_LIMIT = 1000


def _is_open(end: date | None) -> bool:
    return end is None or end > date.today()


def organization(org: registry.OrganisationRead) -> dict[str, Any]:
    """The registry organisation as a FHIR Organization."""
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": org.id,
        "active": _is_open(org.end),
        "type": [{"text": org.kind}],
        "name": org.name,
    }
    if org.ods_code:
        resource["identifier"] = [{"system": ODS_ORGANISATION_SYSTEM, "value": org.ods_code}]
    if org.aliases:
        resource["alias"] = list(org.aliases)
    return resource


def location(session: Session, site: registry.SiteRead) -> dict[str, Any]:
    """The registry site as a FHIR Location, managed by the organisation running it today."""
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": site.id,
        "status": "active" if _is_open(site.end) else "inactive",
        "name": site.name,
        "type": [{"text": site.kind}],
        "mode": "instance",
    }
    address = {k: v for k, v in (("city", site.town), ("postalCode", site.postcode)) if v}
    if address:
        resource["address"] = {"country": "GB", **address}
    operators = [o for o in registry.site_detail(session, site.id).operators if _is_open(o.end)]
    if operators:
        current = operators[-1]
        resource["managingOrganization"] = {
            "reference": f"Organization/{current.organisation_id}",
            "display": current.organisation_name,
        }
    return resource


def read(session: Session, resource_type: str, resource_id: str) -> dict[str, Any]:
    """One Organization or Location by registry id; NotFound when the registry has none."""
    if resource_type == "Organization":
        org = registry.get_organisation(session, resource_id)
        if org is not None:
            return organization(org)
    else:
        site = registry.get_site(session, resource_id)
        if site is not None:
            return location(session, site)
    raise NotFound(f"{resource_type}/{resource_id} is not in the registry")


def _starts(value: str | None, wanted: str) -> bool:
    return value is not None and fold(value).startswith(fold(wanted))


def _org_matches(org: registry.OrganisationRead, name: str, value: str) -> bool:
    if name == "_id":
        return org.id == value
    if name == "identifier":
        system, _, code = value.rpartition("|")
        return system in ("", ODS_ORGANISATION_SYSTEM) and (org.ods_code or "").upper() == code.upper()
    if name == "type":
        return org.kind == value
    return any(_starts(n, value) for n in [org.name, *org.aliases])


def _site_matches(site: registry.SiteRead, name: str, value: str) -> bool:
    if name == "_id":
        return site.id == value
    if name == "address-postalcode":
        return _starts(site.postcode, value)
    if name == "address-city":
        return _starts(site.town, value)
    return _starts(site.name, value)


def search(session: Session, resource_type: str, criteria: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Organizations or Locations matching every criterion (comma-separated values are alternatives)."""
    known = ORGANIZATION_PARAMS if resource_type == "Organization" else LOCATION_PARAMS
    for name, _ in criteria:
        if name not in known:
            raise BadRequest(
                f"unknown search parameter {name!r} for {resource_type} (supported: {', '.join(known)})"
            )
    if resource_type == "Organization":
        orgs = [
            o
            for o in registry.list_organisations(session)
            if all(any(_org_matches(o, n, v) for v in raw.split(",")) for n, raw in criteria)
        ]
        return [organization(o) for o in orgs[:PAGE_LIMIT]]
    sites = [
        s
        for s in registry.list_sites(session)
        if all(any(_site_matches(s, n, v) for v in raw.split(",")) for n, raw in criteria)
    ]
    return [location(session, s) for s in sites[:PAGE_LIMIT]]
