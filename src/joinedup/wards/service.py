"""Virtual-ward use cases: admissions, transfers, discharges and the stays they make. Adds and flushes; the
caller commits. The wards themselves (`teams`), who sees which caseload (`caseload_access`) and occupancy
(`occupancy`) live in their own modules and are offered here too, so other areas use this one door.

Every admission is an EpisodeOfCare and a CareTeam in the shared record (written through record.service,
so each write is authorised and audited); this area keeps only the stay's index row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.policy import Principal, Role
from joinedup.errors import Conflict, Forbidden, Invalid, NotFound
from joinedup.record.service import Actor
from joinedup.registry.schemas import TeamRead
from joinedup.wards import episodes
from joinedup.wards.caseload_access import audit_caseload_view, check_caseload_access, visible_wards
from joinedup.wards.models import Admission, Transfer
from joinedup.wards.occupancy import (
    OCCUPANCY_TARGET,
    list_wards,
    monthly_occupancy,
    occupied_beds,
    occupied_by_pool,
    occupied_by_ward,
)
from joinedup.wards.pathways import default_direction
from joinedup.wards.schemas import (
    AdmissionCreate,
    AdmissionRead,
    CaseloadMembership,
    DischargeCreate,
    TransferCreate,
)
from joinedup.wards.teams import VIRTUAL_SETTING, get_ward_team_or_raise, list_ward_teams

__all__ = [
    "OCCUPANCY_TARGET",
    "VIRTUAL_SETTING",
    "admit_patient",
    "audit_caseload_view",
    "caseload_membership",
    "check_caseload_access",
    "discharge_patient",
    "get_admission",
    "get_admission_or_raise",
    "get_open_admission",
    "get_ward_team_or_raise",
    "list_ward_teams",
    "list_wards",
    "monthly_occupancy",
    "occupied_by_pool",
    "occupied_by_ward",
    "open_admissions",
    "open_admissions_by_nhs_number",
    "open_admissions_by_patient_id",
    "stays_of",
    "stays_overlapping",
    "transfer_patient",
    "visible_wards",
]

CLOCK_SKEW = timedelta(minutes=5)


def _now() -> datetime:
    return datetime.now(UTC)


def _read(row: Admission | Row[Any], now: datetime | None = None) -> AdmissionRead:
    """A stay as read: from its object, or from a row of every column (`_COLUMNS`), for batch reads."""
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


_COLUMNS = tuple(cast(Table, Admission.__table__).c)


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
    occupied = occupied_beds(session, team.id, max(at, now))
    if team.beds and occupied >= team.beds:
        raise Conflict(f"virtual ward {team.name} is full ({occupied} of {team.beds} beds occupied)")
    _check_may_admit(actor.principal, team)
    patient_id = episodes.find_patient_id(session, nhs_number=admission.nhs_number)
    episode_id, care_team_id = episodes.create_stay(
        session, actor=actor, patient_id=patient_id, team=team, pathway=admission.pathway, start=at
    )
    access.audit(
        session,
        actor=actor.principal,
        event="virtual-ward",
        action="create",
        reason=f"admitted to {team.name} ({admission.pathway}): the admission puts the patient on the "
        "team's caseload",
        resource_type="EpisodeOfCare",
        resource_id=episode_id,
        patient_nhs_number=admission.nhs_number,
        request_id=actor.request_id,
        source_address=actor.source_address,
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


def _check_may_admit(principal: Principal, team: TeamRead) -> None:
    """Only clinicians admit; a virtual-ward nurse admits to her own team's ward only (the admission then
    puts the patient on her caseload)."""
    if not principal.is_clinical:
        raise Forbidden(f"a {principal.role} may not admit patients")
    if principal.role is Role.VIRTUAL_WARD_NURSE and team.id not in principal.team_ids:
        raise Forbidden(f"a virtual-ward nurse admits to her own team's ward only, not {team.name}")


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
    # Plain rows: a batch of readings names hundreds of patients, and no object is needed to read them.
    rows = session.execute(select(*_COLUMNS).where(Admission.open_nhs_number.in_(wanted)))
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


def stays_overlapping(session: Session, *, start: datetime, end: datetime) -> list[AdmissionRead]:
    """Every stay open at some time in `[start, end)`, oldest admission first (for replay and reports)."""
    rows = session.scalars(
        select(Admission)
        .where(
            Admission.admitted_at < end,
            or_(Admission.discharged_at.is_(None), Admission.discharged_at > start),
        )
        .order_by(Admission.admitted_at, Admission.id)
    )
    now = _now()
    return [_read(row, now) for row in rows]


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
