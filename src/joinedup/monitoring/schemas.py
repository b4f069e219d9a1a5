"""Pydantic models of the monitoring API: reading outcomes, alerts and their steps, plans and thresholds."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ReadingStatus = Literal["stored", "held", "duplicate", "rejected"]
AlertStatus = Literal["active", "acknowledged", "escalated", "resolved"]
EscalationTarget = Literal["team-clinician", "gp", "999-advice"]

ESCALATION_TARGETS: dict[str, str] = {
    "team-clinician": "the virtual-ward team's clinician",
    "gp": "the patient's GP",
    "999-advice": "999 advice given to the patient (emergency services)",
}


class ReadingOutcome(BaseModel):
    """What happened to one reading: stored and scored, held for review, a duplicate, or rejected (why)."""

    status: ReadingStatus
    observation_id: str | None = None
    nhs_number: str | None = None
    detail: str | None = None
    alert_ids: list[str] = Field(default_factory=list)


class AlertEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    at: datetime
    by: str
    detail: str
    rule_set_version: str | None


class AlertRead(BaseModel):
    """An alert on a patient's stay, with who did what to it and when."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    admission_id: str
    ward_id: str
    nhs_number: str
    rule_id: str
    severity: str
    status: str
    message: str
    rule_set_version: str
    raised_under: str | None = Field(None, description="The rule set (name@version) that raised the alert")
    raised_at: datetime
    updated_at: datetime
    reading_at: datetime
    occurrences: int
    cleared_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    escalated_to: str | None
    escalated_by: str | None
    escalated_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    events: list[AlertEventRead] = Field(default_factory=list)


class AlertAction(BaseModel):
    """Acknowledge or resolve an alert, with an optional note."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=500)


class EscalationCreate(BaseModel):
    """Escalate an alert to the team's clinician, the GP, or 999 advice."""

    model_config = ConfigDict(extra="forbid")

    to: EscalationTarget
    note: str = Field("", max_length=500)


class ThresholdChangeCreate(BaseModel):
    """Change one of a patient's thresholds (null: back to the rule set's), with the clinical reason."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    section: str = Field(description="e.g. covid_oximetry, heart_failure, news2, frailty, missed_readings")
    name: str = Field(description="e.g. emergency_spo2_max")
    value: float | None
    reason: str = Field(min_length=3, max_length=500)


class Spo2ScaleDecisionCreate(BaseModel):
    """A clinician's decision to score SpO2 on scale 2 (hypercapnic respiratory failure) or back to 1; the
    reason is required (blank refused), recorded with who and when, and audited."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    spo2_scale: Literal[1, 2]
    reason: str = Field(min_length=3, max_length=500)


class DeviceCreate(BaseModel):
    """Issue a monitoring device to a patient on a virtual ward."""

    model_config = ConfigDict(extra="forbid")

    system: str = "https://fhir.joinedup.example/Id/device"
    value: str = Field(min_length=1, max_length=120)
    kind: str = Field("home monitoring kit", max_length=60)
    nhs_number: str


class HeldReadingReview(BaseModel):
    """A clinician's review of a held reading: release it to be scored, or strike it out as an error."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["release", "entered-in-error"]
    note: str = Field("", max_length=500)


class ReplayCount(BaseModel):
    """Alerts counted three ways for one day, team, nurse, rule or severity: raised live, and replayed under
    the rules in force and under the proposed rules."""

    key: str
    live: int
    current: int
    proposed: int
    name: str | None = None
    nurses: int | None = None
    teams: list[str] | None = None


class ReplayRuleSet(BaseModel):
    """A rule set as replayed: its version id, content digest and thresholds."""

    version_id: str
    content_sha256: str
    rules: dict[str, Any]


class ReplayReport(BaseModel):
    """What a proposed rule set would have raised over a period, beside the current rules and live alerts.

    Aggregate only: no patient is named. Nothing in it was raised.
    """

    note: str
    first: date
    last: date
    replayed_until: datetime
    current: ReplayRuleSet
    proposed: ReplayRuleSet
    stays: int
    readings: int
    totals: ReplayCount
    by_day: list[ReplayCount]
    by_team: list[ReplayCount]
    by_nurse: list[ReplayCount]
    by_rule: list[ReplayCount]
    by_severity: list[ReplayCount]
    warnings: list[str] = Field(default_factory=list)


class ReplayRequest(BaseModel):
    """A proposed rule set (TOML text, or the same as a JSON object) and the UTC days to replay it over."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    rules_toml: str | None = Field(None, max_length=100_000, description="The rule set as TOML")
    rules: dict[str, Any] | None = Field(None, description="The rule set as a JSON object")
    first: date = Field(alias="from")
    last: date = Field(alias="to")


class AckSummaryRow(BaseModel):
    """Time to acknowledge for one team on one day (`day` None: the whole period)."""

    ward_id: str
    ward_name: str | None = None
    day: date | None
    raised: int
    acknowledged: int
    median_minutes: float | None
    p90_minutes: float | None
    not_acknowledged: int
    longest_wait_minutes: float | None


class AlertsReport(BaseModel):
    """Time from an alert being raised to being acknowledged, per team and day (aggregate only)."""

    first: date
    last: date
    generated_at: datetime
    rows: list[AckSummaryRow]
