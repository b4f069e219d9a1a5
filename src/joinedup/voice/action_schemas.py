"""Public voice's "you said, we did", in (`XCreate`) and out (`XRead`): actions on a theme or concern,
their dated updates, and the measure (registry, planner or waiting figure) that says whether anything moved.

Staff read models (`ActionRead`) and public ones (`PublicActionRead`) are separate classes, so a field that
only staff may see (who wrote an update, an unpublished note, a concern not yet published) cannot reach the
public page by accident.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from joinedup.voice.themes import THEME_CODES

ActionStatus = Literal["planned", "in progress", "done", "dropped"]
MeasureKind = Literal["registry", "planner", "waiting"]
Direction = Literal["up", "down"]
Verdict = Literal["better", "worse", "no clear change", "not measured yet"]
# Planner figures a measure may follow (names as in the planner's results; shares are 0 to 1).
PlannerFigure = Literal[
    "occupancy", "blocked_fraction", "refused_fraction", "days_above_92", "wait_mean_days"
]
PLANNER_UNITS: dict[str, str] = {
    "occupancy": "share",
    "blocked_fraction": "share",
    "refused_fraction": "share",
    "days_above_92": "days",
    "wait_mean_days": "days",
}
OPEN_STATUSES: tuple[ActionStatus, ...] = ("planned", "in progress")
MAX_REPLICATIONS = 200

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
Role = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Slug = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
Unit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class Strict(BaseModel):
    """Input models: an unknown field is a mistake, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ReadingCreate(Strict):
    """One reading of a measure. A waiting figure gives its value and source; a registry reading is read from
    the registry on `on`; a planner reading runs `scenario` (or reads stored run `run`)."""

    on: date | None = Field(default=None, description="The day the value is for (default: today).")
    value: float | None = Field(default=None, description="Waiting figures only: the number, 0 or more.")
    source: Source | None = Field(default=None, description="Waiting figures only: where the number is from.")
    scenario: Slug | None = Field(
        default=None, description="Planner only: a bundled scenario (default: the measure's scenario)."
    )
    run: Slug | None = Field(default=None, description="Planner only: the id of a finished planner run.")
    replications: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)] = 20
    seed: Annotated[int, Field(ge=0, lt=2**31)] = 1

    @field_validator("value")
    @classmethod
    def _a_count(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or value < 0):
            raise ValueError(f"value must be a finite number, 0 or more (got {value})")
        return value

    @model_validator(mode="after")
    def _one_scenario(self) -> Self:
        if self.scenario and self.run:
            raise ValueError("give a scenario or a stored run, not both")
        return self


class MeasureCreate(Strict):
    """What would show the action worked, which way is better, and its first (baseline) reading."""

    kind: MeasureKind
    label: Title = Field(
        description="What is measured, as the public reads it, e.g. 'Beds at Rutland Memorial'."
    )
    desired: Direction = Field(description="Which way is better: up or down.")
    pool: Slug | None = Field(default=None, description="registry or planner: a bed pool id.")
    service: Slug | None = Field(
        default=None, description="registry: a service id (1 while it runs, else 0)."
    )
    scenario: Slug | None = Field(
        default=None, description="planner: the bundled scenario the action is tied to."
    )
    figure: PlannerFigure | None = Field(default=None, description="planner: which figure of the pool.")
    unit: Unit | None = Field(
        default=None, description="waiting: the unit, e.g. 'weeks' or 'people waiting'."
    )
    baseline: ReadingCreate
    current: ReadingCreate | None = None

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Self:
        if self.kind == "registry" and (self.pool is None) == (self.service is None):
            raise ValueError("a registry measure follows one bed pool or one service: give pool or service")
        if self.kind == "planner" and not (self.pool and self.scenario and self.figure):
            raise ValueError("a planner measure needs scenario, pool and figure")
        if self.kind == "waiting" and not self.unit:
            raise ValueError("a waiting figure needs its unit")
        if self.kind != "planner" and (self.scenario or self.figure):
            raise ValueError("scenario and figure belong to planner measures only")
        return self


class ActionCreate(Strict):
    """An action on a theme (a code of the theme list) or on one concern (a story reference), or both."""

    title: Title
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    theme: Annotated[str, Field(json_schema_extra={"enum": list(THEME_CODES)})] | None = None
    concern: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] | None = Field(
        default=None, description="The reference of the story or concern the action answers."
    )
    owner: Slug = Field(description="The owning organisation: an ODS code or a registry organisation id.")
    owner_role: Role = Field(description="The named role answerable for it, e.g. 'Director of Nursing'.")
    due_on: date
    status: ActionStatus = "planned"
    publish: bool = Field(default=False, description="Show it on the public page at once.")
    measure: MeasureCreate | None = None

    @model_validator(mode="after")
    def _about_something(self) -> Self:
        if self.theme is not None and self.theme not in THEME_CODES:
            raise ValueError(f"unknown theme {self.theme!r}; themes are {', '.join(THEME_CODES)}")
        if not self.theme and not self.concern:
            raise ValueError("an action answers a theme or a concern: give theme or concern")
        if self.status not in ("planned", "in progress"):
            raise ValueError("a new action starts planned or in progress")
        return self


class ActionUpdateCreate(Strict):
    """A dated step: a new status, a new due date, a note, or several; `public` false keeps the note in."""

    status: ActionStatus | None = None
    due_on: date | None = None
    note: Note | None = None
    public: bool = True

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.status is None and self.due_on is None and self.note is None:
            raise ValueError("an update needs a new status, a new due date or a note")
        return self


class OwnerRead(BaseModel):
    organisation_id: str
    name: str
    ods_code: str | None
    role: str


class ReadingRead(BaseModel):
    on: date
    value: float
    low: float | None
    high: float | None
    source: str


class StaffReadingRead(ReadingRead):
    recorded_by: str
    recorded_at: datetime


class ChartPoint(BaseModel):
    x: float
    y: float
    low_y: float | None
    high_y: float | None
    label: str


class ChartRead(BaseModel):
    """A small chart of a measure's readings, drawn as inline SVG (no script needed)."""

    width: int
    height: int
    left: int
    top: int
    bottom: int
    points: list[ChartPoint]
    path: str
    top_label: str
    bottom_label: str
    first_label: str
    last_label: str
    description: str


class PublicMeasureRead(BaseModel):
    kind: MeasureKind
    label: str
    unit: str
    desired: Direction
    subject: str
    baseline: ReadingRead | None
    current: ReadingRead | None
    readings: list[ReadingRead]
    verdict: Verdict
    chart: ChartRead | None


class MeasureRead(PublicMeasureRead):
    pool_id: str | None
    service_id: str | None
    scenario: str | None
    figure: str | None
    staff_readings: list[StaffReadingRead]


class PublicUpdateRead(BaseModel):
    on: date
    status: ActionStatus | None
    due_on: date | None
    note: str | None


class UpdateRead(PublicUpdateRead):
    at: datetime
    by: str
    status_from: str | None
    due_from: date | None
    is_public: bool


class QuoteRead(BaseModel):
    """A published story, as published (personal data already removed)."""

    reference: str
    about: str
    text: str
    told_on: date


class PublicActionRead(BaseModel):
    """An action as the public sees it."""

    id: int
    title: str
    description: str | None
    theme: str | None
    theme_label: str | None
    concern: QuoteRead | None
    owner: OwnerRead
    due_on: date
    status: ActionStatus
    created_on: date
    age_days: int
    is_overdue: bool
    updates: list[PublicUpdateRead]
    measure: PublicMeasureRead | None


class ActionRead(BaseModel):
    """An action as Healthwatch staff see it: every update, who wrote it, and whether it is published."""

    id: int
    title: str
    description: str | None
    theme: str | None
    theme_label: str | None
    concern_reference: str | None
    concern_status: str | None
    owner: OwnerRead
    due_on: date
    status: ActionStatus
    created_on: date
    created_by: str
    age_days: int
    is_overdue: bool
    published_at: datetime | None
    updates: list[UpdateRead]
    measure: MeasureRead | None


class OpenActionRead(BaseModel):
    """An open action for the board: how old it is and whether it is past its due date."""

    id: int
    title: str
    theme_label: str | None
    owner_role: str
    status: ActionStatus
    created_on: date
    due_on: date
    age_days: int
    is_overdue: bool
    is_published: bool
    verdict: Verdict | None


class ThemeSaid(BaseModel):
    """One theme: how often published stories raised it, a few of them, and what was done."""

    theme: str | None
    label: str
    stories: int
    positive: int
    negative: int
    neutral: int
    quotes: list[QuoteRead]
    actions: list[PublicActionRead]


class YouSaidWeDid(BaseModel):
    """The public page's content: only published stories and published actions."""

    generated_on: date
    themes: list[ThemeSaid]
