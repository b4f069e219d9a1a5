"""Consultation on a planner scenario: each dated change put to the public, views counted in a public tally,
words published once moderated, everything exportable to CSV for the board."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from joinedup.access import service as access
from joinedup.errors import Conflict, Forbidden, Invalid, NotFound
from joinedup.plan.loading import load_scenario
from joinedup.registry import service as registry
from joinedup.voice.intake import check_flood, new_reference, safely_redacted
from joinedup.voice.models import Consultation, ConsultationChange, ConsultationComment
from joinedup.voice.places import place_words
from joinedup.voice.schemas import (
    ChangeRead,
    CommentCreate,
    CommentRead,
    ConsultationCreate,
    ConsultationRead,
    Stance,
)
from joinedup.voice.views import as_utc

STANCES: tuple[Stance, ...] = ("support", "oppose", "unsure")
COUNTED = ("received", "published")


def describe_change(change: Any) -> str:
    """A planner change in plain English, as the public reads it."""
    kind = str(change.kind)
    if kind == "close_beds":
        return f"Close {change.beds} beds in {change.pool}"
    if kind == "open_beds":
        return f"Open {change.beds} more beds in {change.pool}"
    if kind == "set_beds":
        return f"Set {change.pool} to {change.beds} beds"
    if kind == "move_service":
        what = f"The {change.pathway} pathway" if change.pathway else "All care"
        return f"{what} moves from {change.from_pool} to {change.to_pool}"
    if kind == "open_virtual_ward":
        return f"Open a virtual ward ({change.pool}) with {change.beds} beds in patients' own homes"
    if kind == "shift_activity":
        return f"{change.share:.0%} of {change.pathway} care moves to {' → '.join(change.route)}"
    if kind == "avoid_admissions":
        return f"Avoid {change.share:.0%} of {change.pathway} admissions"
    return kind.replace("_", " ").capitalize()


def _require_staff(actor: access.Principal) -> None:
    if actor.role != access.Role.HEALTHWATCH_STAFF:
        raise Forbidden("only Healthwatch staff may publish or moderate consultations")


def publish_consultation(
    session: Session,
    *,
    create: ConsultationCreate,
    actor: access.Principal,
    today: date | None = None,
    from_file: Path | None = None,
) -> ConsultationRead:
    """Put a bundled planner scenario (or, from the CLI and tests, a scenario file) to the public: one
    consultation question per dated change. Callers over HTTP can name bundled scenarios only."""
    _require_staff(actor)
    source = from_file or create.scenario
    scenario = load_scenario(source, registry=lambda on: registry.list_bed_pools(session, on=on))
    consultation_id = Path(source).stem.lower()
    if session.get(Consultation, consultation_id) is not None:
        raise Conflict(f"scenario {create.scenario!r} is already out for consultation")
    if not scenario.changes:
        raise Invalid(f"scenario {create.scenario!r} has no dated changes to consult on")
    today = today or date.today()
    if create.closes_on is not None and create.closes_on <= today:
        raise Invalid(f"closes_on: {create.closes_on} must be after today ({today})")
    consultation = Consultation(
        id=consultation_id, scenario=create.scenario, title=create.title or scenario.name,
        description=create.description or scenario.description, opens_on=today, closes_on=create.closes_on,
        published_by=actor.username, published_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(consultation)
    for position, change in enumerate(sorted(scenario.changes, key=lambda c: c.on), start=1):
        session.add(
            ConsultationChange(
                consultation_id=consultation_id,
                position=position,
                on=change.on,
                kind=change.kind,
                summary=describe_change(change),
                source=change.source,
            )
        )
    session.flush()
    access.audit(
        session,
        actor=actor,
        event="public voice consultation",
        action="create",
        reason=f"published scenario {create.scenario} for consultation",
        resource_type="Consultation",
        resource_id=consultation_id,
    )
    return get_consultation(session, consultation_id)


def _load(session: Session, consultation_id: str) -> Consultation:
    found = session.scalars(
        select(Consultation)
        .where(Consultation.id == consultation_id)
        .options(selectinload(Consultation.changes))
    ).first()
    if found is None:
        raise NotFound(f"no consultation {consultation_id!r}")
    return found


def _is_open(consultation: Consultation, today: date) -> bool:
    return consultation.opens_on <= today and (
        consultation.closes_on is None or today < consultation.closes_on
    )


def get_consultation(
    session: Session, consultation_id: str, *, today: date | None = None
) -> ConsultationRead:
    """A consultation with each change's public tally (views counted, held or rejected ones not) and its
    published comments."""
    consultation = _load(session, consultation_id)
    ids = [c.id for c in consultation.changes]
    comments = list(
        session.scalars(
            select(ConsultationComment)
            .where(ConsultationComment.change_id.in_(ids))
            .order_by(ConsultationComment.received_at)
        )
    )
    changes = []
    for change in consultation.changes:
        mine = [c for c in comments if c.change_id == change.id]
        counted = Counter(c.stance for c in mine if c.status in COUNTED)
        changes.append(ChangeRead(
            id=change.id, position=change.position, on=change.on, kind=change.kind, summary=change.summary,
            source=change.source, tally={s: counted.get(s, 0) for s in STANCES},
            comments=[_comment_read(c) for c in mine if c.status == "published" and c.text],
        ))  # fmt: skip
    return ConsultationRead(
        id=consultation.id,
        scenario=consultation.scenario,
        title=consultation.title,
        description=consultation.description,
        opens_on=consultation.opens_on,
        closes_on=consultation.closes_on,
        is_open=_is_open(consultation, today or date.today()),
        changes=changes,
    )


def list_consultations(session: Session) -> list[ConsultationRead]:
    """Every consultation, newest first."""
    ids = session.scalars(select(Consultation.id).order_by(Consultation.published_at.desc()))
    return [get_consultation(session, i) for i in ids]


def _comment_read(comment: ConsultationComment) -> CommentRead:
    return CommentRead(
        reference=comment.reference,
        change_id=comment.change_id,
        stance=comment.stance,
        text=comment.text,
        status=comment.status,
        received_at=as_utc(comment.received_at),
    )


def comment_on_change(
    session: Session,
    *,
    consultation_id: str,
    change_id: int,
    comment: CommentCreate,
    sender: str,
    is_suspected_spam: bool = False,
    now: datetime | None = None,
) -> CommentRead:
    """Count a view on one change of an open consultation; words wait for moderation before they show."""
    now = now or datetime.now(UTC)
    consultation = _load(session, consultation_id)
    if not _is_open(consultation, now.date()):
        raise Invalid(f"the consultation on {consultation.title!r} is closed")
    if change_id not in {c.id for c in consultation.changes}:
        raise NotFound(f"consultation {consultation_id!r} has no change {change_id}")
    check_flood(session, sender=sender, now=now)
    public = safely_redacted(comment.text, place_words(session, on=now.date())) if comment.text else None
    failed = bool(comment.text) and public is None
    row = ConsultationComment(
        reference=new_reference(session, ConsultationComment.reference), change_id=change_id,
        stance=comment.stance, text=public.text if public else "", redactions=public.counts if public else {},
        held_original=comment.text if failed else None, received_at=now,
        status="held" if (is_suspected_spam or failed) else ("received" if comment.text else "published"),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return _comment_read(row)


def moderate_comment(
    session: Session, reference: str, *, publish: bool, actor: access.Principal
) -> CommentRead:
    """Publish or reject a comment's words (a rejected comment no longer counts in the tally)."""
    _require_staff(actor)
    row = session.scalars(
        select(ConsultationComment).where(ConsultationComment.reference == reference.strip().upper())
    ).first()
    if row is None:
        raise NotFound(f"no consultation comment with reference {reference!r}")
    if publish and not row.text.strip() and row.held_original:
        raise Invalid(f"comment {row.reference} has no public text: automatic redaction failed on it")
    row.status, row.moderated_by, row.held_original = (
        ("published" if publish else "rejected"),
        actor.username,
        None,
    )
    access.audit(
        session,
        actor=actor,
        event="public voice moderation",
        action="update",
        reason="comment published" if publish else "comment rejected",
        resource_type="ConsultationComment",
        resource_id=row.reference,
    )
    session.flush()
    return _comment_read(row)


def list_comments_awaiting(
    session: Session, *, actor: access.Principal, limit: int = 100
) -> list[CommentRead]:
    """Comments with words waiting for a moderator."""
    _require_staff(actor)
    rows = session.scalars(
        select(ConsultationComment)
        .where(ConsultationComment.status.in_(("received", "held")))
        .order_by(ConsultationComment.received_at)
        .limit(limit)
    )
    return [_comment_read(r) for r in rows]


def _cell(text: str) -> str:
    """Text a spreadsheet will show, never run as a formula (OWASP CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_consultation_csv(session: Session, consultation_id: str) -> str:
    """The public tally and published comments, one row per change, for the board."""
    consultation = get_consultation(session, consultation_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "consultation",
            "change",
            "date",
            "kind",
            "summary",
            "source",
            "support",
            "oppose",
            "unsure",
            "total",
            "published comments",
        ]
    )
    for change in consultation.changes:
        writer.writerow([
            consultation.id, change.position, change.on.isoformat(), change.kind, _cell(change.summary),
            _cell(change.source or ""), change.tally["support"], change.tally["oppose"],
            change.tally["unsure"], sum(change.tally.values()),
            _cell(" | ".join(f"[{c.stance}] {c.text}" for c in change.comments)),
        ])  # fmt: skip
    return out.getvalue()
