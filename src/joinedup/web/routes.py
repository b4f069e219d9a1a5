"""The router table: every area's routers and their URL prefixes, in one place."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from fastapi import APIRouter, Depends

from joinedup.web.auth import current_principal, public


@dataclass(frozen=True)
class Mount:
    """One area router: `module` exposes `attr` (an APIRouter), served under `prefix`.

    Every route needs a signed-in caller (token or session) unless its mount is `public`.
    """

    module: str
    prefix: str = ""
    public: bool = False
    attr: str = "router"


# Routers are tried in this order, each route in turn, so the FHIR API (apps and devices, the most requests)
# comes first; no other router serves a path under /fhir, so the order changes no request's route.
MOUNTS: tuple[Mount, ...] = (
    Mount("joinedup.fhir.api", "/fhir", attr="public_router", public=True),
    Mount("joinedup.fhir.api", "/fhir"),
    Mount("joinedup.web.health", public=True),
    Mount("joinedup.registry.api", "/api/registry", public=True),
    Mount("joinedup.registry.pages", public=True),
    Mount("joinedup.access.pages", attr="public_router", public=True),
    Mount("joinedup.access.pages"),
    Mount("joinedup.access.api", "/api/access"),
    Mount("joinedup.capacity.api", "/api/capacity"),
    Mount("joinedup.capacity.pages"),
    Mount("joinedup.plan.api", "/api/plan"),
    Mount("joinedup.plan.pages"),
    Mount("joinedup.plan.whatif_api", "/api/plan"),
    Mount("joinedup.plan.whatif_pages"),
    Mount("joinedup.wards.api", "/api/wards"),
    Mount("joinedup.wards.pages"),
    Mount("joinedup.discharge.api", "/api/discharge"),
    Mount("joinedup.discharge.pages"),
    Mount("joinedup.monitoring.api", "/api/monitoring"),
    Mount("joinedup.record.pages"),
    Mount("joinedup.voice.api", "/api/voice", attr="public_router", public=True),
    Mount("joinedup.voice.api", "/api/voice"),
    Mount("joinedup.voice.pages", attr="public_router", public=True),
    Mount("joinedup.voice.staff_pages"),
    Mount("joinedup.voice.action_api", "/api/voice/actions"),
    Mount("joinedup.voice.action_pages", attr="public_router", public=True),
    Mount("joinedup.voice.action_pages"),
)


def load(mount: Mount) -> APIRouter:
    """The mount's router under its prefix, behind the sign-in check (or marked public on purpose)."""
    router: APIRouter = getattr(importlib.import_module(mount.module), mount.attr)
    guard = Depends(public) if mount.public else Depends(current_principal)
    guarded = APIRouter(dependencies=[guard])
    guarded.include_router(router, prefix=mount.prefix)
    return guarded
