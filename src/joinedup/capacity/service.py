"""Record daily bed censuses and report the live bed state of the system."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.capacity import opel
from joinedup.capacity.models import CensusEntry
from joinedup.capacity.schemas import BedState, CensusCreate, CensusResult, PoolState, SiteState
from joinedup.discharge import service as discharge
from joinedup.errors import Invalid
from joinedup.registry import service as registry
from joinedup.wards import service as wards

# A census older than this is not shown as today's occupancy.
CENSUS_VALID_DAYS = 1


def record_census(session: Session, *, census: CensusCreate, reported_by: str) -> CensusResult:
    """Store a day's census; every pool must exist in the registry that day. Reposting a day replaces it."""
    pools = {p.id: p for p in registry.list_bed_pools(session, on=census.date)}
    seen: set[str] = set()
    for line in census.pools:
        if line.pool_id not in pools:
            raise Invalid(f"pool {line.pool_id!r} has no beds in the registry on {census.date.isoformat()}")
        if line.pool_id in seen:
            raise Invalid(f"pool {line.pool_id!r} appears twice in the census")
        if line.delayed > line.occupied:
            raise Invalid(
                f"pool {line.pool_id!r}: delayed ({line.delayed}) exceeds occupied ({line.occupied})"
            )
        seen.add(line.pool_id)
    now = datetime.now(UTC)
    existing = {
        e.pool_id: e
        for e in session.scalars(
            select(CensusEntry).where(CensusEntry.census_date == census.date, CensusEntry.pool_id.in_(seen))
        )
    }
    for line in census.pools:
        entry = existing.get(line.pool_id)
        if entry is None:
            entry = CensusEntry(pool_id=line.pool_id, census_date=census.date)
            session.add(entry)
        entry.occupied = line.occupied
        entry.delayed = line.delayed
        entry.reported_by = reported_by
        entry.reported_at = now
    session.flush()
    return CensusResult(date=census.date, stored=len(census.pools))


def live_bed_state(session: Session, *, on: date) -> BedState:
    """The bed state with virtual-ward pools counted from their caseload (the census covers the rest) and
    delayed discharges from open discharge referrals."""
    at = datetime.combine(on, time.max, tzinfo=UTC)
    return bed_state(
        session,
        on=on,
        extra_occupied=wards.occupied_by_pool(session, at=at),
        delays=discharge.delayed_by_pool(session, on=on),
    )


def latest_census(session: Session, *, on: date) -> dict[str, CensusEntry]:
    """Each pool's most recent census on or before `on` (within CENSUS_VALID_DAYS)."""
    newest = (
        select(CensusEntry.pool_id, func.max(CensusEntry.census_date).label("day"))
        .where(CensusEntry.census_date <= on)
        .group_by(CensusEntry.pool_id)
        .subquery()
    )
    rows = session.scalars(
        select(CensusEntry).join(
            newest, (CensusEntry.pool_id == newest.c.pool_id) & (CensusEntry.census_date == newest.c.day)
        )
    )
    return {e.pool_id: e for e in rows if (on - e.census_date).days <= CENSUS_VALID_DAYS}


def bed_state(
    session: Session,
    *,
    on: date,
    extra_occupied: dict[str, int] | None = None,
    delays: dict[str, tuple[int, int]] | None = None,
) -> BedState:
    """Beds from the registry and occupancy from the census (or `extra_occupied`, e.g. virtual wards);
    `delays` gives each pool's (delayed patients, delayed bed-days) from discharge referrals."""
    pools = registry.list_bed_pools(session, on=on)
    sites = {s.id: s.name for s in registry.list_sites(session, on=on)}
    census = latest_census(session, on=on)
    extra = extra_occupied or {}
    delayed = delays or {}
    by_site: dict[str, list[PoolState]] = defaultdict(list)
    missing: list[str] = []
    for pool in pools:
        entry = census.get(pool.id)
        occupied = extra.get(pool.id, entry.occupied if entry else None)
        if occupied is None:
            missing.append(pool.id)
        load = opel.PoolLoad(pool.beds, occupied or 0)
        by_site[pool.site_id].append(
            PoolState(
                id=pool.id,
                name=pool.name,
                site_id=pool.site_id,
                setting=pool.setting,
                beds=pool.beds,
                occupied=occupied,
                delayed=entry.delayed if entry else None,
                census_date=entry.census_date if entry else None,
                occupancy=load.occupancy if occupied is not None else None,
                level=opel.combined_level([load]) if occupied is not None else None,
                delayed_patients=delayed.get(pool.id, (0, 0))[0],
                delayed_bed_days=delayed.get(pool.id, (0, 0))[1],
            )
        )
    site_states = [
        _site_state(site_id, sites.get(site_id, site_id), states) for site_id, states in by_site.items()
    ]
    site_states.sort(key=lambda s: s.site_name)
    counted = [
        opel.PoolLoad(p.beds, p.occupied) for s in site_states for p in s.pools if p.occupied is not None
    ]
    return BedState(
        on=on,
        beds=sum(p.beds for p in pools),
        occupied=sum(load.occupied for load in counted),
        level=opel.combined_level(counted),
        sites=site_states,
        missing_census=sorted(missing),
        delayed_patients=sum(s.delayed_patients for s in site_states),
        delayed_bed_days=sum(s.delayed_bed_days for s in site_states),
    )


def _site_state(site_id: str, name: str, pools: list[PoolState]) -> SiteState:
    counted = [opel.PoolLoad(p.beds, p.occupied) for p in pools if p.occupied is not None]
    return SiteState(
        site_id=site_id,
        site_name=name,
        beds=sum(p.beds for p in pools),
        occupied=sum(load.occupied for load in counted),
        level=opel.combined_level(counted),
        pools=sorted(pools, key=lambda p: p.id),
        delayed_patients=sum(p.delayed_patients for p in pools),
        delayed_bed_days=sum(p.delayed_bed_days for p in pools),
    )


def occupancy_history(session: Session, *, start: date, end: date) -> dict[str, list[tuple[date, int, int]]]:
    """Per setting, each day's (day, occupied, beds) over [start, end], from censuses and registry beds."""
    rows = session.execute(
        select(CensusEntry.census_date, CensusEntry.pool_id, CensusEntry.occupied).where(
            CensusEntry.census_date >= start, CensusEntry.census_date <= end
        )
    ).all()
    occupied: dict[tuple[date, str], int] = {(r[0], r[1]): r[2] for r in rows}
    days = sorted({r[0] for r in rows})
    series: dict[str, list[tuple[date, int, int]]] = defaultdict(list)
    for day in days:
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for pool in registry.list_bed_pools(session, on=day):
            if (day, pool.id) in occupied:
                totals[pool.setting][0] += occupied[(day, pool.id)]
                totals[pool.setting][1] += pool.beds
        for setting, (occ, beds) in totals.items():
            series[setting].append((day, occ, beds))
    return dict(series)
