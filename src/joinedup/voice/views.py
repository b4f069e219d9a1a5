"""Stored stories as read models: the public view and the moderator's view."""

from __future__ import annotations

from datetime import UTC, datetime

from joinedup.voice.models import Feedback, FeedbackTheme
from joinedup.voice.schemas import FeedbackRead, ModerationRead, PlaceRef, ReplyRead, ThemeRead
from joinedup.voice.themes import THEME_LABELS


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every instant joinedup stores is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def themes_in_force(themes: list[FeedbackTheme]) -> list[FeedbackTheme]:
    """Confirmed themes once staff have confirmed any; the classifier's suggestions until then."""
    confirmed = [t for t in themes if t.status == "confirmed"]
    return confirmed if confirmed else [t for t in themes if t.status == "suggested"]


def _theme_read(theme: FeedbackTheme) -> ThemeRead:
    return ThemeRead(
        theme=theme.theme,
        label=THEME_LABELS.get(theme.theme, theme.theme),
        polarity=theme.polarity,
        status=theme.status,
        confidence=theme.confidence,
    )


def feedback_read(row: Feedback, places: dict[tuple[str, str], PlaceRef]) -> FeedbackRead:
    """The public view of a stored story (themes loaded with it)."""
    about = places.get((row.place_kind, row.place_id)) or PlaceRef(
        kind=row.place_kind, id=row.place_id, name=row.place_id
    )
    reply = row.reply
    return FeedbackRead(
        reference=row.reference,
        kind=row.kind,
        about=about,
        organisation_id=row.organisation_id,
        text=row.text,
        rating=row.rating,
        status=row.status,
        received_at=as_utc(row.received_at),
        published_at=as_utc(row.published_at) if row.published_at else None,
        redactions=dict(row.redactions or {}),
        sentiment=row.sentiment,
        themes=[_theme_read(t) for t in themes_in_force(row.themes)],
        reply=ReplyRead(responder=reply.responder, text=reply.text, published_at=as_utc(reply.published_at))
        if reply
        else None,
    )


def moderation_read(
    row: Feedback, places: dict[tuple[str, str], PlaceRef], has_contact: bool
) -> ModerationRead:
    """The moderator's view: the public view plus why it was held and whether contact details are kept.
    Suggested and confirmed themes are both shown so staff can compare."""
    public = feedback_read(row, places)
    return ModerationRead(
        **public.model_dump(exclude={"themes"}),
        themes=[_theme_read(t) for t in row.themes],
        held_reason=row.held_reason,
        rejected_reason=row.rejected_reason,
        has_contact=has_contact,
        response_requested_at=as_utc(row.response_requested_at) if row.response_requested_at else None,
    )
