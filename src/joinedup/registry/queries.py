"""Read the registry: entities by id, the registry as of a day, and what changed between two days."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.errors import Invalid, NotFound
from joinedup.registry import models as m
from joinedup.registry.answers import (
    BedChange,
    DiffItem,
    PlaceRead,
    RegistryDiff,
    SiteAsOf,
    SiteMove,
    Snapshot,
)
from joinedup.registry.schemas import (
    AreaRead,
    BedPoolRead,
    CapacityStep,
    OperatorRead,
    OrganisationRead,
    ServiceRead,
    SiteRead,
    TeamRead,
    WorkforceRead,
)
from joinedup.registry.vocabulary import kind_rank


def _by_kind_and_name(org: OrganisationRead) -> tuple[int, str]:
    return kind_rank(org.kind), org.name.casefold()


def list_organisations(
    session: Session, *, on: date | None = None, kind: str | None = None
) -> list[OrganisationRead]:
    """Organisations (in effect on `on`, when given), widest tier first, then by name."""
    query = select(m.Organisation)
    if on is not None:
        query = query.where(m.Organisation.in_effect(on))
    if kind is not None:
        query = query.where(m.Organisation.kind == kind)
    return sorted((OrganisationRead.model_validate(o) for o in session.scalars(query)), key=_by_kind_and_name)


def get_organisation(session: Session, id: str) -> OrganisationRead | None:
    """The organisation with registry id `id`, or None."""
    row = session.get(m.Organisation, id)
    return OrganisationRead.model_validate(row) if row else None


def ods_codes(session: Session, ids: Iterable[str]) -> dict[str, str | None]:
    """Each registry organisation id's ODS code (None if it has none or no such organisation), one query."""
    wanted = set(ids)
    found: dict[str, str | None] = dict.fromkeys(wanted)
    if wanted:
        query = select(m.Organisation.id, m.Organisation.ods_code).where(m.Organisation.id.in_(wanted))
        found.update({org_id: ods for org_id, ods in session.execute(query)})
    return found


def get_organisation_or_raise(session: Session, id: str) -> OrganisationRead:
    """The organisation with registry id `id`; NotFound otherwise."""
    found = get_organisation(session, id)
    if found is None:
        raise NotFound(f"No organisation with id '{id}'.")
    return found


def get_organisation_by_ods(session: Session, ods_code: str) -> OrganisationRead | None:
    """The organisation with this ODS code (any case), or None."""
    row = session.scalars(
        select(m.Organisation).where(m.Organisation.ods_code == ods_code.strip().upper())
    ).first()
    return OrganisationRead.model_validate(row) if row else None


def list_sites(session: Session, *, on: date | None = None) -> list[SiteRead]:
    """Sites (in effect on `on`, when given), by name."""
    query = select(m.Site).order_by(m.Site.name, m.Site.id)
    if on is not None:
        query = query.where(m.Site.in_effect(on))
    return [SiteRead.model_validate(s) for s in session.scalars(query)]


def get_site(session: Session, id: str) -> SiteRead | None:
    """The site with registry id `id`, or None."""
    row = session.get(m.Site, id)
    return SiteRead.model_validate(row) if row else None


def get_site_or_raise(session: Session, id: str) -> SiteRead:
    """The site with registry id `id`; NotFound otherwise."""
    found = get_site(session, id)
    if found is None:
        raise NotFound(f"No site with id '{id}'.")
    return found


def list_areas(session: Session) -> list[AreaRead]:
    """Every area, by name."""
    return [
        AreaRead.model_validate(a) for a in session.scalars(select(m.Area).order_by(m.Area.name, m.Area.id))
    ]


def get_area(session: Session, id: str) -> AreaRead | None:
    """The area with registry id `id`, or None."""
    row = session.get(m.Area, id)
    return AreaRead.model_validate(row) if row else None


def get_area_or_raise(session: Session, id: str) -> AreaRead:
    """The area with registry id `id`; NotFound otherwise."""
    found = get_area(session, id)
    if found is None:
        raise NotFound(f"No area with id '{id}'.")
    return found


def list_bed_pools(session: Session, *, on: date, setting: str | None = None) -> list[BedPoolRead]:
    """Bed pools with their beds on `on`; pools with no capacity that day are left out."""
    query = (
        select(m.BedPool, m.BedCapacity.beds)
        .join(m.BedCapacity, m.BedCapacity.pool_id == m.BedPool.id)
        .where(m.BedCapacity.in_effect(on))
        .order_by(m.BedPool.site_id, m.BedPool.setting, m.BedPool.name, m.BedPool.id)
    )
    if setting is not None:
        query = query.where(m.BedPool.setting == setting)
    return [
        BedPoolRead(
            id=pool.id,
            site_id=pool.site_id,
            setting=pool.setting,
            specialty=pool.specialty,
            name=pool.name,
            beds=beds,
            source=pool.source,
        )
        for pool, beds in session.execute(query)
    ]


def bed_history(session: Session, *, pool_id: str) -> list[CapacityStep]:
    """Every step of a pool's size, oldest first (for the step chart); NotFound for an unknown pool."""
    if session.get(m.BedPool, pool_id) is None:
        raise NotFound(f"No bed pool with id '{pool_id}'.")
    rows = session.scalars(
        select(m.BedCapacity).where(m.BedCapacity.pool_id == pool_id).order_by(m.BedCapacity.start)
    )
    return [CapacityStep.model_validate(row) for row in rows]


def list_teams(session: Session, *, on: date, pool_id: str | None = None) -> list[TeamRead]:
    """Teams in effect on `on` (only those caring for `pool_id`, when given), by name."""
    query = select(m.Team).where(m.Team.in_effect(on)).order_by(m.Team.name, m.Team.id)
    if pool_id is not None:
        query = query.where(m.Team.pool_id == pool_id)
    return [TeamRead.model_validate(t) for t in session.scalars(query)]


def list_workforce(session: Session, *, on: date, staff_group: str | None = None) -> list[WorkforceRead]:
    """Staff figures in effect on `on` (of one staff group, when given), by scope and staff group."""
    query = select(m.Workforce).where(m.Workforce.in_effect(on))
    if staff_group is not None:
        query = query.where(m.Workforce.staff_group == staff_group)
    rows = [WorkforceRead.model_validate(w) for w in session.scalars(query)]
    return sorted(rows, key=_workforce_order)


def _workforce_order(row: WorkforceRead) -> tuple[str, str, str, str, str]:
    scope = (row.organisation_id or "", row.site_id or "", row.pool_id or "", row.team_id or "")
    return (*scope, row.staff_group)


def resolve_place(session: Session, text: str) -> PlaceRead | None:
    """What `text` names: an ODS code, a site, service or organisation id; None if nothing."""
    value = text.strip()
    if not value:
        return None
    org = session.scalars(select(m.Organisation).where(m.Organisation.ods_code == value.upper())).first()
    if org is not None:
        return PlaceRead(kind="organisation", id=org.id, name=org.name, ods_code=org.ods_code)
    slug = value.lower()
    site = session.get(m.Site, slug)
    if site is not None:
        return PlaceRead(kind="site", id=site.id, name=site.name)
    service = session.get(m.Service, slug)
    if service is not None:
        return PlaceRead(kind="service", id=service.id, name=service.name)
    org = session.get(m.Organisation, slug)
    if org is not None:
        return PlaceRead(kind="organisation", id=org.id, name=org.name, ods_code=org.ods_code)
    return None


def _operators_on(session: Session, on: date) -> dict[str, list[OperatorRead]]:
    found: dict[str, list[OperatorRead]] = defaultdict(list)
    for row in session.scalars(select(m.SiteOperator).where(m.SiteOperator.in_effect(on))):
        found[row.site_id].append(OperatorRead.model_validate(row))
    return found


def snapshot(session: Session, *, on: date) -> Snapshot:
    """The whole registry as of `on`: organisations, sites with operators, services and beds, and teams."""
    operators = _operators_on(session, on)
    services: dict[str, list[ServiceRead]] = defaultdict(list)
    query = select(m.Service).where(m.Service.in_effect(on)).order_by(m.Service.name)
    for service in session.scalars(query):
        services[service.site_id].append(ServiceRead.model_validate(service))
    pools: dict[str, list[BedPoolRead]] = defaultdict(list)
    for pool in list_bed_pools(session, on=on):
        pools[pool.site_id].append(pool)
    sites = [
        SiteAsOf(
            **site.model_dump(exclude={"is_assumption"}),
            operators=operators.get(site.id, []),
            services=services.get(site.id, []),
            bed_pools=pools.get(site.id, []),
        )
        for site in list_sites(session, on=on)
    ]
    return Snapshot(
        on=on, organisations=list_organisations(session, on=on), sites=sites, teams=list_teams(session, on=on)
    )


def _in_effect(session: Session, model: Any, on: date) -> dict[str, Any]:
    return {row.id: row for row in session.scalars(select(model).where(model.in_effect(on)))}


def _beds_on(session: Session, on: date) -> dict[str, BedPoolRead]:
    return {pool.id: pool for pool in list_bed_pools(session, on=on)}


def diff(session: Session, *, start: date, end: date) -> RegistryDiff:
    """What opened, closed, moved (changed operator) and changed size between `start` and `end`."""
    if end < start:
        raise Invalid(f"The second date ({end}) is before the first ({start}).")
    opened: list[DiffItem] = []
    closed: list[DiffItem] = []
    kinds = (("organisation", m.Organisation), ("site", m.Site), ("service", m.Service), ("team", m.Team))
    for kind, model in kinds:
        before, after = _in_effect(session, model, start), _in_effect(session, model, end)
        opened += [
            DiffItem(kind=kind, id=i, name=r.name, date=r.start) for i, r in after.items() if i not in before
        ]
        closed += [
            DiffItem(kind=kind, id=i, name=r.name, date=r.end) for i, r in before.items() if i not in after
        ]
    return RegistryDiff(
        start=start,
        end=end,
        opened=sorted(opened, key=lambda item: (item.date or start, item.kind, item.name)),
        closed=sorted(closed, key=lambda item: (item.date or end, item.kind, item.name)),
        moved=_moves(session, start, end),
        changed_size=_bed_changes(session, start, end),
    )


def _moves(session: Session, start: date, end: date) -> list[SiteMove]:
    before, after = _operators_on(session, start), _operators_on(session, end)
    sites = _in_effect(session, m.Site, end)
    moves = []
    for site_id in sorted(set(before) & set(after)):
        old = sorted(op.organisation_name for op in before[site_id])
        new = sorted(op.organisation_name for op in after[site_id])
        if old != new and site_id in sites:
            moves.append(SiteMove(site_id=site_id, site_name=sites[site_id].name, before=old, after=new))
    return moves


def _bed_changes(session: Session, start: date, end: date) -> list[BedChange]:
    before, after = _beds_on(session, start), _beds_on(session, end)
    changes = []
    for pool_id in sorted(set(before) | set(after)):
        pool = after.get(pool_id) or before[pool_id]
        old = before[pool_id].beds if pool_id in before else 0
        new = after[pool_id].beds if pool_id in after else 0
        if old != new:
            changes.append(
                BedChange(
                    pool_id=pool_id,
                    name=pool.name,
                    site_id=pool.site_id,
                    setting=pool.setting,
                    before=old,
                    after=new,
                )
            )
    return changes
