"""Alerts: raised from findings, deduplicated (one open alert per stay and rule), updated as readings
change, cleared when the readings no longer show it, acknowledged, escalated, resolved; each step an event
with who and when. Called only by monitoring.service; adds and flushes, never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from joinedup.errors import Conflict, NotFound
from joinedup.monitoring import rule_versions
from joinedup.monitoring.batch_sql import any_of
from joinedup.monitoring.models import Alert, AlertEvent
from joinedup.monitoring.rules import SEVERITY_ORDER, Finding
from joinedup.monitoring.schemas import ESCALATION_TARGETS, AlertEventRead, AlertRead
from joinedup.record import bulk

OPEN = ("active", "acknowledged", "escalated")
SYSTEM = "joinedup monitoring"


def read(alert: Alert, events: Sequence[AlertEvent] = ()) -> AlertRead:
    """The alert as the API and pages show it, with its events."""
    names = [name for name in AlertRead.model_fields if name not in ("ward_id", "events")]
    fields = {name: getattr(alert, name) for name in names}
    return AlertRead.model_validate(
        {**fields, "ward_id": alert.team_id, "events": [AlertEventRead.model_validate(e) for e in events]}
    )


def _event_row(alert: Alert, kind: str, at: datetime, by: str, detail: str) -> dict[str, Any]:
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


def write_events(session: Session, events: list[dict[str, Any]]) -> None:
    """Flush the alerts `apply_findings` changed, then insert their events (rows, in order) in one statement:
    a batch of readings changes hundreds of alerts, and ORM objects for each event cost more than the rest."""
    session.flush()
    bulk.insert_rows(session, AlertEvent, events)
    events.clear()


def open_alerts(session: Session, admission_ids: Iterable[str]) -> dict[tuple[str, str], Alert]:
    """The open alerts of these stays, by (stay, rule)."""
    wanted = sorted(set(admission_ids))
    if not wanted:
        return {}
    rows = session.scalars(
        select(Alert).where(any_of(session, Alert.admission_id, wanted), Alert.open_key.is_not(None))
    )
    return {(a.admission_id, a.rule_id): a for a in rows}


def _more_severe(a: str, b: str) -> bool:
    return SEVERITY_ORDER.index(a) > SEVERITY_ORDER.index(b)


def apply_findings(
    session: Session,
    *,
    admission_id: str,
    team_id: str,
    nhs_number: str,
    findings: Sequence[Finding],
    is_judged: Callable[[str], bool],
    existing: dict[tuple[str, str], Alert],
    now: datetime,
    events: list[dict[str, Any]],
) -> list[str]:
    """Raise new alerts, update those found again on newer readings, clear judged ones no longer found.

    Returns the ids of alerts raised or changed, and adds their events to `events`; the caller writes them
    (`write_events`), once for a whole batch. A finding already open on the same evidence changes nothing, so
    a retried or repeated reading never multiplies alerts.
    """
    changed: list[str] = []
    found_rules = set()
    for finding in findings:
        found_rules.add(finding.rule_id)
        alert = existing.get((admission_id, finding.rule_id))
        if alert is None:
            alert = _raise(session, admission_id, team_id, nhs_number, finding, now)
            existing[(admission_id, finding.rule_id)] = alert
            events.append(_event_row(alert, "raised", now, SYSTEM, finding.message))
            changed.append(alert.id)
        elif _update(alert, finding, now, events):
            changed.append(alert.id)
    for (stay, rule_id), alert in existing.items():
        if (
            stay == admission_id
            and rule_id not in found_rules
            and is_judged(rule_id)
            and alert.cleared_at is None
        ):
            alert.cleared_at, alert.updated_at = now, now
            _same_columns(alert)
            events.append(
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


def _raise(
    session: Session, admission_id: str, team_id: str, nhs_number: str, finding: Finding, now: datetime
) -> Alert:
    alert = Alert(
        id=str(uuid.uuid4()),
        admission_id=admission_id,
        team_id=team_id,
        nhs_number=nhs_number,
        rule_id=finding.rule_id,
        open_key=finding.rule_id,
        severity=finding.severity,
        status="active",
        message=finding.message[:1000],
        rule_set_version=finding.rule_set_version,
        raised_under=finding.rule_set_version,
        raised_at=now,
        updated_at=now,
        reading_at=finding.at,
        occurrences=1,
    )
    rule_versions.record_current(session, finding.rule_set_version, now=now)
    session.add(alert)
    return alert


_JUDGED_COLUMNS = ("message", "rule_set_version", "reading_at", "updated_at", "occurrences", "cleared_at")
"""What judging writes on every change. Status and severity are written only when they change, so a judged
update never writes back a status a clinician changed meanwhile (acknowledged, resolved)."""


def _same_columns(alert: Alert) -> None:
    """Mark the judged columns as changed, so the flush writes a batch's changed alerts with one UPDATE
    statement (it groups rows by the set of columns changed) instead of one per combination."""
    for name in _JUDGED_COLUMNS:
        flag_modified(alert, name)


def _update(alert: Alert, finding: Finding, now: datetime, events: list[dict[str, Any]]) -> bool:
    """Fold a finding into its open alert; False when it adds nothing (same evidence, same words)."""
    if finding.at <= alert.reading_at and finding.message == alert.message and alert.cleared_at is None:
        return False
    worse = _more_severe(finding.severity, alert.severity)
    alert.message, alert.rule_set_version = finding.message[:1000], finding.rule_set_version
    alert.reading_at, alert.updated_at = max(alert.reading_at, finding.at), now
    alert.occurrences += 1
    alert.cleared_at = None
    if worse:
        alert.severity = finding.severity
        # A worse finding needs someone to look again, even if the alert was acknowledged.
        alert.status = "active"
    _same_columns(alert)
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
