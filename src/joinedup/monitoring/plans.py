"""Each patient's monitoring plan (schedule, air or oxygen, baselines), their per-patient thresholds and
their SpO2 scale (scale 2 only by a clinician's recorded decision), read as one versioned rule set.
Called only by monitoring.service and monitoring.judging; adds and flushes, never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.db import read_rows
from joinedup.errors import Invalid
from joinedup.monitoring.batch_sql import any_of
from joinedup.monitoring.models import MonitoringPlan, Spo2ScaleDecision, ThresholdChange
from joinedup.monitoring.rules.thresholds import RuleSet, default_rule_set, with_overrides
from joinedup.wards.pathways import PATHWAYS
from joinedup.wards.schemas import AdmissionRead

SYSTEM = "joinedup monitoring"


@dataclass(frozen=True)
class PatientRules:
    """The rule set a patient is judged by (with their overrides) and the SpO2 scale their clinician chose."""

    rules: RuleSet
    spo2_scale: int
    overrides: dict[str, dict[str, float]]


def plans_for(session: Session, admissions: Iterable[AdmissionRead]) -> dict[str, MonitoringPlan]:
    """Each stay's plan, created from its pathway's defaults the first time it is needed."""
    stays = {a.id: a for a in admissions}
    if not stays:
        return {}
    plans = {
        p.admission_id: p
        for p in session.scalars(
            select(MonitoringPlan).where(any_of(session, MonitoringPlan.admission_id, stays))
        )
    }
    for stay_id, stay in stays.items():
        if stay_id not in plans:
            pathway = PATHWAYS[stay.pathway]
            plan = MonitoringPlan(
                admission_id=stay_id,
                pathway=stay.pathway,
                expected_every_hours=pathway.expected_every_hours,
                on_oxygen=False,
                monitored_since=stay.admitted_at,
                updated_by=SYSTEM,
                updated_at=stay.admitted_at,
            )
            session.add(plan)
            plans[stay_id] = plan
    session.flush()
    return plans


def stored_plans(session: Session, admissions: Iterable[AdmissionRead]) -> dict[str, MonitoringPlan]:
    """Each stay's plan as stored, or its pathway's defaults (not added to the session): reads only."""
    stays = {a.id: a for a in admissions}
    found: dict[str, MonitoringPlan] = {}
    ids = sorted(stays)
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        found.update(
            (p.admission_id, p)
            for p in session.scalars(select(MonitoringPlan).where(MonitoringPlan.admission_id.in_(chunk)))
        )
    for stay_id, stay in stays.items():
        if stay_id not in found:
            found[stay_id] = MonitoringPlan(
                admission_id=stay_id,
                pathway=stay.pathway,
                expected_every_hours=PATHWAYS[stay.pathway].expected_every_hours,
                on_oxygen=False,
                monitored_since=stay.admitted_at,
                updated_by=SYSTEM,
                updated_at=stay.admitted_at,
            )
    return found


def with_patient_overrides(base: RuleSet, overrides: dict[str, dict[str, float]]) -> RuleSet:
    """`base` with a patient's threshold overrides (as `PatientRules.overrides`) applied."""
    return _with(base, overrides)


def patient_rules(session: Session, admission_ids: Iterable[str]) -> dict[str, PatientRules]:
    """Each stay's rule set (default plus the latest value of each changed threshold) and SpO2 scale."""
    ids = sorted(set(admission_ids))
    base = default_rule_set()
    overrides: dict[str, dict[str, dict[str, float]]] = {i: {} for i in ids}
    scales = {i: 1 for i in ids}
    if not ids:
        return {}
    T, D = ThresholdChange, Spo2ScaleDecision
    for stay_id, section, name, value in _latest(session, T, ids, (T.section, T.name), (T.value,)):
        if value is not None:
            overrides[stay_id].setdefault(section, {})[name] = value
    for stay_id, scale in _latest(session, D, ids, (), (D.spo2_scale,)):
        scales[stay_id] = scale
    return {i: PatientRules(_with(base, overrides[i]), scales[i], overrides[i]) for i in ids}


def _with(base: RuleSet, overrides: dict[str, dict[str, float]]) -> RuleSet:
    typed = {s: {n: _typed(base, s, n, v) for n, v in values.items()} for s, values in overrides.items()}
    return with_overrides(base, typed)


def _typed(base: RuleSet, section: str, name: str, value: float) -> Any:
    """A whole-number threshold stays whole (the rule set refuses 92.0 where it expects 92)."""
    current = getattr(getattr(base, section), name)
    return int(value) if isinstance(current, int) and float(value).is_integer() else value


def _latest(
    session: Session, model: Any, ids: list[str], keys: tuple[Any, ...], values: tuple[Any, ...]
) -> list[tuple[Any, ...]]:
    """The newest row for each stay and `keys` of these stays, as (stay id, *keys, *values). A clinician's
    decisions are few, so they are read whole and the newest picked here: cheaper than a grouped subquery
    over a batch's few hundred ids."""
    newest: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    rows = read_rows(
        session,
        select(model.admission_id, *keys, *values)
        .where(any_of(session, model.admission_id, ids))
        .order_by(model.id),
    )
    for row in rows:
        newest[tuple(row[: 1 + len(keys)])] = tuple(row)
    return list(newest.values())


def check_threshold(section: str, name: str, value: float | None) -> None:
    """Invalid naming the threshold when the change is not one the rule set accepts."""
    if value is None:
        base = default_rule_set()
        if (
            not hasattr(base, section)
            or section in ("name", "version")
            or not hasattr(getattr(base, section), name)
        ):
            raise Invalid(f"{section}.{name} is not a threshold of the rule set")
        return
    try:
        _with(default_rule_set(), {section: {name: value}})
    except (ValueError, TypeError, AttributeError) as exc:
        raise Invalid(str(exc)) from None


def record_threshold_change(
    session: Session,
    *,
    admission_id: str,
    section: str,
    name: str,
    value: float | None,
    reason: str,
    by: str,
    at: datetime,
) -> ThresholdChange:
    check_threshold(section, name, value)
    change = ThresholdChange(
        admission_id=admission_id,
        section=section,
        name=name,
        value=value,
        reason=reason,
        changed_by=by,
        changed_at=at,
    )
    session.add(change)
    session.flush()
    return change


def record_scale_decision(
    session: Session, *, admission_id: str, spo2_scale: int, reason: str, by: str, at: datetime
) -> Spo2ScaleDecision:
    if spo2_scale not in (1, 2):
        raise Invalid(f"spo2_scale must be 1 or 2, not {spo2_scale}")
    decision = Spo2ScaleDecision(
        admission_id=admission_id, spo2_scale=spo2_scale, reason=reason, decided_by=by, decided_at=at
    )
    session.add(decision)
    session.flush()
    return decision


def latest_scale_decision(session: Session, admission_id: str) -> Spo2ScaleDecision | None:
    """The stay's latest SpO2 scale decision (who, when, why), or None: scale 1."""
    return session.scalars(
        select(Spo2ScaleDecision)
        .where(Spo2ScaleDecision.admission_id == admission_id)
        .order_by(Spo2ScaleDecision.id.desc())
        .limit(1)
    ).first()
