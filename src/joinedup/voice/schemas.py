"""Public voice in (`XCreate`) and out (`XRead`): feedback, themes, replies, trends, consultations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from joinedup.voice.action_schemas import OpenActionRead
from joinedup.voice.themes import THEME_CODES

MAX_TEXT = 5000
MAX_COMMENT = 2000

Status = Literal["received", "held", "published", "rejected"]
Polarity = Literal["positive", "negative", "neutral"]
Stance = Literal["support", "oppose", "unsure"]
Story = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^\+?[0-9 ()\-]{6,}$")
]


class Strict(BaseModel):
    """Input models: an unknown field is a mistake, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ContactCreate(Strict):
    """How Healthwatch may reach the person; kept apart from the story, seen only by Healthwatch staff."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] | None = None
    email: Email | None = None
    phone: Phone | None = None
    wants_reply: bool = True

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if not self.email and not self.phone:
            raise ValueError("give an email address or a phone number so Healthwatch can reach you")
        return self


class FeedbackCreate(Strict):
    """A story or concern about an organisation (ODS code), a site or a service (registry id)."""

    text: Story = Field(description=f"What happened, in the person's words (1 to {MAX_TEXT} characters).")
    about: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)] = Field(
        description="An ODS code, or a registry site or service id."
    )
    kind: Literal["feedback", "concern"] = "feedback"
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    contact: ContactCreate | None = None


class PlaceRef(BaseModel):
    """What a story is about, as the registry names it."""

    kind: str
    id: str
    name: str
    ods_code: str | None = None


class ThemeRead(BaseModel):
    theme: str
    label: str
    polarity: Polarity
    status: Literal["suggested", "confirmed"]
    confidence: float | None = None


class ReplyRead(BaseModel):
    responder: str
    text: str
    published_at: datetime


class FeedbackRead(BaseModel):
    """A stored story as the public may see it (personal data removed), with its moderation state."""

    reference: str
    kind: str
    about: PlaceRef
    organisation_id: str | None
    text: str
    rating: int | None
    status: Status
    received_at: datetime
    published_at: datetime | None
    redactions: dict[str, int]
    sentiment: str | None
    themes: list[ThemeRead]
    reply: ReplyRead | None


class ModerationRead(FeedbackRead):
    """A story as Healthwatch staff see it in the queue: why it was held, and whether contact is kept."""

    held_reason: str | None
    rejected_reason: str | None
    has_contact: bool
    response_requested_at: datetime | None


class PrivateDetailsRead(BaseModel):
    """Contact details (and words held back when redaction failed): Healthwatch staff only."""

    reference: str
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    wants_reply: bool
    original_text: str | None


class RejectRequest(Strict):
    reason: Reason


class PublicTextUpdate(Strict):
    """A moderator's own wording of the public text (redacted again before it is stored)."""

    text: Story


class ReplyCreate(Strict):
    """The provider's reply, as the provider sent it to Healthwatch."""

    responder: ShortText = Field(description="Who replied, e.g. 'Head of Patient Experience, UHL'.")
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]


class ThemeChoice(Strict):
    theme: Annotated[str, Field(json_schema_extra={"enum": list(THEME_CODES)})]
    polarity: Polarity

    @model_validator(mode="after")
    def _known(self) -> Self:
        if self.theme not in THEME_CODES:
            raise ValueError(f"unknown theme {self.theme!r}; themes are {', '.join(THEME_CODES)}")
        return self


class ThemesConfirm(Strict):
    themes: list[ThemeChoice]


class TrendRow(BaseModel):
    """Stories told about one organisation's places in one month."""

    organisation_id: str
    organisation_name: str
    month: str
    stories: int
    positive: int
    negative: int
    mixed: int
    neutral: int
    mean_rating: float | None


class ThemeCount(BaseModel):
    theme: str
    label: str
    positive: int
    negative: int
    neutral: int

    @property
    def total(self) -> int:
        return self.positive + self.negative + self.neutral


class BoardReport(BaseModel):
    """What the public said about one organisation's places in a period, for its board."""

    organisation: PlaceRef
    start: date
    end: date
    received: int
    published: int
    rejected: int
    awaiting: int
    concerns: int
    replies: int
    responses_requested: int
    sentiment: dict[str, int]
    mean_rating: float | None
    themes: list[ThemeCount]
    trend: list[TrendRow]
    places: dict[str, int]
    examples: list[FeedbackRead]
    actions: list[OpenActionRead] = Field(
        default_factory=list, description="Open actions the organisation owns, oldest first, with their age."
    )


class CommentCreate(Strict):
    """A view on one change of a consultation: a stance, and words if the person wants to add them."""

    stance: Stance
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_COMMENT)] = ""


class CommentRead(BaseModel):
    reference: str
    change_id: int
    stance: Stance
    text: str
    status: Status
    received_at: datetime


class ChangeRead(BaseModel):
    """One change put to the public, with the public tally of views and the published comments."""

    id: int
    position: int
    on: date
    kind: str
    summary: str
    source: str | None
    tally: dict[str, int]
    comments: list[CommentRead]


class ConsultationCreate(Strict):
    scenario: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=80)
    ] = Field(description="The name of a bundled planner scenario, e.g. llr-stp-2016.")
    title: ShortText | None = None
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    closes_on: date | None = None


class ConsultationRead(BaseModel):
    id: str
    scenario: str
    title: str
    description: str | None
    opens_on: date
    closes_on: date | None
    is_open: bool
    changes: list[ChangeRead]
