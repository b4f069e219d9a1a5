"""Access entities in (`UserCreate`, `AuditQuery`, `BreakGlassReview`) and out (`...Read`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from joinedup.access.policy import Role

Username = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,79}$")
]
OdsCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9]{3,10}$")
]
TeamId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
NhsNumber = Annotated[str, StringConstraints(pattern=r"^\d{10}$")]


class UserCreate(BaseModel):
    """A new user; the organisation must exist in the registry, a patient needs an NHS number."""

    model_config = ConfigDict(extra="forbid")

    username: Username
    role: Role
    organisation_ods: OdsCode | None = None
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    password: Annotated[str, StringConstraints(min_length=8, max_length=200)] | None = None
    team_ids: list[TeamId] = Field(default_factory=list)
    nhs_number: NhsNumber | None = None

    @field_validator("nhs_number", mode="before")
    @classmethod
    def _digits_only(cls, value: object) -> object:
        return value.replace(" ", "") if isinstance(value, str) else value

    @field_validator("role", mode="before")
    @classmethod
    def _role_by_name(cls, value: object) -> object:
        return role_named(value) if isinstance(value, str) else value


def role_named(text: str) -> Role | str:
    """The role `text` names, forgiving case, hyphens and underscores ('virtual_ward_nurse')."""
    key = "".join(ch for ch in text.lower() if ch.isalpha())
    for role in Role:
        if "".join(ch for ch in role.value if ch.isalpha()) == key:
            return role
    return text


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    username: str
    display_name: str
    role: str
    organisation_ods: str | None
    team_ids: list[str]
    nhs_number: str | None
    active: bool
    created_at: datetime


class PrincipalRead(BaseModel):
    """Who the caller is, as the API sees them."""

    username: str
    display_name: str
    role: str
    organisation_ods: str | None
    scopes: list[str] | None = Field(description="The token's SMART scopes; null for a page session.")


class AuditEntryRead(BaseModel):
    """One entry of the audit log, with its place in the hash chain."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    entry_id: str
    recorded_at: datetime
    event: str
    username: str
    role: str | None
    organisation_ods: str | None
    action: str
    resource_type: str | None
    resource_id: str | None
    patient_nhs_number: str | None
    outcome: str
    reason: str
    break_glass: bool
    request_id: str | None
    source_address: str | None
    prev_hash: str
    hash: str


class AuditQuery(BaseModel):
    """A privacy officer's search of the audit log; dates are inclusive, in UTC."""

    model_config = ConfigDict(extra="forbid")

    username: str | None = None
    nhs_number: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    outcome: Literal["allowed", "refused"] | None = None
    break_glass: bool | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    total: int
    limit: int
    offset: int


class BreakGlassGrantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: str
    organisation_ods: str | None
    patient_nhs_number: str
    reason: str
    request_id: str | None
    granted_at: datetime
    expires_at: datetime
    review_status: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None


class BreakGlassReview(BaseModel):
    """The privacy officer's finding on one break-glass grant."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["justified", "referred"]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class PatientAccessRead(BaseModel):
    """One look at a patient's record, as the patient is shown it."""

    recorded_at: datetime
    username: str
    display_name: str
    role: str | None
    organisation_ods: str | None
    organisation_name: str | None
    action: str
    resource_type: str | None
    outcome: str
    reason: str
    break_glass: bool
