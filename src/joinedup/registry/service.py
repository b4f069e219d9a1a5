"""Registry use cases: load reference data, and every query other areas may ask of the registry.

Other areas use the registry only through this module. Services add and flush; the caller commits.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from joinedup.errors import Invalid
from joinedup.registry import loader, ods_loader
from joinedup.registry.answers import (
    AreaDetail,
    LoadSummary,
    OrganisationDetail,
    PlaceRead,
    RegistryDiff,
    ResponsibleBody,
    SiteDetail,
    Snapshot,
)
from joinedup.registry.details import area_detail, organisation_detail, site_detail
from joinedup.registry.ics_file import read_ics_file
from joinedup.registry.ods_csv import read_ods_extract
from joinedup.registry.queries import (
    bed_history,
    diff,
    get_area,
    get_area_or_raise,
    get_organisation,
    get_organisation_by_ods,
    get_organisation_or_raise,
    get_site,
    get_site_or_raise,
    list_areas,
    list_bed_pools,
    list_organisations,
    list_sites,
    list_teams,
    list_workforce,
    ods_codes,
    resolve_place,
    snapshot,
)
from joinedup.registry.responsibility import find_area, responsible
from joinedup.registry.schemas import (
    AreaRead,
    BedPoolRead,
    CapacityStep,
    OrganisationRead,
    SiteRead,
    TeamRead,
    WorkforceRead,
)

__all__ = [
    "AreaDetail",
    "AreaRead",
    "BedPoolRead",
    "CapacityStep",
    "LoadSummary",
    "OrganisationDetail",
    "OrganisationRead",
    "PlaceRead",
    "RegistryDiff",
    "ResponsibleBody",
    "SiteDetail",
    "SiteRead",
    "Snapshot",
    "TeamRead",
    "WorkforceRead",
    "area_detail",
    "bed_history",
    "diff",
    "find_area",
    "get_area",
    "get_area_or_raise",
    "get_organisation",
    "get_organisation_by_ods",
    "get_organisation_or_raise",
    "get_site",
    "get_site_or_raise",
    "list_areas",
    "list_bed_pools",
    "list_organisations",
    "list_sites",
    "list_teams",
    "list_workforce",
    "load_file",
    "load_reference_data",
    "ods_codes",
    "organisation_detail",
    "reference_files",
    "resolve_place",
    "responsible",
    "site_detail",
    "snapshot",
]

DATA = Path(__file__).resolve().parents[1] / "data"
# England's commissioning history first (areas, national bodies), then each ICS that builds on it.
REFERENCE_FOLDERS = ("england", "ics")
# ODS publishes its extracts as .zip files holding one .csv; either may be loaded.
ODS_SUFFIXES = (".csv", ".zip")


def reference_files(data: Path | None = None) -> list[Path]:
    """The bundled reference files in load order: data/england/*.toml, then data/ics/*.toml."""
    data = data or DATA
    files: list[Path] = []
    for folder in REFERENCE_FOLDERS:
        files += sorted((data / folder).glob("*.toml"))
    return files


def load_file(session: Session, path: Path | str) -> LoadSummary:
    """Load one ICS TOML file or ODS extract (.csv or .zip), whole or not at all (one savepoint)."""
    path = Path(path)
    if not path.is_file():
        raise Invalid(f"{path}: no such file.")
    try:
        with session.begin_nested():
            if path.suffix.lower() in ODS_SUFFIXES:
                return ods_loader.apply_extract(session, read_ods_extract(path))
            return loader.apply(session, read_ics_file(path))
    except IntegrityError as exc:
        raise Invalid(f"{path}: breaks a registry rule ({exc.orig}); nothing was loaded.") from None


def load_reference_data(session: Session) -> str:
    """Load every bundled reference file (England, then each ICS); one line saying what was loaded."""
    summaries = [load_file(session, path) for path in reference_files()]
    if not summaries:
        return "no reference files found"
    return "; ".join(summary.line().replace(f"{DATA}/", "") for summary in summaries)
