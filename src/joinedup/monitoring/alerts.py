"""Alerts: raised from findings, deduplicated (one open alert per stay and rule), updated as readings
change, cleared when the readings no longer show it, acknowledged, escalated, resolved; each step an event
with who and when. Called only by monitoring.service; adds and flushes, never commits.

Judging works on plain rows (`OpenAlert`) and collects a batch's raises, updates and events in
`AlertChanges`; `alert_writes.write_changes` writes them with one statement each, whatever the batch size.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.db import read_rows
from joinedup.errors import Conflict, NotFound
from joinedup.monitoring.batch_sql import any_of
from joinedup.monitoring.models import Alert, AlertEvent
from joinedup.monitoring.rules import SEVERITY_ORDER, Finding
from joinedup.monitoring.schemas import ESCALATION_TARGETS, AlertEventRead, AlertRead

OPEN = ("active", "acknowledged", "escalated")
SYSTEM = "joinedup monitoring"


def read(alert: Alert, events: Sequence[AlertEvent] = ()) -> AlertRead:
    """The alert as the API and pages show it, with its events."""
    names = [name for name in AlertRead.model_fields if name not in ("ward_id", "events")]
    fields = {name: getattr(alert, name) for name in names}
    return AlertRead.model_validate(
        {**fields, "ward_id": alert.team_id, "events": [AlertEventRead.model_validate(e) for e in events]}
    )


@dataclass(slots=True)
class OpenAlert:
    """An open alert as judging needs it: a plain row, changed in place and written by `write_changes`."""

    id: str
    admission_id: str
    team_id: str
    rule_id: str
    severity: str
    status: str
    message: str
    rule_set_version: str
    reading_at: datetime
    occurrences: int
    cleared_at: datetime | None
    is_worse: bool = False
    """A finding raised its severity: severity and status are written (status back to active)."""
    raised: dict[str, Any] | None = None
    """For an alert raised in this batch, the columns only a new row has (NHS number, when, under what)."""


@dataclass
class AlertChanges:
    """A batch's alert changes: alerts raised and changed (by id) and their events, in order."""

    changed: dict[str, OpenAlert] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)


def _event_row(alert: Alert | OpenAlert, kind: str, at: datetime, by: str, detail: str) -> dict[str, Any]:
    return {
        "alert_id": alert.id,
        "team_id": alert.team_id,
        "kind": kind,
        "at": at,
        "by": by,
        "detail": detail[:1000],
        "rule_set_version": alert.rule_set_version,
    }


def _event(session: Session, alert: Alert, kind: str, at: datetime, by: str, detail: str) -> None:
    session.add(AlertEvent(**_event_row(alert, kind, at, by, detail)))


_OPEN_COLUMNS = (
    Alert.id,
    Alert.admission_id,
    Alert.team_id,
    Alert.rule_id,
    Alert.severity,
    Alert.status,
    Alert.message,
    Alert.rule_set_version,
    Alert.reading_at,
    Alert.occurrences,
    Alert.cleared_at,
)


def open_alerts(session: Session, admission_ids: Iterable[str]) -> dict[tuple[str, str], OpenAlert]:
    """The open alerts of these stays, by (stay, rule), as plain rows."""
    wanted = sorted(set(admission_ids))
    if not wanted:
        return {}
    rows = read_rows(
        session,
        select(*_OPEN_COLUMNS).where(
            any_of(session, Alert.admission_id, wanted), Alert.open_key.is_not(None)
        ),
    )
    found = (OpenAlert(*row) for row in rows)
    return {(a.admission_id, a.rule_id): a for a in found}


def _more_severe(a: str, b: str) -> bool:
    return SEVERITY_ORDER.index(a) > SEVERITY_ORDER.index(b)


def apply_findings(
    *,
    admission_id: str,
    team_id: str,
    nhs_number: str,
    findings: Sequence[Finding],
    is_judged: Callable[[str], bool],
    existing: dict[tuple[str, str], OpenAlert],
    now: datetime,
    changes: AlertChanges,
) -> list[str]:
    """Raise new alerts, update those found again on newer readings, clear judged ones no longer found.

    Returns the ids of alerts raised or changed, and adds them and their events to `changes`; the caller
    writes them (`write_changes`), once for a whole batch. A finding already open on the same evidence
    changes nothing, so a retried or repeated reading never multiplies alerts.
    """
    changed: list[str] = []
    found_rules = set()
    for finding in findings:
        found_rules.add(finding.rule_id)
        alert = existing.get((admission_id, finding.rule_id))
        if alert is None:
            alert = _raise(admission_id, team_id, nhs_number, finding, now)
            existing[(admission_id, finding.rule_id)] = alert
            changes.events.append(_event_row(alert, "raised", now, SYSTEM, finding.message))
        elif not _update(alert, finding, now, changes.events):
            continue
        changes.changed[alert.id] = alert
        changed.append(alert.id)
    for (stay, rule_id), alert in existing.items():
        if (
            stay == admission_id
            and rule_id not in found_rules
            and is_judged(rule_id)
            and alert.cleared_at is None
        ):
            alert.cleared_at = now
            changes.changed[alert.id] = alert
            changes.events.append(
                _event_row(
                    alert,
                    "cleared",
                    now,
                    SYSTEM,
                    "the latest readings no longer show this; review and resolve when satisfied",
                )
            )
            changed.append(alert.id)
    return changed


def _raise(admission_id: str, team_id: str, nhs_number: str, finding: Finding, now: datetime) -> OpenAlert:
    return OpenAlert(
        id=str(uuid.uuid4()),
        admission_id=admission_id,
        team_id=team_id,
        rule_id=finding.rule_id,
        severity=finding.severity,
        status="active",
        message=finding.message[:1000],
        rule_set_version=finding.rule_set_version,
        reading_at=finding.at,
        occurrences=1,
        cleared_at=None,
        raised={"nhs_number": nhs_number, "raised_at": now, "raised_under": finding.rule_set_version},
    )


def _update(alert: OpenAlert, finding: Finding, now: datetime, events: list[dict[str, Any]]) -> bool:
    """Fold a finding into its open alert; False when it adds nothing (same evidence, same words)."""
    if finding.at <= alert.reading_at and finding.message == alert.message and alert.cleared_at is None:
        return False
    worse = _more_severe(finding.severity, alert.severity)
    alert.message, alert.rule_set_version = finding.message[:1000], finding.rule_set_version
    alert.reading_at = max(alert.reading_at, finding.at)
    alert.occurrences += 1
    alert.cleared_at = None
    if worse:
        alert.severity = finding.severity
        # A worse finding needs someone to look again, even if the alert was acknowledged.
        alert.status = "active"
        alert.is_worse = True
    detail = ("now " + finding.severity + ": " if worse else "") + finding.message
    events.append(_event_row(alert, "updated", now, SYSTEM, detail))
    return True


def get_or_raise(session: Session, alert_id: str) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert with id {alert_id!r}")
    return alert


def _open_or_raise(session: Session, alert_id: str) -> Alert:
    alert = get_or_raise(session, alert_id)
    if alert.status not in OPEN:
        raise Conflict(
            f"alert {alert_id} was resolved by {alert.resolved_by} at {alert.resolved_at:%Y-%m-%d %H:%M}"
        )
    return alert


def acknowledge(session: Session, *, alert_id: str, by: str, note: str, now: datetime) -> Alert:
    """Someone has seen the alert and is acting on it."""
    alert = _open_or_raise(session, alert_id)
    alert.acknowledged_by, alert.acknowledged_at, alert.updated_at = by, now, now
    if alert.status == "active":
        alert.status = "acknowledged"
    _event(session, alert, "acknowledged", now, by, note or "acknowledged")
    session.flush()
    return alert


def escalate(session: Session, *, alert_id: str, by: str, to: str, note: str, now: datetime) -> Alert:
    """Pass the alert on (team clinician, GP, or 999 advice); escalating also acknowledges it."""
    alert = _open_or_raise(session, alert_id)
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = by, now
    alert.status, alert.escalated_to, alert.escalated_by, alert.escalated_at = "escalated", to, by, now
    alert.updated_at = now
    _event(
        session,
        alert,
        "escalated",
        now,
        by,
        f"escalated to {ESCALATION_TARGETS[to]}" + (f": {note}" if note else ""),
    )
    session.flush()
    return alert


def resolve(session: Session, *, alert_id: str, by: str, note: str, now: datetime) -> Alert:
    """Close the alert; a new finding on the same rule raises a new alert."""
    alert = _open_or_raise(session, alert_id)
    alert.status, alert.open_key, alert.resolved_by, alert.resolved_at, alert.updated_at = (
        "resolved",
        None,
        by,
        now,
        now,
    )
    _event(session, alert, "resolved", now, by, note or "resolved")
    session.flush()
    return alert


def events_of(session: Session, alert_ids: Sequence[str]) -> dict[str, list[AlertEvent]]:
    """Each alert's events, oldest first."""
    found: dict[str, list[AlertEvent]] = {a: [] for a in alert_ids}
    if alert_ids:
        rows = session.scalars(
            select(AlertEvent).where(AlertEvent.alert_id.in_(list(alert_ids))).order_by(AlertEvent.id)
        )
        for event in rows:
            found[event.alert_id].append(event)
    return found
