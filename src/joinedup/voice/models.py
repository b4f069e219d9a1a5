"""Public voice tables: stories and concerns, what is private about them, moderation, themes, provider
replies, consultations with their comments, the submission log that holds back floods, and "you said, we did":
actions taken on a theme or concern, their updates, and the measure that shows whether anything moved.

A place (organisation, site or service) is kept as its registry id: the registry is the only owner of places.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from joinedup.db import Base, UtcInstant

FEEDBACK_STATUSES = ("received", "held", "published", "rejected")
FEEDBACK_KINDS = ("feedback", "concern")
STANCES = ("support", "oppose", "unsure")


class Feedback(Base):
    """A story or concern about a place, as the public may see it: the text has had personal data removed."""

    __tablename__ = "voice_feedback"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        CheckConstraint("status IN ('received', 'held', 'published', 'rejected')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="feedback")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    place_kind: Mapped[str] = mapped_column(String(16))
    place_id: Mapped[str] = mapped_column(String(80), index=True)
    # The registry organisation that ran the place the day the story was told (None if unknown).
    organisation_id: Mapped[str | None] = mapped_column(String(80), index=True)
    text: Mapped[str] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    redactions: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    sentiment: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True, default="received")
    held_reason: Mapped[str | None] = mapped_column(Text)
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    moderated_by: Mapped[str | None] = mapped_column(String(120))
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    response_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    response_requested_by: Mapped[str | None] = mapped_column(String(120))

    themes: Mapped[list[FeedbackTheme]] = relationship(
        back_populates="feedback", lazy="raise", cascade="all, delete-orphan", order_by="FeedbackTheme.id"
    )
    reply: Mapped[ProviderReply | None] = relationship(
        back_populates="feedback", lazy="raise", cascade="all, delete-orphan", uselist=False
    )


class PrivateDetails(Base):
    """What only Healthwatch staff may see: contact details, and the words as sent when automatic redaction
    failed (kept only until a moderator has written the public text). Deleted whole on request."""

    __tablename__ = "voice_private_details"

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("voice_feedback.id", ondelete="CASCADE"), primary_key=True
    )
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    wants_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    original_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FeedbackTheme(Base):
    """A theme of a story with its polarity: suggested by the classifier, or confirmed by staff."""

    __tablename__ = "voice_feedback_theme"
    __table_args__ = (
        UniqueConstraint("feedback_id", "theme", "status", name="uq_voice_feedback_theme_once"),
        CheckConstraint("status IN ('suggested', 'confirmed')", name="status_known"),
        CheckConstraint("polarity IN ('positive', 'negative', 'neutral')", name="polarity_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("voice_feedback.id", ondelete="CASCADE"), index=True)
    theme: Mapped[str] = mapped_column(String(40))
    polarity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(120))

    feedback: Mapped[Feedback] = relationship(back_populates="themes", lazy="raise")


class ProviderReply(Base):
    """The provider's answer to a story, published beside it (personal data removed as for stories)."""

    __tablename__ = "voice_provider_reply"

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("voice_feedback.id", ondelete="CASCADE"), primary_key=True
    )
    responder: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    feedback: Mapped[Feedback] = relationship(back_populates="reply", lazy="raise")


class ModerationEvent(Base):
    """One step in a story's moderation (published, rejected, response requested, ...), who and when."""

    __tablename__ = "voice_moderation_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("voice_feedback.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Submission(Base):
    """When a sender (a keyed hash of their network address, never the address) last sent something."""

    __tablename__ = "voice_submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Consultation(Base):
    """A planner scenario put to the public: each of its dated changes can be commented on."""

    __tablename__ = "voice_consultation"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    scenario: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    published_by: Mapped[str] = mapped_column(String(120))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    changes: Mapped[list[ConsultationChange]] = relationship(
        back_populates="consultation",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="ConsultationChange.position",
    )


class ConsultationChange(Base):
    """One dated change of the scenario as it was put to the public (kept as consulted on)."""

    __tablename__ = "voice_consultation_change"
    __table_args__ = (
        UniqueConstraint("consultation_id", "position", name="uq_voice_consultation_change_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consultation_id: Mapped[str] = mapped_column(
        ForeignKey("voice_consultation.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)

    consultation: Mapped[Consultation] = relationship(back_populates="changes", lazy="raise")


class ConsultationComment(Base):
    """A view on one change: a stance (counted at once) and words (shown once moderated)."""

    __tablename__ = "voice_consultation_comment"
    __table_args__ = (
        CheckConstraint("stance IN ('support', 'oppose', 'unsure')", name="stance_known"),
        CheckConstraint("status IN ('received', 'held', 'published', 'rejected')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    change_id: Mapped[int] = mapped_column(
        ForeignKey("voice_consultation_change.id", ondelete="CASCADE"), index=True
    )
    stance: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    redactions: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # The words as sent, only while automatic redaction has failed and a moderator has not yet decided.
    held_original: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True, default="received")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    moderated_by: Mapped[str | None] = mapped_column(String(120))


ACTION_STATUSES = ("planned", "in progress", "done", "dropped")
MEASURE_KINDS = ("registry", "planner", "waiting")
DIRECTIONS = ("up", "down")


class Action(Base):
    """What was done about a theme or a concern: an owner (organisation and named role), a due date and a
    status, with dated updates. The public sees it once Healthwatch staff publish it."""

    __tablename__ = "voice_action"
    __table_args__ = (
        CheckConstraint("status IN ('planned', 'in progress', 'done', 'dropped')", name="status_known"),
        CheckConstraint("theme IS NOT NULL OR feedback_id IS NOT NULL", name="about_something"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    theme: Mapped[str | None] = mapped_column(String(40), index=True)
    feedback_id: Mapped[int | None] = mapped_column(
        ForeignKey("voice_feedback.id", ondelete="SET NULL"), index=True
    )
    # The registry organisation that owns the action, and the named role answerable for it.
    owner_organisation_id: Mapped[str] = mapped_column(String(80), index=True)
    owner_role: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True, default="planned")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcInstant())
    updated_at: Mapped[datetime] = mapped_column(UtcInstant())
    published_at: Mapped[datetime | None] = mapped_column(UtcInstant())

    updates: Mapped[list[ActionUpdate]] = relationship(
        back_populates="action", lazy="raise", cascade="all, delete-orphan", order_by="ActionUpdate.id"
    )
    measure: Mapped[Measure | None] = relationship(
        back_populates="action", lazy="raise", cascade="all, delete-orphan", uselist=False
    )


class ActionUpdate(Base):
    """One dated step of an action: a status change and/or a note, who made it and when."""

    __tablename__ = "voice_action_update"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("voice_action.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcInstant())
    by: Mapped[str] = mapped_column(String(120))
    status_from: Mapped[str | None] = mapped_column(String(16))
    status_to: Mapped[str | None] = mapped_column(String(16))
    due_from: Mapped[date | None] = mapped_column(Date)
    due_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    # A note for Healthwatch and the owner only is never shown on the public page.
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)

    action: Mapped[Action] = relationship(back_populates="updates", lazy="raise")


class Measure(Base):
    """How to tell whether an action made a difference: a registry fact (a pool's beds, a service on a site),
    a planner figure (a pool's occupancy or blocking under a scenario), or a waiting figure entered with its
    source; with the direction that counts as better."""

    __tablename__ = "voice_measure"
    __table_args__ = (
        CheckConstraint("kind IN ('registry', 'planner', 'waiting')", name="kind_known"),
        CheckConstraint("desired IN ('up', 'down')", name="desired_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("voice_action.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    desired: Mapped[str] = mapped_column(String(8))
    # registry: a bed pool's beds or a service's presence; planner: a scenario's pool figure.
    pool_id: Mapped[str | None] = mapped_column(String(80))
    service_id: Mapped[str | None] = mapped_column(String(80))
    scenario: Mapped[str | None] = mapped_column(String(80))
    figure: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcInstant())

    action: Mapped[Action] = relationship(back_populates="measure", lazy="raise")
    readings: Mapped[list[MeasureReading]] = relationship(
        back_populates="measure",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="MeasureReading.on",
    )


class MeasureReading(Base):
    """One value of a measure on a date, where it came from, and (for planner figures) its 95% interval.
    The earliest reading is the baseline, the latest the current value."""

    __tablename__ = "voice_measure_reading"
    __table_args__ = (CheckConstraint("value >= 0", name="value_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("voice_measure.id", ondelete="CASCADE"), index=True)
    on: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    low: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UtcInstant())

    measure: Mapped[Measure] = relationship(back_populates="readings", lazy="raise")
