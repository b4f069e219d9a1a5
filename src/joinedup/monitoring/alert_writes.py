"""Write a batch's alert changes (`alerts.AlertChanges`): the new alerts in one INSERT, the changed ones
in one UPDATE, their events in one INSERT, whatever the number of readings. Used only by monitoring.judging
and monitoring.service; adds and flushes, never commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Boolean, DateTime, Integer, String, Table, bindparam, case, func, literal, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from joinedup.db import naive_utc
from joinedup.monitoring import rule_versions
from joinedup.monitoring.alerts import AlertChanges, OpenAlert
from joinedup.monitoring.batch_sql import is_postgresql
from joinedup.monitoring.models import Alert, AlertEvent
from joinedup.record import bulk


def write_changes(session: Session, changes: AlertChanges, *, now: datetime) -> None:
    """Write a batch's alert changes: the new alerts in one INSERT, the changed ones in one UPDATE, then
    their events (rows, in order) in one INSERT. The UPDATE writes what judging owns (message, evidence,
    counts, cleared) and writes status and severity only for a worse finding, so it never writes back a
    status a clinician changed meanwhile (acknowledged, escalated)."""
    new = [a for a in changes.changed.values() if a.raised is not None]
    old = [a for a in changes.changed.values() if a.raised is None]
    session.flush()  # the session's pending rows first (plans, baselines), as before the ORM wrote alerts
    for version in dict.fromkeys(a.raised["raised_under"] for a in new if a.raised is not None):
        rule_versions.record_current(session, version, now=now)
    bulk.insert_rows(session, Alert, [_new_row(a, now) for a in new])
    if old:
        _update_rows(session, old, now)
    bulk.insert_rows(session, AlertEvent, changes.events)
    changes.changed.clear()
    changes.events.clear()


def _new_row(alert: OpenAlert, now: datetime) -> dict[str, Any]:
    assert alert.raised is not None
    return {
        "id": alert.id,
        "admission_id": alert.admission_id,
        "team_id": alert.team_id,
        "nhs_number": alert.raised["nhs_number"],
        "rule_id": alert.rule_id,
        "open_key": alert.rule_id,
        "severity": alert.severity,
        "status": alert.status,
        "message": alert.message,
        "rule_set_version": alert.rule_set_version,
        "raised_under": alert.raised["raised_under"],
        "raised_at": alert.raised["raised_at"],
        "updated_at": now,
        "reading_at": alert.reading_at,
        "occurrences": alert.occurrences,
        "cleared_at": alert.cleared_at,
    }


_ALERTS = cast(Table, Alert.__table__)
_CHANGED_PG = (
    func.unnest(
        bindparam("ids", type_=ARRAY(String())),
        bindparam("messages", type_=ARRAY(String())),
        bindparam("versions", type_=ARRAY(String())),
        bindparam("reading_at", type_=ARRAY(DateTime())),
        bindparam("occurrences", type_=ARRAY(Integer())),
        bindparam("cleared_at", type_=ARRAY(DateTime())),
        bindparam("worse", type_=ARRAY(Boolean())),
        bindparam("severities", type_=ARRAY(String())),
    )
    .table_valued(
        "id", "message", "rule_set_version", "reading_at", "occurrences", "cleared_at", "worse", "severity"
    )
    .render_derived("changed")
)


def _judged_update(values: Any) -> Any:
    """UPDATE monitoring_alerts from `values` (columns named as the table's, plus `worse`)."""
    A = _ALERTS.c
    return (
        update(_ALERTS)
        .where(A.id == values["id"])
        .values(
            message=values["message"],
            rule_set_version=values["rule_set_version"],
            reading_at=values["reading_at"],
            updated_at=bindparam("now", type_=A.updated_at.type),
            occurrences=values["occurrences"],
            cleared_at=values["cleared_at"],
            severity=case((values["worse"], values["severity"]), else_=A.severity),
            status=case((values["worse"], literal("active")), else_=A.status),
        )
    )


# PostgreSQL: every changed alert in one statement, the rows as arrays; SQLite: one statement, executemany.
_UPDATE_PG = _judged_update(_CHANGED_PG.c)
_UPDATE_SQLITE = _judged_update(
    {
        "id": bindparam("b_id", type_=String()),
        "message": bindparam("b_message", type_=String()),
        "rule_set_version": bindparam("b_version", type_=String()),
        "reading_at": bindparam("b_reading_at", type_=_ALERTS.c.reading_at.type),
        "occurrences": bindparam("b_occurrences", type_=Integer()),
        "cleared_at": bindparam("b_cleared_at", type_=_ALERTS.c.cleared_at.type),
        "worse": bindparam("b_worse", type_=Boolean()),
        "severity": bindparam("b_severity", type_=String()),
    }
)


def _update_rows(session: Session, rows: list[OpenAlert], now: datetime) -> None:
    if is_postgresql(session):
        session.connection().execute(
            _UPDATE_PG,
            {
                "ids": [a.id for a in rows],
                "messages": [a.message for a in rows],
                "versions": [a.rule_set_version for a in rows],
                "reading_at": [naive_utc(a.reading_at) for a in rows],
                "occurrences": [a.occurrences for a in rows],
                "cleared_at": [None if a.cleared_at is None else naive_utc(a.cleared_at) for a in rows],
                "worse": [a.is_worse for a in rows],
                "severities": [a.severity for a in rows],
                "now": now,
            },
        )
    else:
        session.connection().execute(
            _UPDATE_SQLITE,
            [
                {
                    "b_id": a.id,
                    "b_message": a.message,
                    "b_version": a.rule_set_version,
                    "b_reading_at": a.reading_at,
                    "b_occurrences": a.occurrences,
                    "b_cleared_at": a.cleared_at,
                    "b_worse": a.is_worse,
                    "b_severity": a.severity,
                    "now": now,
                }
                for a in rows
            ],
        )
    # Alerts this session already holds as objects (a page read earlier) would show the old values.
    for alert in rows:
        held = session.identity_map.get(session.identity_key(Alert, alert.id))
        if held is not None:
            session.expire(held)
