"""Discharge-support use cases: raise a referral for a patient in hospital, the receiving team's steps on it,
queues and lists, and the delayed list live capacity and the planner start from. Adds and flushes only.

Every read and write of a referral is a patient-data access: `access.service.authorise` decides it (resource
type `DischargeReferral`) and writes the audit log. The referral's patient context names the receiving team
(its staff may see it) and the organisations running the hospital site (their clinicians may see it).
Whether the patient is in hospital is read from the shared record, through `record.service`.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.policy import Action, PatientContext, decide
from joinedup.discharge import delays, workflow
from joinedup.discharge.models import Referral, ReferralEvent
from joinedup.discharge.schemas import (
    CancelCreate,
    CloseCreate,
    DelayedList,
    DelayedPool,
    EventRead,
    ReferralCreate,
    ReferralRead,
    StepCreate,
    UpdateCreate,
)
from joinedup.discharge.stays import open_hospital_stay
from joinedup.errors import Conflict, Forbidden, Invalid, NotFound
from joinedup.record import service as record
from joinedup.record.service import Actor
from joinedup.registry import service as registry

RESOURCE = "DischargeReferral"
CLOCK_SKEW = timedelta(minutes=5)


def _now() -> datetime:
    return datetime.now(UTC)


class _Places:
    """ODS codes of the organisations running each site, asked of the registry once per site."""

    def __init__(self, session: Session, on: date) -> None:
        self.session, self.on = session, on
        self.known: dict[str, frozenset[str]] = {}

    def operators(self, site_id: str) -> frozenset[str]:
        if site_id not in self.known:
            try:
                detail = registry.site_detail(self.session, site_id)
            except NotFound:
                detail = None
            codes = set()
            for op in detail.operators if detail else []:
                if (op.start is None or op.start <= self.on) and (op.end is None or op.end > self.on):
                    org = registry.get_organisation(self.session, op.organisation_id)
                    if org is not None and org.ods_code:
                        codes.add(org.ods_code)
            self.known[site_id] = frozenset(codes)
        return self.known[site_id]


def _context(row: Referral, places: _Places) -> PatientContext:
    """Who has a legitimate relationship with this referral: the receiving team, the hospital's staff."""
    raiser = frozenset({row.raised_by_org}) if row.raised_by_org else frozenset()
    return PatientContext(
        nhs_number=row.nhs_number,
        care_team_ids=frozenset({row.team_id}),
        open_episode_org_ods=places.operators(row.site_id),
        created_by_org_ods=row.raised_by_org,
        data_holder_org_ods=raiser,
    )


def _authorise(session: Session, actor: Actor, action: Action, row: Referral, places: _Places) -> None:
    access.authorise(
        session, principal=actor.principal, action=action, resource_type=RESOURCE, resource_id=row.id,
        patient=_context(row, places), break_glass_reason=actor.break_glass_reason,
        request_id=actor.request_id, source_address=actor.source_address,
    )  # fmt: skip


def _instant(at: datetime | None, after: datetime | None, now: datetime) -> datetime:
    if at is None:
        at = now
    if at.tzinfo is None:
        raise Invalid("at: give a time zone (UTC)")
    if at > now + CLOCK_SKEW:
        raise Invalid(f"at: {at.isoformat()} is in the future")
    if after is not None and at < after:
        raise Invalid(f"at: {at.isoformat()} is before the referral's last step ({after.isoformat()})")
    return at.astimezone(UTC)


def _read(session: Session, row: Referral, on: date, *, with_events: bool = False) -> ReferralRead:
    ready = row.medically_fit_on or row.raised_at.date()
    ended = row.ended_at.date() if row.ended_at else None
    events: list[EventRead] = []
    if with_events:
        query = select(ReferralEvent).where(ReferralEvent.referral_id == row.id).order_by(ReferralEvent.id)
        events = [EventRead.model_validate(e) for e in session.scalars(query)]
    return ReferralRead(
        id=row.id, nhs_number=row.nhs_number, patient_id=row.patient_id, site_id=row.site_id,
        pool_id=row.pool_id, kind=row.kind, team_id=row.team_id, medically_fit_on=row.medically_fit_on,
        status=row.status, raised_at=row.raised_at, raised_by=row.raised_by,
        accepted_at=row.accepted_at, ended_at=row.ended_at, outcome=row.outcome, summary=row.summary,
        days_waited=delays.days_waited(ready, ended, on), events=events,
    )  # fmt: skip


def _checked_place(session: Session, data: ReferralCreate, on: date) -> tuple[str, str]:
    """The (site, pool) of a new referral; Invalid unless the pool has beds at that site today."""
    pool = next((p for p in registry.list_bed_pools(session, on=on) if p.id == data.pool_id), None)
    if pool is None:
        raise Invalid(f"pool_id: no bed pool {data.pool_id!r} in the registry on {on.isoformat()}")
    if data.site_id is not None and data.site_id != pool.site_id:
        raise Invalid(f"site_id: bed pool {pool.id!r} is at site {pool.site_id!r}, not {data.site_id!r}")
    teams = {t.id for t in registry.list_teams(session, on=on)}
    if data.team_id not in teams:
        raise Invalid(f"team_id: no team {data.team_id!r} in the registry on {on.isoformat()}")
    if data.medically_fit_on is not None and data.medically_fit_on > on:
        raise Invalid(f"medically_fit_on: {data.medically_fit_on.isoformat()} is in the future")
    return pool.site_id, pool.id


def raise_referral(
    session: Session, *, actor: Actor, referral: ReferralCreate, at: datetime | None = None
) -> ReferralRead:
    """Raise a referral for a patient in hospital at the pool's site (an open inpatient stay in the record).

    Invalid (422) for an unknown pool, team or patient, or a patient not in hospital there; Conflict (409)
    when the patient already has an open referral of this kind; Forbidden (403) from the access policy.
    """
    now = _now()
    when = _instant(at, None, now)
    site_id, pool_id = _checked_place(session, referral, when.date())
    patient_id = record.patient_id_for(session, nhs_number=referral.nhs_number)
    if patient_id is None:
        raise Invalid(
            f"nhs_number: no patient with NHS number {referral.nhs_number} in the shared care record"
        )
    admitted = open_hospital_stay(session, actor=actor, patient_id=patient_id, site_id=site_id)
    if admitted is None:
        raise Invalid(
            f"nhs_number: patient {referral.nhs_number} is not in hospital at site {site_id!r} "
            "(no open inpatient encounter there in the shared care record)"
        )
    if referral.medically_fit_on is not None and referral.medically_fit_on < admitted.date():
        raise Invalid(
            f"medically_fit_on: {referral.medically_fit_on.isoformat()} is before the admission "
            f"({admitted.date().isoformat()})"
        )
    row = Referral(
        id=str(uuid.uuid4()), nhs_number=referral.nhs_number, patient_id=patient_id, site_id=site_id,
        pool_id=pool_id, kind=referral.kind, team_id=referral.team_id,
        medically_fit_on=referral.medically_fit_on, status="raised", raised_at=when,
        raised_by=actor.principal.username, raised_by_org=actor.principal.organisation_ods,
        summary=referral.note.strip(), open_key=f"{referral.nhs_number}:{referral.kind}",
    )  # fmt: skip
    _authorise(session, actor, Action.CREATE, row, _Places(session, when.date()))
    already = session.scalars(select(Referral.id).where(Referral.open_key == row.open_key)).first()
    if already is not None:
        raise Conflict(
            f"patient {referral.nhs_number} already has an open {referral.kind} referral ({already})"
        )
    session.add(row)
    session.flush()
    _event(session, row, "raised", actor, when, referral.note)
    return _read(session, row, now.date(), with_events=True)


def _event(session: Session, row: Referral, action: str, actor: Actor, at: datetime, note: str) -> None:
    session.add(
        ReferralEvent(
            referral_id=row.id, action=action, status=row.status, at=at, by=actor.principal.username,
            note=note.strip(),
        )
    )  # fmt: skip
    session.flush()


def _row_or_raise(session: Session, referral_id: str) -> Referral:
    row = session.get(Referral, referral_id)
    if row is None:
        raise NotFound(f"no discharge referral with id {referral_id!r}")
    return row


def _last_step(session: Session, row: Referral) -> datetime:
    query = select(ReferralEvent.at).where(ReferralEvent.referral_id == row.id)
    return max(session.scalars(query), default=row.raised_at)


def _step(
    session: Session, actor: Actor, referral_id: str, action: str, note: str, at: datetime | None
) -> tuple[Referral, datetime]:
    """Authorise an update of the referral, check the step is allowed now, and move its status."""
    row = _row_or_raise(session, referral_id)
    now = _now()
    _authorise(session, actor, Action.UPDATE, row, _Places(session, now.date()))
    if action == "accepted" and row.team_id not in actor.principal.team_ids:
        why = f"only the receiving team ({row.team_id}) may accept this referral"
        access.audit(
            session, actor=actor.principal, event="patient-record", action="update", outcome="refused",
            reason=why, resource_type=RESOURCE, resource_id=row.id, patient_nhs_number=row.nhs_number,
            request_id=actor.request_id, source_address=actor.source_address,
        )  # fmt: skip
        raise Forbidden(why)
    row.status = workflow.next_status(row.status, action)
    when = _instant(at, _last_step(session, row), now)
    if not workflow.is_open(row.status):
        row.ended_at, row.open_key = when, None
    _event(session, row, action, actor, when, note)
    return row, now


def accept_referral(
    session: Session, *, actor: Actor, referral_id: str, step: StepCreate, at: datetime | None = None
) -> ReferralRead:
    """The receiving team takes the referral on."""
    row, now = _step(session, actor, referral_id, "accepted", step.note, at)
    row.accepted_at = _last_step(session, row)
    session.flush()
    return _read(session, row, now.date(), with_events=True)


def update_referral(
    session: Session, *, actor: Actor, referral_id: str, update: UpdateCreate, at: datetime | None = None
) -> ReferralRead:
    """A progress note on an accepted referral (it is then in progress)."""
    row, now = _step(session, actor, referral_id, "updated", update.note, at)
    return _read(session, row, now.date(), with_events=True)


def close_referral(
    session: Session, *, actor: Actor, referral_id: str, close: CloseCreate, at: datetime | None = None
) -> ReferralRead:
    """Close a referral with where the patient went; the wait stops that day."""
    outcome = workflow.OUTCOMES[close.outcome]
    note = f"{outcome}: {close.note.strip()}" if close.note.strip() else outcome
    row, now = _step(session, actor, referral_id, "closed", note, at)
    row.outcome = close.outcome
    session.flush()
    return _read(session, row, now.date(), with_events=True)


def cancel_referral(
    session: Session, *, actor: Actor, referral_id: str, cancel: CancelCreate, at: datetime | None = None
) -> ReferralRead:
    """Cancel an open referral (no longer needed), saying why; the wait stops that day."""
    row, now = _step(session, actor, referral_id, "cancelled", cancel.reason, at)
    return _read(session, row, now.date(), with_events=True)


def get_referral(session: Session, *, actor: Actor, referral_id: str) -> ReferralRead:
    """One referral with its history; NotFound, or Forbidden (audited) for a caller with no relationship."""
    row = _row_or_raise(session, referral_id)
    today = _now().date()
    _authorise(session, actor, Action.READ, row, _Places(session, today))
    return _read(session, row, today, with_events=True)


def _filtered(
    site_id: str | None, team_id: str | None, status: str | None, open_only: bool
) -> Select[Referral]:
    query = select(Referral).order_by(Referral.raised_at, Referral.id)
    if status is not None and status not in workflow.STATUSES:
        raise Invalid(f"status: must be one of {', '.join(workflow.STATUSES)} (got {status!r})")
    if site_id:
        query = query.where(Referral.site_id == site_id)
    if team_id:
        query = query.where(Referral.team_id == team_id)
    if status:
        query = query.where(Referral.status == status)
    if open_only:
        query = query.where(Referral.status.in_(workflow.OPEN_STATUSES))
    return query


def list_referrals(
    session: Session,
    *,
    actor: Actor,
    site_id: str | None = None,
    team_id: str | None = None,
    status: str | None = None,
    open_only: bool = False,
    limit: int = 500,
) -> list[ReferralRead]:
    """Referrals matching the filters that the caller may see (oldest first); each one shown is audited."""
    access.authorise(
        session, principal=actor.principal, action=Action.SEARCH, resource_type=RESOURCE,
        request_id=actor.request_id, source_address=actor.source_address,
    )  # fmt: skip
    now = _now()
    places = _Places(session, now.date())
    shown = []
    for row in session.scalars(_filtered(site_id, team_id, status, open_only)):
        context = _context(row, places)
        if not decide(actor.principal, Action.READ, RESOURCE, context, now=now).allowed:
            continue
        _authorise(session, actor, Action.READ, row, places)
        shown.append(_read(session, row, now.date()))
        if len(shown) >= limit:
            break
    return shown


def _open_on(on: date) -> Select[Referral]:
    """Referrals raised by the end of `on` and not ended by then."""
    end = datetime.combine(on + timedelta(days=1), datetime.min.time(), UTC)
    return select(Referral).where(
        Referral.raised_at < end, or_(Referral.ended_at.is_(None), Referral.ended_at >= end)
    )


def delayed_list(session: Session, *, on: date | None = None) -> DelayedList:
    """Medically fit patients still in a bed on `on` (default today), per pool, with the days each has waited.

    Aggregates only (no patient identifiers), so no patient-data access: live capacity shows it and the
    planner starts its what-if from it.
    """
    on = on or _now().date()
    rows = list(session.scalars(_open_on(on)))
    waits = [
        delays.Wait(r.nhs_number, r.site_id, r.pool_id, r.medically_fit_on or r.raised_at.date())
        for r in rows
    ]
    totals = delays.delayed_bed_days(waits, on)
    longest: dict[str, dict[str, int]] = defaultdict(dict)
    for wait in waits:
        if wait.ready_on <= on:
            days = delays.days_waited(wait.ready_on, None, on)
            longest[wait.pool_id][wait.nhs_number] = max(longest[wait.pool_id].get(wait.nhs_number, 0), days)
    sites = {r.pool_id: r.site_id for r in rows}
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        if (r.medically_fit_on or r.raised_at.date()) <= on:
            kinds[r.pool_id][r.kind] += 1
    pools = [
        DelayedPool(
            site_id=sites[pool_id],
            pool_id=pool_id,
            delayed_patients=patients,
            delayed_bed_days=bed_days,
            days_waited=sorted(longest[pool_id].values(), reverse=True),
            by_kind=dict(sorted(kinds[pool_id].items())),
        )
        for pool_id, (patients, bed_days) in sorted(totals.items(), key=lambda kv: (sites[kv[0]], kv[0]))
    ]
    return DelayedList(
        on=on,
        delayed_patients=sum(p.delayed_patients for p in pools),
        delayed_bed_days=sum(p.delayed_bed_days for p in pools),
        pools=pools,
    )


def delayed_by_pool(session: Session, *, on: date) -> dict[str, tuple[int, int]]:
    """Per bed pool, (delayed patients, delayed bed-days so far) on `on`: what live capacity shows."""
    return {p.pool_id: (p.delayed_patients, p.delayed_bed_days) for p in delayed_list(session, on=on).pools}
