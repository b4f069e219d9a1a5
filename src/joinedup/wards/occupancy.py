"""Virtual-ward occupancy: occupied beds now by ward, pathway and registry pool (live capacity reads them),
and each ward's monthly occupancy against the national 80% target. Reads only."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from joinedup.errors import Invalid
from joinedup.wards.models import Admission
from joinedup.wards.schemas import OccupancyMonth, WardRead
from joinedup.wards.teams import list_ward_teams

OCCUPANCY_TARGET = 0.8
"""NHS England, Virtual wards operational framework (2024): ICBs aim for 80% occupancy of virtual wards."""


def _now() -> datetime:
    return datetime.now(UTC)


def open_at(at: datetime) -> ColumnElement[bool]:
    return (Admission.admitted_at <= at) & or_(
        Admission.discharged_at.is_(None), Admission.discharged_at > at
    )


def occupied_beds(session: Session, ward_id: str, at: datetime) -> int:
    query = select(func.count()).select_from(Admission).where(Admission.team_id == ward_id, open_at(at))
    return int(session.scalar(query) or 0)


def occupied_by_ward(session: Session, *, at: datetime) -> dict[str, Counter[str]]:
    """Open stays at `at`, counted by ward and pathway."""
    rows = session.execute(
        select(Admission.team_id, Admission.pathway, func.count())
        .where(open_at(at))
        .group_by(Admission.team_id, Admission.pathway)
    )
    counts: dict[str, Counter[str]] = {}
    for team_id, pathway, n in rows:
        counts.setdefault(team_id, Counter())[pathway] = n
    return counts


def list_wards(session: Session, *, at: datetime | None = None) -> list[WardRead]:
    """Every virtual ward with its beds (registry) and occupied beds (open stays) at `at` (default now)."""
    at = at or _now()
    occupied = occupied_by_ward(session, at=at)
    wards = []
    for team in list_ward_teams(session, on=at.date()):
        by_pathway = occupied.get(team.id, Counter())
        beds = team.beds or 0
        total = sum(by_pathway.values())
        wards.append(
            WardRead(
                id=team.id,
                name=team.name,
                beds=beds,
                occupied=total,
                pool_id=team.pool_id or "",
                organisation_id=team.organisation_id,
                occupancy=total / beds if beds else 0.0,
                by_pathway=dict(sorted(by_pathway.items())),
            )
        )
    return wards


def occupied_by_pool(session: Session, *, at: datetime | None = None) -> dict[str, int]:
    """Occupied virtual beds per registry bed pool at `at` (default now): live capacity reads this."""
    totals: Counter[str] = Counter()
    for ward in list_wards(session, at=at):
        totals[ward.pool_id] += ward.occupied
    return dict(totals)


def monthly_occupancy(session: Session, *, month: date, now: datetime | None = None) -> list[OccupancyMonth]:
    """Each ward's occupancy in the calendar month of `month`, then the whole virtual hospital's (last)."""
    now = now or _now()
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = min(datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC), now)
    if end <= start:
        raise Invalid(f"month {month:%Y-%m} has not started yet")
    days = (end - start).total_seconds() / 86400
    teams = list_ward_teams(session, on=min(end - timedelta(seconds=1), now).date())
    rows = list(
        session.scalars(
            select(Admission).where(
                Admission.admitted_at < end,
                or_(Admission.discharged_at.is_(None), Admission.discharged_at > start),
            )
        )
    )
    months = [
        _month(t.id, t.beds or 0, [r for r in rows if r.team_id == t.id], start, end, days, now)
        for t in teams
    ]
    months.append(_month(None, sum(t.beds or 0 for t in teams), rows, start, end, days, now))
    return months


def _month(
    ward_id: str | None,
    beds: int,
    rows: list[Admission],
    start: datetime,
    end: datetime,
    days: float,
    now: datetime,
) -> OccupancyMonth:
    bed_days = sum(
        max((min(r.discharged_at or now, end) - max(r.admitted_at, start)).total_seconds(), 0) / 86400
        for r in rows
    )
    available = beds * days
    ended = [r for r in rows if r.discharged_at is not None and start <= r.discharged_at < end]
    stays = [(r.discharged_at - r.admitted_at).total_seconds() / 86400 for r in ended if r.discharged_at]
    occupancy = bed_days / available if available else 0.0
    return OccupancyMonth(
        ward_id=ward_id,
        month=start.date(),
        beds=beds,
        bed_days=round(bed_days, 1),
        available_bed_days=round(available, 1),
        occupancy=round(occupancy, 4),
        meets_target=occupancy >= OCCUPANCY_TARGET,
        admissions=sum(1 for r in rows if start <= r.admitted_at < end),
        discharges=len(ended),
        mean_length_of_stay_days=round(sum(stays) / len(stays), 1) if stays else None,
    )
