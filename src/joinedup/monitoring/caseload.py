"""What the caseload board and a patient's page show: each patient's honest NEWS2 (partial and stale said
so), the NEWS2 trend, the last reading, alerts and held readings; and every measure's series for charts.
Reads only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.monitoring import alerts, judging, plans
from joinedup.monitoring.models import Alert, News2Record, Reading
from joinedup.monitoring.news2_set import SET_PARAMETERS, SET_WINDOW, HonestNews2, honest_news2
from joinedup.monitoring.rules import SEVERITY_ORDER
from joinedup.monitoring.schemas import AlertRead
from joinedup.wards.schemas import AdmissionRead

TREND_POINTS = 12
TREND_DAYS = 7


@dataclass(frozen=True)
class CaseloadRow:
    """One patient on the board."""

    stay: AdmissionRead
    news2: HonestNews2 | None
    trend: list[int]
    last_reading_at: datetime | None
    alerts: list[AlertRead]
    held_readings: int
    spo2_scale: int
    on_oxygen: bool | None

    @property
    def alert_level(self) -> str:
        """The most severe open alert's severity, or `none`."""
        open_ = [a.severity for a in self.alerts]
        return max(open_, key=SEVERITY_ORDER.index) if open_ else "none"

    @property
    def needs_attention(self) -> bool:
        return any(a.status == "active" for a in self.alerts)


@dataclass(frozen=True)
class Series:
    """One measure's readings over a stay, for a chart."""

    parameter: str
    unit: str
    points: list[tuple[datetime, float]] = field(default_factory=list)
    held: list[tuple[datetime, float]] = field(default_factory=list)


def caseload(session: Session, stays: Sequence[AdmissionRead], *, now: datetime) -> list[CaseloadRow]:
    """The board's rows, most urgent first (open alert severity, then NEWS2, then longest stay)."""
    ids = [s.id for s in stays]
    if not ids:
        return []
    stay_plans = plans.plans_for(session, stays)
    rules = plans.patient_rules(session, ids)
    latest = judging.latest_by_parameter(session, ids)
    last_at: dict[str, datetime] = dict(
        session.execute(
            select(Reading.admission_id, func.max(Reading.effective_at))
            .where(Reading.admission_id.in_(ids))
            .group_by(Reading.admission_id)
        ).all()
    )
    held: dict[str, int] = dict(
        session.execute(
            select(Reading.admission_id, func.count())
            .where(Reading.admission_id.in_(ids), Reading.status == "held")
            .group_by(Reading.admission_id)
        ).all()
    )
    trends = _trends(session, stays, now)
    open_alerts = list(
        session.scalars(select(Alert).where(Alert.admission_id.in_(ids), Alert.open_key.is_not(None)))
    )
    events = alerts.events_of(session, [a.id for a in open_alerts])
    by_stay: dict[str, list[AlertRead]] = defaultdict(list)
    for alert in open_alerts:
        by_stay[alert.admission_id].append(alerts.read(alert, events[alert.id]))
    rows = []
    for stay in stays:
        plan, patient = stay_plans[stay.id], rules[stay.id]
        max_age = plan.expected_every_hours + patient.rules.missed_readings.grace_hours
        news2 = honest_news2(
            latest[stay.id],
            on_oxygen=plan.on_oxygen,
            spo2_scale=patient.spo2_scale,
            now=now,
            max_age_hours=max_age,
        )
        rows.append(
            CaseloadRow(
                stay,
                news2,
                trends.get(stay.id, []),
                last_at.get(stay.id),
                by_stay[stay.id],
                held.get(stay.id, 0),
                patient.spo2_scale,
                plan.on_oxygen,
            )
        )
    return sorted(rows, key=_urgency)


def _urgency(row: CaseloadRow) -> tuple[int, int, float]:
    level = -1 if row.alert_level == "none" else SEVERITY_ORDER.index(row.alert_level)
    return (-level, -(row.news2.value if row.news2 else -1), row.stay.admitted_at.timestamp())


def news2_series(
    session: Session, stays: Sequence[AdmissionRead], *, since: datetime
) -> dict[str, list[tuple[datetime, int, bool]]]:
    """Each stay's NEWS2 per sitting since `since`, scored from its readings as the board scores the latest:
    (time, value, complete). The SpO2 scale and air or oxygen are the patient's current ones."""
    ids = [s.id for s in stays]
    if not ids:
        return {}
    stay_plans = plans.plans_for(session, stays)
    scales = {i: r.spo2_scale for i, r in plans.patient_rules(session, ids).items()}
    rows = session.execute(
        select(
            Reading.admission_id, Reading.parameter, Reading.effective_at, Reading.value, Reading.value_text
        )
        .where(
            Reading.admission_id.in_(ids),
            Reading.status.in_(judging.SCORED),
            Reading.effective_at >= since,
            Reading.parameter.in_(SET_PARAMETERS),
        )
        .order_by(Reading.admission_id, Reading.effective_at)
    )
    sittings: dict[str, list[dict[str, tuple[datetime, float | str]]]] = defaultdict(list)
    starts: dict[str, datetime] = {}
    for stay_id, parameter, at, value, text in rows:
        if stay_id not in starts or at - starts[stay_id] > SET_WINDOW:
            starts[stay_id] = at
            sittings[stay_id].append({})
        sittings[stay_id][-1][parameter] = (at, text if text is not None else float(value or 0.0))
    found: dict[str, list[tuple[datetime, int, bool]]] = {}
    for stay_id, sets in sittings.items():
        plan = stay_plans[stay_id]
        scored = [
            honest_news2(
                s,
                on_oxygen=plan.on_oxygen,
                spo2_scale=scales[stay_id],
                now=max(a for a, _ in s.values()),
                max_age_hours=24 * 365,
            )
            for s in sets
        ]
        found[stay_id] = [(n.taken_at, n.value, not n.is_partial) for n in scored if n is not None]
    return found


def _trends(session: Session, stays: Sequence[AdmissionRead], now: datetime) -> dict[str, list[int]]:
    series_by_stay = news2_series(session, stays, since=now - timedelta(days=TREND_DAYS))
    return {k: [value for _, value, _ in v][-TREND_POINTS:] for k, v in series_by_stay.items()}


def series(session: Session, stay: AdmissionRead, *, limit: int = 2000) -> list[Series]:
    """Every monitored measure of a stay, oldest reading first (held readings apart, never scored)."""
    rows = session.execute(
        select(Reading.parameter, Reading.unit, Reading.effective_at, Reading.value, Reading.status)
        .where(Reading.admission_id == stay.id, Reading.value.is_not(None))
        .order_by(Reading.effective_at.desc())
        .limit(limit)
    )
    found: dict[str, Series] = {}
    for parameter, unit, at, value, status in reversed(list(rows)):
        entry = found.setdefault(parameter, Series(parameter, unit))
        if status in judging.SCORED:
            entry.points.append((at, float(value or 0.0)))
        elif status == "held":
            entry.held.append((at, float(value or 0.0)))
    return sorted(found.values(), key=lambda s: s.parameter)


def news2_history(session: Session, stay: AdmissionRead) -> list[News2Record]:
    """Every NEWS2 the rules judged during the stay (the trace), oldest first."""
    return list(
        session.scalars(
            select(News2Record)
            .where(News2Record.admission_id == stay.id)
            .order_by(News2Record.taken_at, News2Record.id)
        )
    )


def held_readings(session: Session, stay: AdmissionRead) -> list[Reading]:
    """Readings of the stay waiting for a clinician's review."""
    return list(
        session.scalars(
            select(Reading)
            .where(Reading.admission_id == stay.id, Reading.status == "held")
            .order_by(Reading.effective_at)
        )
    )
