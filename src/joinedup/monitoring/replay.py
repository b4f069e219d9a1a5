"""Rule replay: the alerts a rule set would have raised from a stay's stored readings. Pure: plain readings
and a rule set in, would-be alerts out; nothing is raised or written.

The readings are walked in time order as the live service judged them (DESIGN.md, "Data flow"): each
arrival (readings within `ARRIVAL_WINDOW` of each other, a sitting sent together) re-runs the pathway's
rules (`evaluation.evaluate`) on the latest readings, and a missed reading counts from the moment the
patient's schedule plus the rule set's grace ran out (`rules.missed_readings`), as the sweep finds it.
An alert is counted when a rule starts finding something it was not finding at the previous judgement,
so a condition that persists over many readings counts once, as one live alert does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from joinedup.monitoring import evaluation
from joinedup.monitoring.news2_set import SET_PARAMETERS
from joinedup.monitoring.rules import Finding, Severity, missed_readings
from joinedup.monitoring.rules.thresholds import RuleSet

ARRIVAL_WINDOW = timedelta(minutes=5)
"""assumption: readings taken within five minutes of the first of them arrived together (one sitting)."""


@dataclass(frozen=True)
class StayReading:
    """One stored, scored reading: when it was taken, its parameter, its value, and the team then caring."""

    at: datetime
    parameter: str
    value: float | str
    team_id: str


@dataclass(frozen=True)
class StayHistory:
    """A stay's plan and readings, as replay needs them (the patient's own overrides already in `rules`)."""

    stay_id: str
    team_id: str
    pathway: str
    measures: tuple[str, ...]
    monitored_since: datetime
    ends_at: datetime | None
    expected_every_hours: float
    on_oxygen: bool | None
    spo2_scale: int
    readings: tuple[StayReading, ...]


@dataclass(frozen=True)
class ReplayedAlert:
    """An alert the rule set would have raised: for which stay and team, by which rule, when."""

    stay_id: str
    team_id: str
    rule_id: str
    severity: Severity
    raised_at: datetime


def replay_stay(stay: StayHistory, rules: RuleSet, *, start: datetime, end: datetime) -> list[ReplayedAlert]:
    """The alerts `rules` would have raised for `stay` in `[start, end)`, oldest first.

    Readings before `start` set the state (baselines, what was already being found) but raise nothing.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("replay window needs time zones (UTC)")
    if end <= start:
        raise ValueError(f"replay window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    readings = sorted((r for r in stay.readings if r.at < end), key=lambda r: r.at)
    raised = _judged_alerts(stay, rules, readings) + _missed_alerts(stay, rules, readings, end)
    return sorted((a for a in raised if start <= a.raised_at < end), key=lambda a: (a.raised_at, a.rule_id))


def _arrivals(readings: Sequence[StayReading]) -> list[list[StayReading]]:
    groups: list[list[StayReading]] = []
    for reading in readings:
        if groups and reading.at - groups[-1][0].at <= ARRIVAL_WINDOW:
            groups[-1].append(reading)
        else:
            groups.append([reading])
    return groups


def _judged_alerts(stay: StayHistory, rules: RuleSet, readings: Sequence[StayReading]) -> list[ReplayedAlert]:
    """Alerts from the reading-driven rules (NEWS2, frailty, heart failure, COVID-19 oximetry)."""
    latest: dict[str, tuple[datetime, float | str]] = {}
    weights: list[tuple[datetime, float]] = []
    baseline_spo2: float | None = None
    baseline_news2: int | None = None
    finding: set[str] = set()
    raised: list[ReplayedAlert] = []
    for group in _arrivals(readings):
        for reading in group:
            if reading.parameter not in latest or latest[reading.parameter][0] <= reading.at:
                latest[reading.parameter] = (reading.at, reading.value)
            if reading.parameter == "body_weight" and isinstance(reading.value, float | int):
                weights.append((reading.at, float(reading.value)))
        now = group[-1].at
        spo2 = latest.get("spo2")
        if baseline_spo2 is None and spo2 is not None and not isinstance(spo2[1], str):
            baseline_spo2 = spo2[1]
        patient = evaluation.PatientReadings(
            pathway=stay.pathway,
            rules=rules,
            on_oxygen=stay.on_oxygen,
            spo2_scale=stay.spo2_scale,
            baseline_spo2=baseline_spo2,
            baseline_news2=baseline_news2,
            expected_every_hours=stay.expected_every_hours,
            latest={p: v for p, v in latest.items() if p in SET_PARAMETERS},
            weights_kg=tuple(weights),  # the whole stay, as live judging reads what the rule can need
            spo2_percent=() if spo2 is None or isinstance(spo2[1], str) else ((spo2[0], float(spo2[1])),),
        )
        news2, findings = evaluation.evaluate(patient, now)
        if news2 is not None and baseline_news2 is None and not news2.is_partial:
            baseline_news2 = news2.value
        team = group[-1].team_id
        found = {f.rule_id: f for f in findings}
        raised += [_alert(stay, team, f, now) for rule_id, f in found.items() if rule_id not in finding]
        finding = {r for r in finding if not evaluation.is_judged_by(stay.pathway, r, news2)} | set(found)
    return raised


def _alert(stay: StayHistory, team_id: str, finding: Finding, at: datetime) -> ReplayedAlert:
    return ReplayedAlert(stay.stay_id, team_id, finding.rule_id, finding.severity, at)


def _missed_alerts(
    stay: StayHistory, rules: RuleSet, readings: Sequence[StayReading], end: datetime
) -> list[ReplayedAlert]:
    """One missed-readings alert for each gap in a measure longer than the schedule plus the grace."""
    stop = min(end, stay.ends_at) if stay.ends_at is not None else end
    every = timedelta(hours=stay.expected_every_hours)
    grace = timedelta(hours=rules.missed_readings.grace_hours)
    raised: list[ReplayedAlert] = []
    for measure in stay.measures:
        times = [r for r in readings if r.parameter == measure and stay.monitored_since <= r.at <= stop]
        points = [(r.at, r.team_id) for r in times] + [(stop, _team_at(stay, readings, stop))]
        last_at: datetime | None = None
        for upto, team in points:
            if upto < stay.monitored_since:
                continue
            due = (stay.monitored_since if last_at is None else last_at) + every + grace
            if due < upto and missed_readings.evaluate(
                measure, last_at, stay.monitored_since, upto, rules, stay.expected_every_hours
            ):
                raised.append(ReplayedAlert(stay.stay_id, team, f"missed_readings.{measure}", "review", due))
            last_at = upto
    return raised


def _team_at(stay: StayHistory, readings: Sequence[StayReading], at: datetime) -> str:
    before = [r.team_id for r in readings if r.at <= at]
    return before[-1] if before else stay.team_id
