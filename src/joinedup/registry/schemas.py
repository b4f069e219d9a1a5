"""Registry entities in (`XCreate`: one entry of an ICS file) and out (`XRead`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)

from joinedup.registry.vocabulary import (
    AreaKind,
    BedSetting,
    OrganisationKind,
    SiteKind,
    StaffGroup,
    SuccessionKind,
    is_assumption,
)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# A responsibility role is stored in 80 characters; longer is refused at load time, not truncated.
RoleText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
OdsCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z0-9]{3,10}$")]


class RecordBase(BaseModel):
    """One entry of an ICS file: unknown keys are mistakes, and every fact names its source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Text


class DatedRecord(RecordBase):
    """An entry with a half-open period [start, end); `end` omitted means still in effect."""

    start: date | None = None
    end: date | None = None

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start")
        if end is not None and start is not None and end <= start:
            raise ValueError(f"end ({end}) must be after start ({start})")
        return end


class AreaCreate(RecordBase):
    """An [[areas]] entry: a place, perhaps part of a wider one."""

    id: Slug
    name: Text
    kind: AreaKind
    part_of: Slug | None = None
    aliases: list[Text] = Field(default_factory=list)


class OrganisationCreate(DatedRecord):
    """An [[organisations]] entry."""

    id: Slug
    ods_code: OdsCode | None = None
    name: Text
    kind: OrganisationKind
    aliases: list[Text] = Field(default_factory=list)
    note: Text | None = None


class ResponsibilityCreate(DatedRecord):
    """A [[responsibilities]] entry: an organisation's role for an area (start required)."""

    area: Slug
    organisation: Slug
    role: RoleText
    start: date


class SuccessionCreate(RecordBase):
    """A [[successions]] entry: one organisation became (part of) another."""

    predecessor: Slug
    successor: Slug
    kind: SuccessionKind
    date: date

    @field_validator("successor")
    @classmethod
    def _not_itself(cls, successor: str, info: ValidationInfo) -> str:
        if successor == info.data.get("predecessor"):
            raise ValueError("an organisation cannot succeed itself")
        return successor


class SiteCreate(DatedRecord):
    """A [[sites]] entry."""

    id: Slug
    name: Text
    kind: SiteKind
    town: Text | None = None
    postcode: (
        Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=10)] | None
    ) = None
    area: Slug | None = None


class SiteOperatorCreate(DatedRecord):
    """A [[site_operators]] entry: who ran a site, when."""

    site: Slug
    organisation: Slug


class ServiceCreate(DatedRecord):
    """A [[services]] entry: a service at a site."""

    id: Slug
    site: Slug
    name: Text
    kind: Text
    organisation: Slug | None = None


class BedPoolCreate(RecordBase):
    """A [[bed_pools]] entry; its size over time comes in [[bed_capacity]]."""

    id: Slug
    site: Slug
    setting: BedSetting
    specialty: Text
    name: Text


class BedCapacityCreate(DatedRecord):
    """A [[bed_capacity]] entry: a pool's beds from `start` (required)."""

    pool: Slug
    beds: Annotated[int, Field(ge=0, strict=True)]
    start: date


class TeamCreate(DatedRecord):
    """A [[teams]] entry."""

    id: Slug
    name: Text
    organisation: Slug
    site: Slug | None = None
    pool: Slug | None = None
    beds: Annotated[int, Field(ge=0, strict=True)] | None = None


WORKFORCE_SCOPES = ("organisation", "site", "pool", "team")


class WorkforceCreate(DatedRecord):
    """A [[workforce]] entry: staff of one group in exactly one scope, as FTE or headcount."""

    organisation: Slug | None = None
    site: Slug | None = None
    pool: Slug | None = None
    team: Slug | None = None
    staff_group: StaffGroup
    fte: Annotated[float, Field(ge=0)] | None = None
    headcount: Annotated[int, Field(ge=0, strict=True)] | None = None

    @model_validator(mode="after")
    def _one_scope_and_a_figure(self) -> Self:
        scopes = [name for name in WORKFORCE_SCOPES if getattr(self, name) is not None]
        if len(scopes) != 1:
            raise ValueError("give exactly one of organisation, site, pool or team")
        if self.fte is None and self.headcount is None:
            raise ValueError("give fte or headcount")
        return self

    @property
    def scope(self) -> tuple[str, str]:
        """(scope kind, id) of the one scope given."""
        for name in WORKFORCE_SCOPES:
            value = getattr(self, name)
            if value is not None:
                return name, str(value)
        raise AssertionError("validated to have one scope")


class ReadBase(BaseModel):
    """Read models are built from table rows or plain values."""

    model_config = ConfigDict(from_attributes=True)


class SourcedRead(ReadBase):
    """A fact with its source; `is_assumption` says whether the source labels it an assumption."""

    source: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def is_assumption(self) -> bool:
        return is_assumption(self.source)


class PeriodRead(SourcedRead):
    """A fact with a half-open period [start, end)."""

    start: date | None
    end: date | None


class AreaRead(SourcedRead):
    """An area."""

    id: str
    name: str
    kind: str
    part_of_id: str | None
    aliases: list[str]


class OrganisationRead(PeriodRead):
    """An organisation."""

    id: str
    ods_code: str | None
    name: str
    kind: str
    aliases: list[str]
    note: str | None


class SiteRead(PeriodRead):
    """A site."""

    id: str
    name: str
    kind: str
    town: str | None
    postcode: str | None
    area_id: str | None


class OperatorRead(PeriodRead):
    """An organisation running a site during a period."""

    site_id: str
    organisation_id: str
    organisation_name: str

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, value: Any) -> Any:
        if hasattr(value, "organisation") and not isinstance(value, dict):
            return {
                "site_id": value.site_id,
                "organisation_id": value.organisation_id,
                "organisation_name": value.organisation.name,
                "start": value.start,
                "end": value.end,
                "source": value.source,
            }
        return value


class ServiceRead(PeriodRead):
    """A service at a site."""

    id: str
    site_id: str
    name: str
    kind: str
    organisation_id: str | None


class BedPoolRead(SourcedRead):
    """A bed pool and its beds on the day asked about."""

    id: str
    site_id: str
    setting: str
    specialty: str
    name: str
    beds: int


class CapacityStep(PeriodRead):
    """One step of a pool's size over time."""

    pool_id: str
    beds: int


class TeamRead(PeriodRead):
    """A team."""

    id: str
    name: str
    organisation_id: str
    site_id: str | None
    pool_id: str | None
    beds: int | None


class WorkforceRead(PeriodRead):
    """Staff of one group in one scope."""

    organisation_id: str | None
    site_id: str | None
    pool_id: str | None
    team_id: str | None
    staff_group: str
    fte: float | None
    headcount: int | None


class ResponsibilityRead(PeriodRead):
    """An organisation's role for an area during a period."""

    area_id: str
    organisation_id: str
    organisation_name: str
    organisation_kind: str
    role: str


class SuccessionRead(SourcedRead):
    """One organisation became (part of) another on a date."""

    predecessor_id: str
    successor_id: str
    kind: str
    date: date
