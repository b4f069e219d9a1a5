"""Virtual-ward use cases: the wards (registry teams of virtual bed pools), admissions, transfers,
discharges, the caseload and occupancy. Adds and flushes; the caller commits.

Every admission is an EpisodeOfCare and a CareTeam in the shared record (written through record.service,
so each write is authorised and audited); this area keeps only the stay's index row.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.policy import Principal, Role
from joinedup.errors import Conflict, Forbidden, Invalid, NotFound
from joinedup.record.service import Actor
from joinedup.registry import service as registry
from joinedup.registry.schemas import TeamRead
from joinedup.wards import episodes
from joinedup.wards.models import Admission, Transfer
from joinedup.wards.pathways import default_direction
from joinedup.wards.schemas import (
    AdmissionCreate,
    AdmissionRead,
    CaseloadMembership,
    DischargeCreate,
    OccupancyMonth,
    TransferCreate,
    WardRead,
)

VIRTUAL_SETTING = "virtual"
OCCUPANCY_TARGET = 0.8
"""NHS England, Virtual wards operational framework (2024): ICBs aim for 80% occupancy of virtual wards."""
CLOCK_SKEW = timedelta(minutes=5)


def _now() -> datetime:
    return datetime.now(UTC)


def list_ward_teams(session: Session, *, on: date) -> list[TeamRead]:
    """The registry teams that run a virtual ward on `on` (teams of a `virtual` bed pool), by name."""
    pools = {p.id for p in registry.list_bed_pools(session, on=on, setting=VIRTUAL_SETTING)}
    return [t for t in registry.list_teams(session, on=on) if t.pool_id in pools]


def get_ward_team_or_raise(session: Session, ward_id: str, *, on: date) -> TeamRead:
    """The virtual-ward team `ward_id` on `on`; NotFound when it is not a virtual ward that day."""
    for team in list_ward_teams(session, on=on):
        if team.id == ward_id:
            return team
    raise NotFound(f"no virtual ward with id {ward_id!r} on {on.isoformat()}")


def _open_at(at: datetime) -> ColumnElement[bool]:
    return (Admission.admitted_at <= at) & or_(
        Admission.discharged_at.is_(None), Admission.discharged_at > at
    )


def _occupied(session: Session, ward_id: str, at: datetime) -> int:
    query = select(func.count()).select_from(Admission).where(Admission.team_id == ward_id, _open_at(at))
    return int(session.scalar(query) or 0)


def occupied_by_ward(session: Session, *, at: datetime) -> dict[str, Counter[str]]:
    """Open stays at `at`, counted by ward and pathway."""
    rows = session.execute(
        select(Admission.team_id, Admission.pathway, func.count())
        .where(_open_at(at))
        .group_by(Admission.team_id, Admission.pathway)
    )
    counts: dict[str, Counter[str]] = {}
    for team_id, pathway, n in rows:
        counts.setdefault(team_id, Counter())[pathway] = n
    return counts


def visible_wards(session: Session, principal: Principal) -> set[str]:
    """The virtual wards whose caseload `principal` sees: their own teams, and for a clinician (not a
    virtual-ward nurse, who sees her caseload only) every ward run by their organisation."""
    teams = list_ward_teams(session, on=_now().date())
    own = {t.id for t in teams if t.id in principal.team_ids}
    if (
        principal.role is Role.VIRTUAL_WARD_NURSE
        or not principal.is_clinical
        or not principal.organisation_ods
    ):
        return own
    codes = {o: registry.get_organisation(session, o) for o in {t.organisation_id for t in teams}}
    ours = {o for o, org in codes.items() if org is not None and org.ods_code == principal.organisation_ods}
    return own | {t.id for t in teams if t.organisation_id in ours}


def check_caseload_access(session: Session, *, actor: Actor, ward_id: str, what: str) -> None:
    """Forbidden unless the caller sees this ward's caseload; an allowed look is written to the audit log."""
    if ward_id not in visible_wards(session, actor.principal):
        access.audit(
            session,
            actor=actor.principal,
            event="patient-record",
            action="search",
            outcome="refused",
            reason=f"{what}: ward {ward_id} is not one of the caller's caseloads",
            resource_type="EpisodeOfCare",
            request_id=actor.request_id,
            source_address=actor.source_address,
        )
        raise Forbidden(f"virtual ward {ward_id!r} is not one of your teams' caseloads")
    audit_caseload_view(session, actor=actor, ward_ids=[ward_id], what=what)


def audit_caseload_view(session: Session, *, actor: Actor, ward_ids: Sequence[str], what: str) -> None:
    """One audit entry for a look at whole caseloads (a board shows many patients at once)."""
    access.audit(
        session,
        actor=actor.principal,
        event="patient-record",
        action="search",
        reason=f"{what} of virtual ward(s) {', '.join(ward_ids) or 'none'}",
        resource_type="EpisodeOfCare",
        request_id=actor.request_id,
        source_address=actor.source_address,
    )


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


def _read(row: Admission, now: datetime | None = None) -> AdmissionRead:
    end = row.discharged_at or now or _now()
    return AdmissionRead(
        id=row.id,
        nhs_number=row.nhs_number,
        patient_id=row.patient_id,
        ward_id=row.team_id,
        pool_id=row.pool_id,
        pathway=row.pathway,
        source=row.source,
        direction=row.direction,
        admitted_at=row.admitted_at,
        admitted_by=row.admitted_by,
        discharged_at=row.discharged_at,
        discharged_by=row.discharged_by,
        outcome=row.outcome,
        episode_of_care_id=row.episode_of_care_id,
        care_team_id=row.care_team_id,
        length_of_stay_days=round(max((end - row.admitted_at).total_seconds(), 0) / 86400, 2),
    )


def _instant(value: datetime | None, what: str, now: datetime) -> datetime:
    if value is None:
        return now
    if value.tzinfo is None:
        raise Invalid(f"{what}: give a time zone (UTC), e.g. 2024-05-01T09:00:00Z")
    if value > now + CLOCK_SKEW:
        raise Invalid(f"{what}: {value.isoformat()} is in the future")
    return value.astimezone(UTC)


def admit_patient(
    session: Session, *, actor: Actor, ward_id: str, admission: AdmissionCreate
) -> AdmissionRead:
    """Admit a patient to a virtual ward: the stay, and its EpisodeOfCare and CareTeam in the record."""
    now = _now()
    at = _instant(admission.admitted_at, "admitted_at", now)
    team = get_ward_team_or_raise(session, ward_id, on=at.date())
    already = get_open_admission(session, admission.nhs_number)
    if already is not None:
        raise Conflict(
            f"patient {admission.nhs_number} is already on virtual ward {already.ward_id} "
            f"(admitted {already.admitted_at:%Y-%m-%d}); transfer or discharge them first"
        )
    occupied = _occupied(session, team.id, max(at, now))
    if team.beds and occupied >= team.beds:
        raise Conflict(f"virtual ward {team.name} is full ({occupied} of {team.beds} beds occupied)")
    patient_id = episodes.find_patient_id(session, actor=actor, nhs_number=admission.nhs_number)
    episode_id, care_team_id = episodes.create_stay(
        session, actor=actor, patient_id=patient_id, team=team, pathway=admission.pathway, start=at
    )
    row = Admission(
        id=str(uuid.uuid4()),
        nhs_number=admission.nhs_number,
        open_nhs_number=admission.nhs_number,
        patient_id=patient_id,
        team_id=team.id,
        pool_id=team.pool_id or "",
        pathway=admission.pathway,
        source=admission.source,
        direction=admission.direction or default_direction(admission.source),
        admitted_at=at,
        admitted_by=actor.principal.username,
        episode_of_care_id=episode_id,
        care_team_id=care_team_id,
    )
    session.add(row)
    session.flush()
    return _read(row, now)


def _open_row_or_raise(session: Session, admission_id: str) -> Admission:
    row = session.get(Admission, admission_id)
    if row is None:
        raise NotFound(f"no virtual-ward admission with id {admission_id!r}")
    if row.discharged_at is not None:
        raise Conflict(f"admission {admission_id} ended on {row.discharged_at:%Y-%m-%d}")
    return row


def transfer_patient(
    session: Session, *, actor: Actor, admission_id: str, transfer: TransferCreate
) -> AdmissionRead:
    """Move a stay to another virtual-ward team; the record's CareTeam follows."""
    row = _open_row_or_raise(session, admission_id)
    now = _now()
    team = get_ward_team_or_raise(session, transfer.to_ward_id, on=now.date())
    if team.id == row.team_id:
        raise Invalid(f"the patient is already on {team.name}")
    episodes.move_care_team(session, actor=actor, care_team_id=row.care_team_id, team=team)
    session.add(
        Transfer(
            admission_id=row.id,
            from_team_id=row.team_id,
            to_team_id=team.id,
            at=now,
            by=actor.principal.username,
            reason=transfer.reason,
        )
    )
    row.team_id, row.pool_id = team.id, team.pool_id or row.pool_id
    session.flush()
    return _read(row, now)


def discharge_patient(
    session: Session, *, actor: Actor, admission_id: str, discharge: DischargeCreate
) -> AdmissionRead:
    """End a stay with its outcome; the record's EpisodeOfCare finishes and the CareTeam goes inactive."""
    row = _open_row_or_raise(session, admission_id)
    now = _now()
    at = _instant(discharge.discharged_at, "discharged_at", now)
    if at < row.admitted_at:
        raise Invalid(
            f"discharged_at {at.isoformat()} is before the admission ({row.admitted_at.isoformat()})"
        )
    episodes.close_stay(
        session, actor=actor, episode_of_care_id=row.episode_of_care_id, care_team_id=row.care_team_id, end=at
    )
    row.discharged_at, row.discharged_by, row.outcome = at, actor.principal.username, discharge.outcome
    row.open_nhs_number = None
    session.flush()
    return _read(row, now)


def get_admission(session: Session, admission_id: str) -> AdmissionRead | None:
    """A stay by id, or None."""
    row = session.get(Admission, admission_id)
    return None if row is None else _read(row)


def get_admission_or_raise(session: Session, admission_id: str) -> AdmissionRead:
    found = get_admission(session, admission_id)
    if found is None:
        raise NotFound(f"no virtual-ward admission with id {admission_id!r}")
    return found


def get_open_admission(session: Session, nhs_number: str) -> AdmissionRead | None:
    """The patient's open virtual-ward stay, or None when they are not on a ward."""
    row = session.scalars(select(Admission).where(Admission.open_nhs_number == nhs_number)).one_or_none()
    return None if row is None else _read(row)


def open_admissions(session: Session, *, ward_id: str | None = None) -> list[AdmissionRead]:
    """Open stays (of one ward, when given), oldest admission first."""
    query = select(Admission).where(Admission.discharged_at.is_(None)).order_by(Admission.admitted_at)
    if ward_id is not None:
        query = query.where(Admission.team_id == ward_id)
    now = _now()
    return [_read(row, now) for row in session.scalars(query)]


def open_admissions_by_nhs_number(session: Session, nhs_numbers: Sequence[str]) -> dict[str, AdmissionRead]:
    """The open stay of each of these patients that has one (one query, for a batch of readings)."""
    wanted = sorted(set(nhs_numbers))
    if not wanted:
        return {}
    rows = session.scalars(select(Admission).where(Admission.open_nhs_number.in_(wanted)))
    now = _now()
    return {row.nhs_number: _read(row, now) for row in rows}


def open_admissions_by_patient_id(session: Session, patient_ids: Sequence[str]) -> dict[str, AdmissionRead]:
    """The open stay of each of these record Patient ids that has one."""
    wanted = sorted(set(patient_ids))
    if not wanted:
        return {}
    rows = session.scalars(
        select(Admission).where(Admission.patient_id.in_(wanted), Admission.discharged_at.is_(None))
    )
    now = _now()
    return {row.patient_id: _read(row, now) for row in rows}


def stays_of(session: Session, nhs_number: str) -> list[AdmissionRead]:
    """Every stay of a patient, newest first (the record's timeline shows them)."""
    rows = session.scalars(
        select(Admission).where(Admission.nhs_number == nhs_number).order_by(Admission.admitted_at.desc())
    )
    return [_read(row) for row in rows]


def caseload_membership(session: Session, nhs_number: str) -> CaseloadMembership:
    """The teams (and their organisations' registry ids) whose virtual-ward caseload the patient is on now."""
    stay = get_open_admission(session, nhs_number)
    if stay is None:
        return CaseloadMembership(nhs_number=nhs_number, team_ids=frozenset(), organisation_ids=frozenset())
    team = get_ward_team_or_raise(session, stay.ward_id, on=_now().date())
    return CaseloadMembership(
        nhs_number=nhs_number,
        team_ids=frozenset({team.id}),
        organisation_ids=frozenset({team.organisation_id}),
    )


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
