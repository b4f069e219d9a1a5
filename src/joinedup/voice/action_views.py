"""Stored actions as read models: the staff view (every update, who wrote it) and the public view built from
it (published notes only, a concern only once its story is published, no usernames)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from joinedup.voice import measures, progress
from joinedup.voice.action_schemas import (
    ActionRead,
    MeasureRead,
    OwnerRead,
    PublicActionRead,
    PublicMeasureRead,
    PublicUpdateRead,
    QuoteRead,
    ReadingRead,
    StaffReadingRead,
    UpdateRead,
)
from joinedup.voice.models import Action, Feedback, Measure
from joinedup.voice.places import organisation_named, places_named
from joinedup.voice.themes import THEME_LABELS
from joinedup.voice.views import as_utc

OPEN = ("planned", "in progress")


def owner_read(session: Session, organisation_id: str, role: str) -> OwnerRead:
    org = organisation_named(session, organisation_id)
    return OwnerRead(organisation_id=organisation_id, name=org.name, ods_code=org.ods_code, role=role)


def measure_read(session: Session, m: Measure) -> MeasureRead:
    """A measure with its baseline (earliest reading), current value (latest), verdict and chart."""
    rows = sorted(m.readings, key=lambda r: (r.on, r.id))
    readings = [ReadingRead(on=r.on, value=r.value, low=r.low, high=r.high, source=r.source) for r in rows]
    points = [progress.Reading(r.on, r.value, r.low, r.high) for r in rows]
    subject = measures.Subject(m.kind, m.pool_id, m.service_id, m.scenario, m.figure)
    return MeasureRead(
        kind=m.kind, label=m.label, unit=m.unit, desired=m.desired,
        subject=measures.describe(session, subject),
        baseline=readings[0] if readings else None, current=readings[-1] if len(readings) > 1 else None,
        readings=readings, verdict=progress.verdict(points, m.desired),  # type: ignore[arg-type]
        chart=progress.chart(points, m.unit, m.label), pool_id=m.pool_id, service_id=m.service_id,
        scenario=m.scenario, figure=m.figure,
        staff_readings=[
            StaffReadingRead(**readings[i].model_dump(), recorded_by=r.recorded_by,
                             recorded_at=as_utc(r.recorded_at))
            for i, r in enumerate(rows)
        ],
    )  # fmt: skip


def action_read(session: Session, row: Action, feedback: dict[int, Feedback], today: date) -> ActionRead:
    """The staff view of a stored action (updates and measure loaded with it)."""
    concern = feedback.get(row.feedback_id) if row.feedback_id is not None else None
    created = as_utc(row.created_at).date()
    updates = [
        UpdateRead(
            on=as_utc(u.at).date(), at=as_utc(u.at), by=u.by, status=u.status_to, status_from=u.status_from,
            due_on=u.due_to, due_from=u.due_from, note=u.note, is_public=u.is_public,
        )
        for u in sorted(row.updates, key=lambda u: u.id)
    ]  # fmt: skip
    return ActionRead(
        id=row.id, title=row.title, description=row.description, theme=row.theme,
        theme_label=THEME_LABELS.get(row.theme) if row.theme else None,
        concern_reference=concern.reference if concern else None,
        concern_status=concern.status if concern else None,
        owner=owner_read(session, row.owner_organisation_id, row.owner_role), due_on=row.due_on,
        status=row.status,
        created_on=created, created_by=row.created_by, age_days=(today - created).days,
        is_overdue=row.status in OPEN and row.due_on < today,
        published_at=as_utc(row.published_at) if row.published_at else None, updates=updates,
        measure=measure_read(session, row.measure) if row.measure else None,
    )  # fmt: skip


def quote_read(session: Session, story: Feedback) -> QuoteRead:
    place = places_named(session, [(story.place_kind, story.place_id)])[(story.place_kind, story.place_id)]
    return QuoteRead(
        reference=story.reference, about=place.name, text=story.text, told_on=as_utc(story.received_at).date()
    )


def public_read(session: Session, action: ActionRead, concern: Feedback | None) -> PublicActionRead:
    """What the public may see of an action: published notes, the concern only once it is published."""
    measure = (
        PublicMeasureRead.model_validate(
            action.measure.model_dump(include=set(PublicMeasureRead.model_fields))
        )
        if action.measure
        else None
    )
    return PublicActionRead(
        id=action.id, title=action.title, description=action.description, theme=action.theme,
        theme_label=action.theme_label,
        concern=quote_read(session, concern) if concern and concern.status == "published" else None,
        owner=action.owner, due_on=action.due_on, status=action.status, created_on=action.created_on,
        age_days=action.age_days, is_overdue=action.is_overdue,
        updates=[
            PublicUpdateRead(on=u.on, status=u.status, due_on=u.due_on, note=u.note)
            for u in action.updates if u.is_public
        ],
        measure=measure,
    )  # fmt: skip
