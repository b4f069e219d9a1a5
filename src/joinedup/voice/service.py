"""Public voice use cases: take a story in (stored before anything optional runs), moderate it, confirm its
themes, record the provider's reply, and keep or erase what is private. Adds and flushes; the edge commits.

Other areas (and this area's edges) use public voice only through this module.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from joinedup.access import service as access
from joinedup.errors import Forbidden, Invalid, NotFound
from joinedup.registry import service as registry
from joinedup.voice import redaction, themes
from joinedup.voice.actions import (
    add_reading,
    create_action,
    get_action,
    list_actions,
    open_actions,
    publish_action,
    set_measure,
    update_action,
)
from joinedup.voice.consultations import (
    comment_on_change,
    export_consultation_csv,
    get_consultation,
    list_comments_awaiting,
    list_consultations,
    moderate_comment,
    publish_consultation,
)
from joinedup.voice.intake import FLOOD_LIMITS, check_flood, new_reference, safely_redacted, sender_key
from joinedup.voice.models import Feedback, FeedbackTheme, ModerationEvent, PrivateDetails, ProviderReply
from joinedup.voice.places import place_words, places_named, responsible_organisation
from joinedup.voice.reports import board_report, trends
from joinedup.voice.schemas import (
    FeedbackCreate,
    FeedbackRead,
    ModerationRead,
    PrivateDetailsRead,
    ReplyCreate,
    ThemeChoice,
)
from joinedup.voice.views import feedback_read, moderation_read
from joinedup.voice.you_said import you_said_we_did

__all__ = [
    "FLOOD_LIMITS",
    "add_reading",
    "board_report",
    "comment_on_change",
    "confirm_themes",
    "create_action",
    "erase_private_details",
    "export_consultation_csv",
    "get_action",
    "get_consultation",
    "get_feedback",
    "get_for_moderation",
    "list_actions",
    "list_comments_awaiting",
    "list_consultations",
    "list_published",
    "moderate_comment",
    "moderation_queue",
    "open_actions",
    "private_details",
    "publish",
    "publish_action",
    "publish_consultation",
    "record_reply",
    "reject",
    "request_response",
    "rewrite_public_text",
    "sender_key",
    "set_measure",
    "submit_feedback",
    "trends",
    "update_action",
    "you_said_we_did",
]

log = logging.getLogger(__name__)

STAFF = access.Role.HEALTHWATCH_STAFF


def submit_feedback(
    session: Session,
    *,
    feedback: FeedbackCreate,
    sender: str,
    is_suspected_spam: bool = False,
    now: datetime | None = None,
) -> FeedbackRead:
    """Store a story about a registry place, personal data removed, before any optional step (themes) runs.

    A story from a sender over the flood limits is refused; one that looks like spam (a filled honeypot) is
    stored but held for a moderator, so a real person who trips the trap is never lost."""
    now = now or datetime.now(UTC)
    place = registry.resolve_place(session, feedback.about)
    if place is None:
        raise Invalid(f"about: no organisation, site or service in the registry is {feedback.about!r}")
    check_flood(session, sender=sender, now=now)
    public = safely_redacted(feedback.text, place_words(session, on=now.date()))
    held = "suspected spam (hidden field filled in)" if is_suspected_spam else None
    if public is None:
        held = "automatic redaction failed: write the public text by hand"
    row = Feedback(
        reference=new_reference(session, Feedback.reference), kind=feedback.kind, received_at=now,
        place_kind=place.kind,
        place_id=place.id, organisation_id=responsible_organisation(session, place, on=now.date()),
        text=public.text if public else "", rating=feedback.rating,
        redactions=public.counts if public else {},
        status="held" if held else "received", held_reason=held,
    )  # fmt: skip
    session.add(row)
    session.flush()
    contact = feedback.contact
    if contact is not None or public is None:
        session.add(PrivateDetails(
            feedback_id=row.id, created_at=now, original_text=None if public else feedback.text,
            contact_name=contact.name if contact else None, contact_email=contact.email if contact else None,
            contact_phone=contact.phone if contact else None,
            wants_reply=bool(contact and contact.wants_reply),
        ))  # fmt: skip
        session.flush()
    if public is not None:
        _suggest_themes(session, row)
    return get_feedback(session, row.reference, public_only=False)


def _suggest_themes(session: Session, row: Feedback) -> None:
    """Optional: the classifier's suggestions, in a savepoint so a failure here never loses the story."""
    try:
        with session.begin_nested():
            suggestion = themes.classify(row.text)
            row.sentiment = suggestion.sentiment
            for s in suggestion.themes:
                session.add(
                    FeedbackTheme(
                        feedback_id=row.id,
                        theme=s.theme,
                        polarity=s.polarity,
                        status="suggested",
                        confidence=s.confidence,
                        evidence=s.evidence,
                    )
                )
    except Exception:
        log.exception("theme suggestion failed for story %s; it is stored without themes", row.reference)


def _load(session: Session, reference: str) -> Feedback:
    row = session.scalars(
        select(Feedback)
        .where(Feedback.reference == reference.strip().upper())
        .options(selectinload(Feedback.themes), selectinload(Feedback.reply))
    ).first()
    if row is None:
        raise NotFound(f"no story with reference {reference!r}")
    return row


def get_feedback(session: Session, reference: str, *, public_only: bool = True) -> FeedbackRead:
    """A story by reference; the public may see only published ones."""
    row = _load(session, reference)
    if public_only and row.status != "published":
        raise NotFound(f"no published story with reference {reference!r}")
    return feedback_read(row, places_named(session, [(row.place_kind, row.place_id)]))


def list_published(
    session: Session,
    *,
    place_id: str | None = None,
    organisation_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[FeedbackRead]:
    """Published stories, most recently told first, about one place or one organisation's places if asked."""
    query = select(Feedback).where(Feedback.status == "published")
    if place_id:
        query = query.where(Feedback.place_id == place_id)
    if organisation_id:
        query = query.where(Feedback.organisation_id == organisation_id)
    rows = list(
        session.scalars(
            query.order_by(Feedback.received_at.desc(), Feedback.id.desc())
            .limit(limit)
            .offset(offset)
            .options(selectinload(Feedback.themes), selectinload(Feedback.reply))
        )
    )
    names = places_named(session, [(r.place_kind, r.place_id) for r in rows])
    return [feedback_read(r, names) for r in rows]


def _require_staff(actor: access.Principal) -> None:
    if actor.role != STAFF:
        raise Forbidden("only Healthwatch staff may moderate public feedback")


def _moderate(
    session: Session, actor: access.Principal, row: Feedback, action: str, note: str | None
) -> None:
    now = datetime.now(UTC)
    session.add(ModerationEvent(feedback_id=row.id, action=action, note=note, by=actor.username, at=now))
    access.audit(
        session,
        actor=actor,
        event="public voice moderation",
        action="update",
        reason=f"{action}: {note}" if note else action,
        resource_type="Feedback",
        resource_id=row.reference,
    )
    session.flush()


def moderation_queue(session: Session, *, actor: access.Principal, limit: int = 100) -> list[ModerationRead]:
    """Stories awaiting a decision (held ones first, then oldest first): Healthwatch staff only."""
    _require_staff(actor)
    rows = list(
        session.scalars(
            select(Feedback)
            .where(Feedback.status.in_(("received", "held")))
            .order_by((Feedback.status == "held").desc(), Feedback.received_at)
            .limit(limit)
            .options(selectinload(Feedback.themes), selectinload(Feedback.reply))
        )
    )
    names = places_named(session, [(r.place_kind, r.place_id) for r in rows])
    with_contact = set(
        session.scalars(
            select(PrivateDetails.feedback_id).where(PrivateDetails.feedback_id.in_([r.id for r in rows]))
        )
    )
    return [moderation_read(r, names, r.id in with_contact) for r in rows]


def get_for_moderation(session: Session, reference: str, *, actor: access.Principal) -> ModerationRead:
    """Any story, whatever its state, as Healthwatch staff see it."""
    _require_staff(actor)
    row = _load(session, reference)
    has_contact = session.get(PrivateDetails, row.id) is not None
    return moderation_read(row, places_named(session, [(row.place_kind, row.place_id)]), has_contact)


def publish(session: Session, reference: str, *, actor: access.Principal) -> FeedbackRead:
    """Publish a story; words held back for hand redaction are erased once the public text is settled."""
    _require_staff(actor)
    row = _load(session, reference)
    if row.status == "published":
        raise Invalid(f"story {row.reference} is already published")
    if not row.text.strip():
        raise Invalid(f"story {row.reference} has no public text yet: write it before publishing")
    now = datetime.now(UTC)
    row.status, row.published_at, row.moderated_by, row.moderated_at = "published", now, actor.username, now
    row.held_reason = None
    _forget_original(session, row)
    _moderate(session, actor, row, "published", None)
    return get_feedback(session, row.reference)


def reject(session: Session, reference: str, *, reason: str, actor: access.Principal) -> ModerationRead:
    """Reject a story with a reason (kept for the record, never published)."""
    _require_staff(actor)
    row = _load(session, reference)
    now = datetime.now(UTC)
    row.status, row.rejected_reason, row.published_at, row.held_reason = "rejected", reason, None, None
    row.moderated_by, row.moderated_at = actor.username, now
    _forget_original(session, row)
    _moderate(session, actor, row, "rejected", reason)
    return get_for_moderation(session, reference, actor=actor)


def _forget_original(session: Session, row: Feedback) -> None:
    private = session.get(PrivateDetails, row.id)
    if private is not None and private.original_text is not None:
        private.original_text = None
        if not (private.contact_email or private.contact_phone or private.contact_name):
            session.delete(private)


def rewrite_public_text(
    session: Session, reference: str, *, text: str, actor: access.Principal
) -> ModerationRead:
    """A moderator's own wording of the public text (to take out what redaction missed); redacted again."""
    _require_staff(actor)
    row = _load(session, reference)
    public = redaction.redact(text, keep=place_words(session, on=row.received_at.date()))
    row.text = public.text
    row.redactions = {k: row.redactions.get(k, 0) + public.counts.get(k, 0) for k in redaction.KINDS}
    row.redactions = {k: v for k, v in row.redactions.items() if v}
    if row.status == "held" and row.held_reason and "redaction failed" in row.held_reason:
        row.status, row.held_reason = "received", None
    _moderate(session, actor, row, "public text rewritten", None)
    return get_for_moderation(session, reference, actor=actor)


def request_response(session: Session, reference: str, *, actor: access.Principal) -> ModerationRead:
    """Ask the provider that runs the place to respond (recorded on the story)."""
    _require_staff(actor)
    row = _load(session, reference)
    if row.status == "rejected":
        raise Invalid(f"story {row.reference} was rejected: a provider is not asked to respond to it")
    row.response_requested_at, row.response_requested_by = datetime.now(UTC), actor.username
    _moderate(session, actor, row, "provider asked to respond", row.organisation_id)
    return get_for_moderation(session, reference, actor=actor)


def record_reply(
    session: Session, reference: str, *, reply: ReplyCreate, actor: access.Principal
) -> FeedbackRead:
    """Publish the provider's reply beside a published story (personal data removed from it too)."""
    _require_staff(actor)
    row = _load(session, reference)
    if row.status != "published":
        raise Invalid(
            f"story {row.reference} is not published: a reply is shown only beside a published story"
        )
    public = redaction.redact(reply.text, keep=place_words(session, on=datetime.now(UTC).date()))
    if row.reply is not None:
        session.delete(row.reply)
        session.flush()
    session.add(
        ProviderReply(
            feedback_id=row.id,
            responder=reply.responder,
            text=public.text,
            recorded_by=actor.username,
            published_at=datetime.now(UTC),
        )
    )
    _moderate(session, actor, row, "provider reply published", reply.responder)
    session.expire(row)
    return get_feedback(session, reference)


def confirm_themes(
    session: Session, reference: str, *, choices: list[ThemeChoice], actor: access.Principal
) -> ModerationRead:
    """Staff's themes for a story replace any they confirmed before; the suggestions stay for comparison."""
    _require_staff(actor)
    row = _load(session, reference)
    for existing in [t for t in row.themes if t.status == "confirmed"]:
        session.delete(existing)
    session.flush()
    seen: set[str] = set()
    for choice in choices:
        if choice.theme in seen:
            raise Invalid(f"themes: {choice.theme!r} is given twice")
        seen.add(choice.theme)
        session.add(
            FeedbackTheme(
                feedback_id=row.id,
                theme=choice.theme,
                polarity=choice.polarity,
                status="confirmed",
                decided_by=actor.username,
            )
        )
    _moderate(
        session, actor, row, "themes confirmed", ", ".join(f"{c.theme} ({c.polarity})" for c in choices)
    )
    session.expire(row)
    return get_for_moderation(session, reference, actor=actor)


def private_details(
    session: Session, reference: str, *, actor: access.Principal
) -> PrivateDetailsRead | None:
    """Contact details (and words held back) of a story: Healthwatch staff only, and every look is audited."""
    _require_staff(actor)
    row = _load(session, reference)
    private = session.get(PrivateDetails, row.id)
    access.audit(
        session,
        actor=actor,
        event="public voice contact details",
        action="read",
        reason="Healthwatch follow-up",
        resource_type="Feedback",
        resource_id=row.reference,
    )
    if private is None:
        return None
    return PrivateDetailsRead(
        reference=row.reference,
        contact_name=private.contact_name,
        contact_email=private.contact_email,
        contact_phone=private.contact_phone,
        wants_reply=private.wants_reply,
        original_text=private.original_text,
    )


def erase_private_details(session: Session, reference: str, *, actor: access.Principal) -> bool:
    """Delete a story's private details (on the person's request); True if there were any."""
    _require_staff(actor)
    row = _load(session, reference)
    private = session.get(PrivateDetails, row.id)
    if private is None:
        return False
    session.delete(private)
    _moderate(session, actor, row, "private details erased on request", None)
    if not row.text.strip() and row.status != "rejected":
        # Nothing public is left to tell: the story is withdrawn with its words.
        row.status, row.rejected_reason = "rejected", "withdrawn: private details erased on request"
        row.moderated_by, row.moderated_at = actor.username, datetime.now(UTC)
    return True
