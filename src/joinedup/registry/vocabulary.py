"""The registry's controlled vocabularies: kinds of area, organisation, site, succession and bed setting."""

from __future__ import annotations

from typing import Literal, get_args

AreaKind = Literal["county", "city", "unitary authority", "ceremonial county", "region", "district", "place"]

# Ordered from the widest tier of NHS administration to the most local, then everything else.
OrganisationKind = Literal[
    "regional hospital board",
    "regional health authority",
    "strategic health authority",
    "area health authority",
    "district health authority",
    "health authority",
    "primary care trust",
    "clinical commissioning group",
    "integrated care board",
    "nhs trust",
    "nhs foundation trust",
    "ambulance service",
    "out-of-hours provider",
    "social enterprise",
    "independent provider",
    "gp practice",
    "local authority",
    "healthwatch",
]

SuccessionKind = Literal["merge", "split", "rename", "transfer"]

SiteKind = Literal[
    "acute hospital", "community hospital", "mental health unit", "birth centre", "gp surgery", "other"
]

BedSetting = Literal["acute", "community", "maternity", "mental health", "virtual"]

StaffGroup = Literal["nurses", "doctors", "allied health", "social workers", "gps", "support", "all"]

AREA_KINDS: tuple[str, ...] = get_args(AreaKind)
ORGANISATION_KINDS: tuple[str, ...] = get_args(OrganisationKind)
SUCCESSION_KINDS: tuple[str, ...] = get_args(SuccessionKind)
SITE_KINDS: tuple[str, ...] = get_args(SiteKind)
BED_SETTINGS: tuple[str, ...] = get_args(BedSetting)
STAFF_GROUPS: tuple[str, ...] = get_args(StaffGroup)


def kind_rank(kind: str) -> int:
    """Position of an organisation kind from the widest tier to the most local (unknown kinds last)."""
    return ORGANISATION_KINDS.index(kind) if kind in ORGANISATION_KINDS else len(ORGANISATION_KINDS)


def is_assumption(source: str) -> bool:
    """A fact is an assumption when its source says so (STYLE: assumptions are labelled `assumption`)."""
    return "assumption" in source.lower()
