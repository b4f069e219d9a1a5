"""Run the rules for every stay a batch of readings touched, keep the NEWS2 trace, and raise, update or
clear alerts; held readings raise a review alert and are never scored. Used only by monitoring.ingest and
monitoring.service; adds and flushes, never commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import DateTime, Float, String, Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from joinedup.db import naive_utc, read_rows
from joinedup.monitoring import alert_writes, alerts, evaluation, plans
from joinedup.monitoring.batch_sql import any_of, is_postgresql
from joinedup.monitoring.models import LatestReading, MonitoringPlan, News2Record, Reading
from joinedup.monitoring.news2_set import SET_WINDOW, HonestNews2
from joinedup.monitoring.rules import Finding
from joinedup.monitoring.rules.thresholds import MAX_WINDOW_DAYS
from joinedup.record import bulk
from joinedup.wards.schemas import AdmissionRead

if TYPE_CHECKING:
    from joinedup.monitoring.ingest import Accepted

SCORED = ("scored", "released")
HELD_RULE = "review.held_reading"


def latest_by_parameter(
    session: Session, admission_ids: Sequence[str]
) -> dict[str, dict[str, tuple[datetime, float | str]]]:
    """Each stay's latest scored reading of each parameter (ACVPU as its letter)."""
    found: dict[str, dict[str, tuple[datetime, float | str]]] = defaultdict(dict)
    if not admission_ids:
        return found
    L = LatestReading
    rows = read_rows(
        session,
        select(L.admission_id, L.parameter, L.effective_at, L.value, L.value_text).where(
            any_of(session, L.admission_id, admission_ids)
        ),
    )
    for admission_id, parameter, at, value, text in rows:
        found[admission_id][parameter] = (at, text if text is not None else float(value or 0.0))
    return found


def keep_latest(session: Session, readings: Iterable[Scored]) -> None:
    """Fold newly scored readings into each stay's latest reading of each parameter (`LatestReading`), in
    the caller's transaction; of two readings at the same time, the one kept last wins."""
    newest: dict[tuple[str, str], Scored] = {}
    for reading in readings:
        key = (reading.admission_id, reading.parameter)
        if key not in newest or reading.effective_at >= newest[key].effective_at:
            newest[key] = reading
    if not newest:
        return
    rows = list(newest.values())
    if is_postgresql(session):
        session.execute(
            _UPSERT_PG,
            {
                "admission_ids": [r.admission_id for r in rows],
                "parameters": [r.parameter for r in rows],
                "effective_at": [naive_utc(r.effective_at) for r in rows],
                "values": [r.value for r in rows],
                "texts": [r.value_text for r in rows],
            },
        )
        return
    session.execute(_UPSERT_SQLITE, [r._asdict() for r in rows])


class Scored(NamedTuple):
    """A scored reading as `keep_latest` takes it."""

    admission_id: str
    parameter: str
    effective_at: datetime
    value: float | None
    value_text: str | None


_LATEST = cast(Table, LatestReading.__table__)
"""As a Core table: an upsert through the ORM would be taken for an ORM bulk insert."""


def _upsert_where(statement: Any) -> Any:
    L = _LATEST.c
    return statement.on_conflict_do_update(
        index_elements=[L.admission_id, L.parameter],
        set_={
            "effective_at": statement.excluded.effective_at,
            "value": statement.excluded.value,
            "value_text": statement.excluded.value_text,
        },
        where=statement.excluded.effective_at >= L.effective_at,
    )


# One statement for the whole batch on PostgreSQL: the rows as arrays, unnested.
_ROWS_PG = (
    func.unnest(
        bindparam("admission_ids", type_=ARRAY(String())),
        bindparam("parameters", type_=ARRAY(String())),
        bindparam("effective_at", type_=ARRAY(DateTime())),
        bindparam("values", type_=ARRAY(Float())),
        bindparam("texts", type_=ARRAY(String())),
    )
    .table_valued("admission_id", "parameter", "effective_at", "value", "value_text")
    .render_derived("incoming")
)
_UPSERT_PG = _upsert_where(
    postgresql.insert(_LATEST).from_select(
        ["admission_id", "parameter", "effective_at", "value", "value_text"], select(*_ROWS_PG.c)
    )
)
_UPSERT_SQLITE = _upsert_where(sqlite.insert(_LATEST))


def _weights(
    session: Session, admission_ids: Sequence[str], latest: dict[str, dict[str, tuple[datetime, float | str]]]
) -> dict[str, list[tuple[datetime, float]]]:
    """Each stay's weights the heart-failure rule can need: every one from the first day of the longest
    window a rule set allows before the stay's latest weight, and the one before those when that leaves
    only the latest (a gain across a gap). The rule finds on these what it would find on the whole stay."""
    newest = {i: latest[i]["body_weight"][0] for i in admission_ids if "body_weight" in latest.get(i, {})}
    found: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    if not newest:
        return found
    first_day = min(newest.values()).date() - timedelta(days=MAX_WINDOW_DAYS)
    since = datetime.combine(first_day, time(0), tzinfo=UTC)
    weighed = (
        any_of(session, Reading.admission_id, newest),
        Reading.parameter == "body_weight",
        Reading.status.in_(SCORED),
    )
    rows = read_rows(
        session,
        select(Reading.admission_id, Reading.effective_at, Reading.value).where(
            *weighed, Reading.effective_at >= since
        ),
    )
    for admission_id, at, value in rows:
        found[admission_id].append((at, float(value or 0.0)))
    alone = [i for i in newest if len(found[i]) < 2]
    if alone:
        before = read_rows(
            session,
            select(Reading.admission_id, Reading.effective_at, Reading.value)
            .where(*weighed[1:], any_of(session, Reading.admission_id, alone), Reading.effective_at < since)
            .order_by(Reading.effective_at.desc()),
        )
        previous: dict[str, tuple[datetime, float]] = {}
        for admission_id, at, value in before:
            previous.setdefault(admission_id, (at, float(value or 0.0)))
        for admission_id, reading in previous.items():
            found[admission_id].insert(0, reading)
    return found


def judge(session: Session, stored: Sequence[tuple[Accepted, str]], *, now: datetime) -> dict[str, list[str]]:
    """Judge every stay these newly stored readings belong to; the changed alert ids per stay."""
    stays: dict[str, AdmissionRead] = {}
    arrived: dict[str, set[str]] = defaultdict(set)
    held: dict[str, list[Accepted]] = defaultdict(list)
    earliest: dict[str, datetime] = {}
    for item, _ in stored:
        stays[item.admission.id] = item.admission
        if item.is_held:
            held[item.admission.id].append(item)
        else:
            arrived[item.admission.id].add(item.parameter)
            at = item.reading.effective_at
            earliest[item.admission.id] = min(at, earliest.get(item.admission.id, at))
    changes = alerts.AlertChanges()
    existing = alerts.open_alerts(session, stays)
    changed = rejudge(
        session,
        [stays[i] for i in arrived],
        now=now,
        arrived=arrived,
        earliest=earliest,
        changes=changes,
        existing=existing,
    )
    for stay_id, items in held.items():
        rules = plans.patient_rules(session, [stay_id])[stay_id].rules
        changed[stay_id] += alerts.apply_findings(
            admission_id=stay_id,
            team_id=stays[stay_id].ward_id,
            nhs_number=stays[stay_id].nhs_number,
            findings=[_held_finding(items, rules.version_id)],
            is_judged=lambda _rule: False,
            existing=existing,
            now=now,
            changes=changes,
        )
    alert_writes.write_changes(session, changes, now=now)
    return changed


def _held_finding(items: Sequence[Accepted], version: str) -> Finding:
    reasons = "; ".join(i.validated.review_reason or "" for i in items if i.validated)
    latest = max(i.reading.effective_at for i in items)
    return Finding(HELD_RULE, "review", f"Reading held for review, not scored: {reasons}", latest, version)


def rejudge(
    session: Session,
    stays: Iterable[AdmissionRead],
    *,
    now: datetime,
    arrived: dict[str, set[str]] | None = None,
    earliest: dict[str, datetime] | None = None,
    changes: alerts.AlertChanges | None = None,
    existing: dict[tuple[str, str], alerts.OpenAlert] | None = None,
) -> dict[str, list[str]]:
    """Run each stay's pathway rules on its latest scored readings (after new readings or a changed plan).

    The alert changes go to `changes` for the caller to write (with the stays' open alerts in `existing`,
    if the caller has read them); without it they are written here."""
    by_id = {s.id: s for s in stays}
    changed: dict[str, list[str]] = defaultdict(list)
    if not by_id:
        return changed
    ids = sorted(by_id)
    stay_plans = plans.plans_for(session, by_id.values())
    rules = plans.patient_rules(session, ids)
    latest = latest_by_parameter(session, ids)
    weights = _weights(session, [i for i in ids if by_id[i].pathway == "heart-failure"], latest)
    if existing is None:
        existing = alerts.open_alerts(session, ids)
    # Each stay's own alerts: `apply_findings` walks those it is given to clear the ones no longer found.
    of_stay: dict[str, dict[tuple[str, str], alerts.OpenAlert]] = defaultdict(dict)
    for key, alert in existing.items():
        of_stay[key[0]][key] = alert
    pending = alerts.AlertChanges() if changes is None else changes
    traces: list[dict[str, Any]] = []
    for stay_id in ids:
        stay, plan, patient = by_id[stay_id], stay_plans[stay_id], rules[stay_id]
        _fill_baselines(plan, latest[stay_id])
        readings = evaluation.PatientReadings(
            pathway=stay.pathway,
            rules=patient.rules,
            on_oxygen=plan.on_oxygen,
            spo2_scale=patient.spo2_scale,
            baseline_spo2=plan.baseline_spo2,
            baseline_news2=plan.baseline_news2,
            expected_every_hours=plan.expected_every_hours,
            latest=latest[stay_id],
            weights_kg=tuple(weights.get(stay_id, ())),
            spo2_percent=_latest_spo2(latest[stay_id]),
        )
        news2, findings = evaluation.evaluate(readings, now)
        if news2 is not None:
            traces += _trace(stay_id, news2, patient.rules.version_id, (earliest or {}).get(stay_id))
            if plan.baseline_news2 is None and not news2.is_partial:
                plan.baseline_news2 = news2.value
        quiet = {f"missed_readings.{p}" for p in (arrived or {}).get(stay_id, ())}

        def is_judged(
            rule_id: str,
            pathway: str = stay.pathway,
            quiet: set[str] = quiet,
            news2: HonestNews2 | None = news2,
        ) -> bool:
            return evaluation.is_judged_by(pathway, rule_id, news2) or rule_id in quiet

        changed[stay_id] += alerts.apply_findings(
            admission_id=stay_id,
            team_id=stay.ward_id,
            nhs_number=stay.nhs_number,
            findings=findings,
            is_judged=is_judged,
            existing=of_stay[stay_id],
            now=now,
            changes=pending,
        )
        existing.update(of_stay[stay_id])
    bulk.insert_rows(session, News2Record, traces)
    if changes is None:
        alert_writes.write_changes(session, pending, now=now)
    return changed


def _latest_spo2(latest: dict[str, tuple[datetime, float | str]]) -> tuple[tuple[datetime, float], ...]:
    found = latest.get("spo2")
    return () if found is None or isinstance(found[1], str) else ((found[0], found[1]),)


def _fill_baselines(plan: MonitoringPlan, latest: dict[str, tuple[datetime, float | str]]) -> None:
    """A stay's baseline SpO2 is its first SpO2 reading unless one was recorded (COVID Oximetry @home)."""
    spo2 = latest.get("spo2")
    if plan.baseline_spo2 is None and spo2 is not None and not isinstance(spo2[1], str):
        plan.baseline_spo2 = spo2[1]


def _trace(
    stay_id: str, news2: HonestNews2, version: str, earliest_new: datetime | None
) -> list[dict[str, Any]]:
    """A NEWS2 row to keep when the latest set includes a reading that just arrived."""
    if earliest_new is None or earliest_new < news2.taken_at - SET_WINDOW:
        return []
    row = {
        "admission_id": stay_id,
        "taken_at": news2.taken_at,
        "value": news2.value,
        "is_complete": not news2.is_partial,
        "missing": ",".join(news2.scored.missing),
        "risk": news2.risk,
        "spo2_scale": news2.scored.spo2_scale,
        "rule_set_version": version,
    }
    return [row]
