"""Public voice's "you said, we did": actions on a theme or concern, their dated updates, and the measure
that shows whether anything moved. Healthwatch staff (or an administrator) write; the public reads only what
is published. Adds and flushes; the edge commits. Every check runs before the first row is added, so a
refusal writes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from joinedup.access import service as access
from joinedup.errors import Conflict, Forbidden, Invalid, NotFound
from joinedup.registry import service as registry
from joinedup.voice import measures
from joinedup.voice.action_schemas import (
    OPEN_STATUSES,
    ActionCreate,
    ActionRead,
    ActionUpdateCreate,
    MeasureCreate,
    OpenActionRead,
    ReadingCreate,
)
from joinedup.voice.action_views import action_read, owner_read
from joinedup.voice.models import Action, ActionUpdate, Feedback, Measure, MeasureReading

EDITORS = (access.Role.HEALTHWATCH_STAFF, access.Role.ADMINISTRATOR)
# Where an action may go next: a dropped action stays dropped; a done one may be reopened.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "planned": ("in progress", "done", "dropped"),
    "in progress": ("done", "dropped"),
    "done": ("in progress",),
    "dropped": (),
}
MAX_AHEAD = timedelta(days=5 * 366)


def _require_editor(actor: access.Principal) -> None:
    if actor.role not in EDITORS:
        raise Forbidden("only Healthwatch staff or an administrator may record actions")


def _audit(session: Session, actor: access.Principal, action: str, row: Action, reason: str) -> None:
    access.audit(
        session, actor=actor, event="public voice action", action=action, reason=reason,
        resource_type="VoiceAction", resource_id=str(row.id),
    )  # fmt: skip


def _check_due(due_on: date, today: date) -> None:
    """A due date is today or later (an action is never set up already late) and within five years."""
    if due_on < today:
        raise Invalid(f"due_on: {due_on} has passed; give today ({today}) or a later day")
    if due_on > today + MAX_AHEAD:
        raise Invalid(f"due_on: {due_on} is more than five years away")


def _owner_id(session: Session, owner: str) -> str:
    place = registry.resolve_place(session, owner)
    if place is None or place.kind != "organisation":
        raise Invalid(
            f"owner: no organisation in the registry is {owner!r} (give an ODS code or registry id)"
        )
    return place.id


def _concern_id(session: Session, reference: str | None) -> int | None:
    if not reference:
        return None
    found = session.scalar(select(Feedback.id).where(Feedback.reference == reference.strip().upper()))
    if found is None:
        raise Invalid(f"concern: no story or concern with reference {reference!r}")
    return found


def _load(session: Session, action_id: int) -> Action:
    row = session.scalars(
        select(Action)
        .where(Action.id == action_id)
        .options(selectinload(Action.updates), selectinload(Action.measure).selectinload(Measure.readings))
    ).first()
    if row is None:
        raise NotFound(f"no action {action_id}")
    return row


def _reading(taken: measures.Taken, by: str, now: datetime) -> MeasureReading:
    return MeasureReading(
        on=taken.on, value=taken.value, low=taken.low, high=taken.high, source=taken.source, recorded_by=by,
        recorded_at=now,
    )  # fmt: skip


def _measure(
    session: Session, create: MeasureCreate, actor: access.Principal, today: date, now: datetime
) -> Measure:
    """A measure with its baseline (and current) readings, every reading taken before anything is stored."""
    subject = measures.subject_of(create)
    measures.check_subject(session, subject)
    taken = [measures.take(session, subject, create.baseline, today=today)]
    if create.current is not None:
        taken.append(measures.take(session, subject, create.current, today=today))
        if taken[1].on < taken[0].on:
            raise Invalid(f"current: dated {taken[1].on}, before the baseline ({taken[0].on})")
    return Measure(
        kind=create.kind, label=create.label, unit=measures.unit_of(create), desired=create.desired,
        pool_id=create.pool, service_id=create.service, scenario=create.scenario, figure=create.figure,
        created_by=actor.username, created_at=now, readings=[_reading(t, actor.username, now) for t in taken],
    )  # fmt: skip


def create_action(
    session: Session, *, create: ActionCreate, actor: access.Principal, now: datetime | None = None
) -> ActionRead:
    """Record an action on a theme or concern, with its owner, due date and (if given) its measure."""
    _require_editor(actor)
    now = now or datetime.now(UTC)
    today = now.date()
    owner_id = _owner_id(session, create.owner)
    feedback_id = _concern_id(session, create.concern)
    _check_due(create.due_on, today)
    measure = _measure(session, create.measure, actor, today, now) if create.measure else None
    row = Action(
        title=create.title, description=create.description or None, theme=create.theme,
        feedback_id=feedback_id, owner_organisation_id=owner_id, owner_role=create.owner_role,
        due_on=create.due_on, status=create.status, created_by=actor.username, created_at=now, updated_at=now,
        published_at=now if create.publish else None,
        updates=[ActionUpdate(at=now, by=actor.username, status_to=create.status, due_to=create.due_on,
                              is_public=True)],
        measure=measure,
    )  # fmt: skip
    session.add(row)
    session.flush()
    _audit(session, actor, "create", row, f"action recorded: {create.title}")
    return get_action(session, row.id, actor=actor, today=today)


def update_action(
    session: Session,
    action_id: int,
    *,
    update: ActionUpdateCreate,
    actor: access.Principal,
    now: datetime | None = None,
) -> ActionRead:
    """A dated step: move the status along (409 if it cannot go there), change the due date, add a note."""
    _require_editor(actor)
    now = now or datetime.now(UTC)
    row = _load(session, action_id)
    status = update.status if update.status != row.status else None
    if update.status is not None and status is None:
        raise Conflict(f"action {row.id} is already {row.status}")
    if status is not None and status not in TRANSITIONS[row.status]:
        allowed = " or ".join(TRANSITIONS[row.status]) or "nowhere: it is closed for good"
        raise Conflict(f"action {row.id} is {row.status}: it can go to {allowed}, not {status}")
    if status == "dropped" and not update.note:
        raise Invalid("note: say why the action is dropped")
    due = update.due_on if update.due_on not in (None, row.due_on) else None
    if due is not None:
        _check_due(due, now.date())
    if status is None and due is None and update.note is None:
        raise Invalid("nothing to record: the status and due date are unchanged and there is no note")
    session.add(ActionUpdate(
        action_id=row.id, at=now, by=actor.username, status_from=row.status if status else None,
        status_to=status, due_from=row.due_on if due else None, due_to=due, note=update.note,
        is_public=update.public,
    ))  # fmt: skip
    row.status, row.due_on, row.updated_at = status or row.status, due or row.due_on, now
    session.flush()
    _audit(session, actor, "update", row, f"action updated: status {row.status}, due {row.due_on}")
    session.expire(row)
    return get_action(session, row.id, actor=actor, today=now.date())


def publish_action(
    session: Session, action_id: int, *, actor: access.Principal, now: datetime | None = None
) -> ActionRead:
    """Show an action on the public page (409 if it is already there)."""
    _require_editor(actor)
    now = now or datetime.now(UTC)
    row = _load(session, action_id)
    if row.published_at is not None:
        raise Conflict(f"action {row.id} is already published")
    row.published_at, row.updated_at = now, now
    session.flush()
    _audit(session, actor, "update", row, "action published")
    return get_action(session, row.id, actor=actor, today=now.date())


def set_measure(
    session: Session,
    action_id: int,
    *,
    create: MeasureCreate,
    actor: access.Principal,
    now: datetime | None = None,
) -> ActionRead:
    """Tie a measure to an action that has none (409 if it has one: add readings to that instead)."""
    _require_editor(actor)
    now = now or datetime.now(UTC)
    row = _load(session, action_id)
    if row.measure is not None:
        raise Conflict(f"action {row.id} already has a measure: add readings to it")
    measure = _measure(session, create, actor, now.date(), now)
    measure.action_id = row.id
    session.add(measure)
    session.flush()
    _audit(session, actor, "update", row, f"measure tied: {create.label}")
    session.expire(row)
    return get_action(session, row.id, actor=actor, today=now.date())


def add_reading(
    session: Session,
    action_id: int,
    *,
    reading: ReadingCreate,
    actor: access.Principal,
    now: datetime | None = None,
) -> ActionRead:
    """Take one more reading of an action's measure (the latest reading is the current value)."""
    _require_editor(actor)
    now = now or datetime.now(UTC)
    row = _load(session, action_id)
    if row.measure is None:
        raise Invalid(f"action {row.id} has no measure yet: tie one first")
    m = row.measure
    subject = measures.Subject(m.kind, m.pool_id, m.service_id, m.scenario, m.figure)
    taken = measures.take(session, subject, reading, today=now.date())
    stored = _reading(taken, actor.username, now)
    stored.measure_id = m.id
    session.add(stored)
    row.updated_at = now
    session.flush()
    _audit(session, actor, "update", row, f"measure reading {taken.value} on {taken.on}")
    session.expire(row)
    return get_action(session, row.id, actor=actor, today=now.date())


def _feedback_of(session: Session, rows: list[Action]) -> dict[int, Feedback]:
    ids = {r.feedback_id for r in rows if r.feedback_id is not None}
    if not ids:
        return {}
    return {f.id: f for f in session.scalars(select(Feedback).where(Feedback.id.in_(ids)))}


def get_action(
    session: Session, action_id: int, *, actor: access.Principal, today: date | None = None
) -> ActionRead:
    """One action as staff see it."""
    _require_editor(actor)
    row = _load(session, action_id)
    return action_read(session, row, _feedback_of(session, [row]), today or date.today())


def _all(session: Session, *statuses: str) -> list[Action]:
    query = (
        select(Action)
        .options(selectinload(Action.updates), selectinload(Action.measure).selectinload(Measure.readings))
        .order_by(Action.due_on, Action.id)
    )
    if statuses:
        query = query.where(Action.status.in_(statuses))
    return list(session.scalars(query))


def list_actions(
    session: Session, *, actor: access.Principal | None, only_open: bool = False, today: date | None = None
) -> list[ActionRead]:
    """Every action (or only open ones), soonest due first, as staff see them. `actor` None is the operator
    at the command line, who already holds the database itself; every web caller is a signed-in user."""
    if actor is not None:
        _require_editor(actor)
    rows = _all(session, *(OPEN_STATUSES if only_open else ()))
    found = _feedback_of(session, rows)
    return [action_read(session, r, found, today or date.today()) for r in rows]


def open_actions(
    session: Session, *, organisation_id: str, today: date | None = None
) -> list[OpenActionRead]:
    """Open actions an organisation owns, oldest first, with their age and whether they are overdue."""
    today = today or date.today()
    rows = [r for r in _all(session, *OPEN_STATUSES) if r.owner_organisation_id == organisation_id]
    found = _feedback_of(session, rows)
    reads = [action_read(session, r, found, today) for r in rows]
    return sorted(
        (
            OpenActionRead(
                id=a.id, title=a.title, theme_label=a.theme_label, owner_role=a.owner.role, status=a.status,
                created_on=a.created_on, due_on=a.due_on, age_days=a.age_days, is_overdue=a.is_overdue,
                is_published=a.published_at is not None, verdict=a.measure.verdict if a.measure else None,
            )
            for a in reads
        ),
        key=lambda a: (-a.age_days, a.id),
    )  # fmt: skip


def published_actions(session: Session) -> list[Action]:
    """Published actions with their updates and measures loaded (for the public page)."""
    return [r for r in _all(session) if r.published_at is not None]


__all__ = [
    "add_reading",
    "create_action",
    "get_action",
    "list_actions",
    "open_actions",
    "owner_read",
    "publish_action",
    "published_actions",
    "set_measure",
    "update_action",
]
