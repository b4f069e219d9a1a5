"""Everything the registry knows about one site, organisation or area, over all time (for their pages)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from joinedup.registry import models as m
from joinedup.registry.answers import AreaDetail, OrganisationDetail, PoolHistory, SiteDetail
from joinedup.registry.queries import get_area_or_raise, get_organisation_or_raise, get_site_or_raise
from joinedup.registry.responsibility import area_chain
from joinedup.registry.schemas import (
    AreaRead,
    CapacityStep,
    OperatorRead,
    ResponsibilityRead,
    ServiceRead,
    SiteRead,
    SuccessionRead,
    TeamRead,
    WorkforceRead,
)


def _oldest_first(row: Any) -> tuple[date, str]:
    return (row.start or date.min, str(getattr(row, "name", "")))


def _responsibility(row: m.Responsibility) -> ResponsibilityRead:
    return ResponsibilityRead(
        area_id=row.area_id,
        organisation_id=row.organisation_id,
        organisation_name=row.organisation.name,
        organisation_kind=row.organisation.kind,
        role=row.role,
        start=row.start,
        end=row.end,
        source=row.source,
    )


def _pools(session: Session, site_id: str) -> list[PoolHistory]:
    pools = list(
        session.scalars(select(m.BedPool).where(m.BedPool.site_id == site_id).order_by(m.BedPool.name))
    )
    steps: dict[str, list[CapacityStep]] = {pool.id: [] for pool in pools}
    query = select(m.BedCapacity).where(m.BedCapacity.pool_id.in_(list(steps))).order_by(m.BedCapacity.start)
    for row in session.scalars(query):
        steps[row.pool_id].append(CapacityStep.model_validate(row))
    return [
        PoolHistory(
            id=p.id, setting=p.setting, specialty=p.specialty, name=p.name, source=p.source, steps=steps[p.id]
        )
        for p in pools
    ]


def site_detail(session: Session, site_id: str) -> SiteDetail:
    """A site's operators over time, services, bed pools with their history, teams and workforce."""
    site = get_site_or_raise(session, site_id)
    pool_ids = list(session.scalars(select(m.BedPool.id).where(m.BedPool.site_id == site_id)))
    operators = session.scalars(select(m.SiteOperator).where(m.SiteOperator.site_id == site_id))
    services = session.scalars(select(m.Service).where(m.Service.site_id == site_id))
    teams = session.scalars(
        select(m.Team).where(or_(m.Team.site_id == site_id, m.Team.pool_id.in_(pool_ids)))
    )
    workforce = session.scalars(
        select(m.Workforce).where(or_(m.Workforce.site_id == site_id, m.Workforce.pool_id.in_(pool_ids)))
    )
    area = session.get(m.Area, site.area_id) if site.area_id else None
    return SiteDetail(
        site=site,
        area=AreaRead.model_validate(area) if area else None,
        operators=[OperatorRead.model_validate(o) for o in sorted(operators, key=_oldest_first)],
        services=[ServiceRead.model_validate(s) for s in sorted(services, key=_oldest_first)],
        pools=_pools(session, site_id),
        teams=[TeamRead.model_validate(t) for t in sorted(teams, key=_oldest_first)],
        workforce=[WorkforceRead.model_validate(w) for w in sorted(workforce, key=_oldest_first)],
    )


def _names(session: Session, model: Any, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def organisation_detail(session: Session, organisation_id: str) -> OrganisationDetail:
    """An organisation's sites, services, responsibilities, predecessors and successors, teams, workforce."""
    org = get_organisation_or_raise(session, organisation_id)
    operated = sorted(
        session.scalars(select(m.SiteOperator).where(m.SiteOperator.organisation_id == org.id)),
        key=_oldest_first,
    )
    responsibilities = sorted(
        session.scalars(select(m.Responsibility).where(m.Responsibility.organisation_id == org.id)),
        key=_oldest_first,
    )
    successions = list(
        session.scalars(
            select(m.Succession)
            .where(or_(m.Succession.predecessor_id == org.id, m.Succession.successor_id == org.id))
            .order_by(m.Succession.date)
        )
    )
    services = session.scalars(select(m.Service).where(m.Service.organisation_id == org.id))
    teams = session.scalars(select(m.Team).where(m.Team.organisation_id == org.id))
    workforce = session.scalars(select(m.Workforce).where(m.Workforce.organisation_id == org.id))
    others = {s.predecessor_id for s in successions} | {s.successor_id for s in successions}
    return OrganisationDetail(
        organisation=org,
        sites=[OperatorRead.model_validate(o) for o in operated],
        site_names=_names(session, m.Site, {o.site_id for o in operated}),
        services=[ServiceRead.model_validate(s) for s in sorted(services, key=_oldest_first)],
        responsibilities=[_responsibility(r) for r in responsibilities],
        area_names=_names(session, m.Area, {r.area_id for r in responsibilities}),
        predecessors=[SuccessionRead.model_validate(s) for s in successions if s.successor_id == org.id],
        successors=[SuccessionRead.model_validate(s) for s in successions if s.predecessor_id == org.id],
        organisation_names=_names(session, m.Organisation, others),
        teams=[TeamRead.model_validate(t) for t in sorted(teams, key=_oldest_first)],
        workforce=[WorkforceRead.model_validate(w) for w in sorted(workforce, key=_oldest_first)],
    )


def area_detail(session: Session, area_id: str) -> AreaDetail:
    """An area, the areas it sits in, the areas and sites inside it, and who was responsible for it."""
    area = get_area_or_raise(session, area_id)
    parents = dict(session.execute(select(m.Area.id, m.Area.part_of_id)).all())
    ancestor_ids = area_chain(area.id, parents)[1:]
    ancestors = {a.id: a for a in session.scalars(select(m.Area).where(m.Area.id.in_(ancestor_ids)))}
    children = session.scalars(select(m.Area).where(m.Area.part_of_id == area.id).order_by(m.Area.name))
    sites = session.scalars(select(m.Site).where(m.Site.area_id == area.id).order_by(m.Site.name))
    responsibilities = session.scalars(select(m.Responsibility).where(m.Responsibility.area_id == area.id))
    return AreaDetail(
        area=area,
        ancestors=[AreaRead.model_validate(ancestors[i]) for i in ancestor_ids if i in ancestors],
        children=[AreaRead.model_validate(c) for c in children],
        sites=[SiteRead.model_validate(s) for s in sites],
        responsibilities=[_responsibility(r) for r in sorted(responsibilities, key=_oldest_first)],
    )
