"""One integrated care system as the registry sees it on a day: the bodies and sites of its areas."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from joinedup.registry import models as m
from joinedup.registry.answers import SiteAsOf, SystemOverview
from joinedup.registry.queries import snapshot
from joinedup.registry.responsibility import area_chain, find_area, responsible
from joinedup.registry.schemas import AreaRead, OrganisationRead
from joinedup.registry.vocabulary import kind_rank

# Leicester, Leicestershire and Rutland: the system joinedup shows first (seed 000, seed 002).
LLR_AREAS = ("Leicester", "Leicestershire", "Rutland")


def _areas_within(session: Session, top: list[str]) -> set[str]:
    parents = dict(session.execute(select(m.Area.id, m.Area.part_of_id)).all())
    return {area_id for area_id in parents if set(area_chain(area_id, parents)) & set(top)}


def system_overview(session: Session, *, areas: Sequence[str] = LLR_AREAS, on: date) -> SystemOverview:
    """Organisations responsible for, operating in or giving care in the areas (and areas within them)."""
    found: list[AreaRead] = [find_area(session, name) for name in areas]
    within = _areas_within(session, [a.id for a in found])
    whole = snapshot(session, on=on)
    sites: list[SiteAsOf] = [s for s in whole.sites if s.area_id in within]
    site_ids = {s.id for s in sites}
    pool_ids = {p.id for s in sites for p in s.bed_pools}
    members = {body.organisation_id for a in found for body in responsible(session, area=a.id, on=on)}
    members |= set(
        session.scalars(
            select(m.Responsibility.organisation_id).where(
                m.Responsibility.area_id.in_(within), m.Responsibility.in_effect(on)
            )
        )
    )
    members |= {op.organisation_id for s in sites for op in s.operators}
    members |= {sv.organisation_id for s in sites for sv in s.services if sv.organisation_id}
    members |= set(
        session.scalars(
            select(m.Team.organisation_id).where(
                m.Team.in_effect(on), or_(m.Team.site_id.in_(site_ids), m.Team.pool_id.in_(pool_ids))
            )
        )
    )
    organisations: list[OrganisationRead] = [o for o in whole.organisations if o.id in members]
    organisations.sort(key=lambda o: (kind_rank(o.kind), o.name.casefold()))
    return SystemOverview(on=on, areas=found, organisations=organisations, sites=sites)
