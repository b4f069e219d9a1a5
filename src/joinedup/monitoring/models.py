"""Monitoring tables: devices, the readings index, alerts and their events, per-patient thresholds, SpO2
scale decisions, monitoring plans, rejected readings and the rule sets alerts were raised under.

Every reading itself is an Observation in the shared record; `monitoring_readings` indexes it (value,
time, ward) so the rules and the caseload board never parse FHIR again, and `monitoring_latest_readings`
keeps each stay's latest scored value of each parameter. Admissions and teams are referred
to by id (wards and registry own them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from joinedup.db import Base, BigKey, UtcInstant


class Device(Base):
    """A monitoring device issued to a patient; readings from a device not issued to them are refused."""

    __tablename__ = "monitoring_devices"
    __table_args__ = (UniqueConstraint("system", "value", name="uq_monitoring_devices_identifier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(60))
    organisation_ods: Mapped[str] = mapped_column(String(12))
    nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    issued_at: Mapped[datetime | None] = mapped_column(UtcInstant())
    registered_by: Mapped[str] = mapped_column(String(80))


class Reading(Base):
    """One stored reading (an Observation in the record), indexed for the rules and the board."""

    __tablename__ = "monitoring_readings"
    __table_args__ = (
        Index("ix_monitoring_readings_admission_parameter_time", "admission_id", "parameter", "effective_at"),
    )

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    observation_id: Mapped[str] = mapped_column(String(64), unique=True)
    admission_id: Mapped[str] = mapped_column(String(36))
    team_id: Mapped[str] = mapped_column(String(80), index=True)
    nhs_number: Mapped[str] = mapped_column(String(10), index=True)
    code: Mapped[str] = mapped_column(String(40))
    parameter: Mapped[str] = mapped_column(String(40))
    value: Mapped[float | None] = mapped_column(Float)
    value_text: Mapped[str | None] = mapped_column(String(8))
    unit: Mapped[str] = mapped_column(String(20))
    effective_at: Mapped[datetime] = mapped_column(UtcInstant())
    device: Mapped[str] = mapped_column(String(330))
    received_at: Mapped[datetime] = mapped_column(UtcInstant())
    # scored: used by the rules; held: waiting for a clinician's review, never scored until released;
    # released: reviewed and scored; entered-in-error: reviewed and struck out, never scored.
    status: Mapped[str] = mapped_column(String(20))
    review_reason: Mapped[str | None] = mapped_column(String(500))
    reviewed_by: Mapped[str | None] = mapped_column(String(80))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcInstant())


class LatestReading(Base):
    """Each stay's latest scored reading of each parameter, kept in the transaction that stores or releases
    it, so the rules and the board read one row per parameter rather than the stay's whole history."""

    __tablename__ = "monitoring_latest_readings"

    admission_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    parameter: Mapped[str] = mapped_column(String(40), primary_key=True)
    effective_at: Mapped[datetime] = mapped_column(UtcInstant())
    value: Mapped[float | None] = mapped_column(Float)
    value_text: Mapped[str | None] = mapped_column(String(8))


class Alert(Base):
    """One alert per patient stay and rule while open (`open_key` = rule id; NULL once resolved)."""

    __tablename__ = "monitoring_alerts"
    __table_args__ = (UniqueConstraint("admission_id", "open_key", name="uq_monitoring_alerts_open_rule"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    admission_id: Mapped[str] = mapped_column(String(36), index=True)
    team_id: Mapped[str] = mapped_column(String(80), index=True)
    nhs_number: Mapped[str] = mapped_column(String(10), index=True)
    rule_id: Mapped[str] = mapped_column(String(80))
    open_key: Mapped[str | None] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    message: Mapped[str] = mapped_column(String(1000))
    # The rule set (name@version, plus a patient's overrides) of the latest finding; `raised_under` is the
    # one that raised the alert and never changes (NULL only for alerts raised before it was recorded).
    rule_set_version: Mapped[str] = mapped_column(String(160))
    raised_under: Mapped[str | None] = mapped_column(String(160), index=True)
    raised_at: Mapped[datetime] = mapped_column(UtcInstant())
    updated_at: Mapped[datetime] = mapped_column(UtcInstant())
    reading_at: Mapped[datetime] = mapped_column(UtcInstant())
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    cleared_at: Mapped[datetime | None] = mapped_column(UtcInstant())
    acknowledged_by: Mapped[str | None] = mapped_column(String(80))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcInstant())
    escalated_to: Mapped[str | None] = mapped_column(String(40))
    escalated_by: Mapped[str | None] = mapped_column(String(80))
    escalated_at: Mapped[datetime | None] = mapped_column(UtcInstant())
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcInstant())


class AlertEvent(Base):
    """One step in an alert's life (raised, updated, cleared, acknowledged,escalated, resolved).: who, when"""

    __tablename__ = "monitoring_alert_events"

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("monitoring_alerts.id"), index=True)
    team_id: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UtcInstant())
    by: Mapped[str] = mapped_column(String(80))
    detail: Mapped[str] = mapped_column(String(1000))
    rule_set_version: Mapped[str | None] = mapped_column(String(160))


class MonitoringPlan(Base):
    """How a patient on a virtual ward is monitored: schedule, air or oxygen, SpO2 scale and baselines."""

    __tablename__ = "monitoring_plans"

    admission_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pathway: Mapped[str] = mapped_column(String(40))
    expected_every_hours: Mapped[float] = mapped_column(Float)
    on_oxygen: Mapped[bool | None] = mapped_column(Boolean)
    baseline_spo2: Mapped[float | None] = mapped_column(Float)
    baseline_news2: Mapped[int | None] = mapped_column(Integer)
    monitored_since: Mapped[datetime] = mapped_column(UtcInstant())
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UtcInstant())


class ThresholdChange(Base):
    """A clinician's change to one of a patient's thresholds (NULL value: back to the rule set's)."""

    __tablename__ = "monitoring_threshold_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    admission_id: Mapped[str] = mapped_column(String(36), index=True)
    section: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(500))
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column(UtcInstant())


class Spo2ScaleDecision(Base):
    """A clinician's recorded decision on which SpO2 scale a patient is scored on (RCP NEWS2 chart 2)."""

    __tablename__ = "monitoring_spo2_scale_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    admission_id: Mapped[str] = mapped_column(String(36), index=True)
    spo2_scale: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[datetime] = mapped_column(UtcInstant())


class RejectedReading(Base):
    """A reading refused at the door, kept with its reason so nothing sent is silently lost."""

    __tablename__ = "monitoring_rejected_readings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UtcInstant(), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    device: Mapped[str | None] = mapped_column(String(330))
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(1000))
    payload: Mapped[str] = mapped_column(Text)


class News2Record(Base):
    """A patient's NEWS2 each time a new set was scored: the board's trend line and a trace for audit."""

    __tablename__ = "monitoring_news2_scores"
    __table_args__ = (Index("ix_monitoring_news2_scores_admission_time", "admission_id", "taken_at"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    admission_id: Mapped[str] = mapped_column(String(36))
    taken_at: Mapped[datetime] = mapped_column(UtcInstant())
    value: Mapped[int] = mapped_column(Integer)
    is_complete: Mapped[bool] = mapped_column(Boolean)
    missing: Mapped[str] = mapped_column(String(200))
    risk: Mapped[str] = mapped_column(String(20))
    spo2_scale: Mapped[int] = mapped_column(Integer)
    rule_set_version: Mapped[str] = mapped_column(String(160))


class RuleSetVersion(Base):
    """A rule set that has raised alerts: its `name@version`, content digest and whole document (JSON), so
    any alert can be traced to, and replayed under, the exact thresholds that raised it."""

    __tablename__ = "monitoring_rule_sets"

    version_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    content_sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    first_used_at: Mapped[datetime] = mapped_column(UtcInstant())
