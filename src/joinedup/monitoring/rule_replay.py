"""Replay a proposed rule set over the stored readings of a period, beside the rules in force and the alerts
actually raised, per day, team and nurse, so a service can size its staffing before a rule change goes live.

Reads only: nothing is raised, changed or stored, except the one audit entry that says the replay ran
(it reads every monitored patient's readings, so it is an access to patient data; the answer is aggregate).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.policy import Role
from joinedup.errors import Forbidden, Invalid
from joinedup.monitoring import judging, plans, rule_versions
from joinedup.monitoring.models import Alert, Reading
from joinedup.monitoring.replay import ReplayedAlert, StayHistory, StayReading, replay_stay
from joinedup.monitoring.rules.thresholds import (
    RuleSet,
    default_rule_set,
    rule_set_from_mapping,
    rule_set_from_toml,
)
from joinedup.monitoring.schemas import ReplayCount, ReplayReport, ReplayRequest, ReplayRuleSet
from joinedup.record.service import Actor
from joinedup.wards import service as wards
from joinedup.wards.pathways import PATHWAYS
from joinedup.wards.schemas import AdmissionRead

MAX_DAYS = 366
AGGREGATE_ROLES = frozenset({Role.ADMINISTRATOR, Role.ANALYST})
"""Roles that may replay every ward: the answer is counts only, never a patient."""
NOTE = (
    "A replay: these alerts were NOT raised. Nothing was sent to any caseload; live alerts are under 'live'."
)


@dataclass(frozen=True)
class Window:
    """The replayed period: whole UTC days from `first` to `last`, inclusive, cut off at `now`."""

    first: date
    last: date
    start: datetime
    end: datetime


def window(first: date, last: date, *, now: datetime) -> Window:
    """The period to replay; Invalid when it is back to front, in the future or longer than a year."""
    if last < first:
        raise Invalid(f"--to {last.isoformat()} is before --from {first.isoformat()}")
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid(f"replay at most {MAX_DAYS} days at a time, not {(last - first).days + 1}")
    start = datetime.combine(first, time(), tzinfo=UTC)
    if start >= now:
        raise Invalid(f"--from {first.isoformat()} is in the future: there are no readings to replay")
    end = min(datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC), now)
    return Window(first, last, start, end)


def proposed_rule_set(text: str) -> RuleSet:
    """A proposed rule set from a TOML document (sections left out come from the rules in force)."""
    try:
        return rule_set_from_toml(text, base=default_rule_set())
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def requested_rule_set(request: ReplayRequest) -> RuleSet:
    """The rule set of an API request: exactly one of `rules_toml` and `rules`."""
    if (request.rules_toml is None) == (request.rules is None):
        raise Invalid(
            "give the proposed rule set once: as `rules_toml` (TOML text) or as `rules` (an object)"
        )
    if request.rules_toml is not None:
        return proposed_rule_set(request.rules_toml)
    try:
        return rule_set_from_mapping(request.rules or {}, base=default_rule_set())
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def replay_rules(
    session: Session,
    *,
    actor: Actor,
    proposed: RuleSet,
    first: date,
    last: date,
    now: datetime | None = None,
) -> ReplayReport:
    """What `proposed` would have raised from `first` to `last` (UTC days), beside the current rules replayed
    the same way and the alerts actually raised; checked (aggregate roles, or a clinician's own wards) and
    audited once."""
    span = window(first, last, now=now or datetime.now(UTC))
    teams = _wards_for(session, actor)
    stays = [
        s
        for s in wards.stays_overlapping(session, start=span.start, end=span.end)
        if teams is None or s.ward_id in teams
    ]
    histories = _histories(session, stays, span.end)
    current = default_rule_set()
    overrides = {i: r.overrides for i, r in plans.patient_rules(session, [s.id for s in stays]).items()}
    counted: dict[str, list[ReplayedAlert]] = {"current": [], "proposed": []}
    for history in histories:
        for key, base in (("current", current), ("proposed", proposed)):
            rules = plans.with_patient_overrides(base, overrides.get(history.stay_id, {}))
            found = replay_stay(history, rules, start=span.start, end=span.end)
            counted[key] += [a for a in found if teams is None or a.team_id in teams]
    live = _live_alerts(session, span, teams)
    readings = sum(len(h.readings) for h in histories)
    report = _report(session, span, current, proposed, counted, live, teams, readings, len(histories))
    _audit(session, actor, proposed, span, report)
    return report


def _wards_for(session: Session, actor: Actor) -> set[str] | None:
    """None (every ward) for an aggregate role; a clinician's own wards; Forbidden for anyone else."""
    principal = actor.principal
    if principal.role in AGGREGATE_ROLES:
        return None
    if principal.is_clinical:
        visible = wards.visible_wards(session, principal)
        if visible:
            return visible
        raise Forbidden("rule replay: you see no virtual ward's caseload")
    raise Forbidden(
        f"rule replay is for administrators, analysts and the wards' clinicians, not a {principal.role}"
    )


def _histories(session: Session, stays: Sequence[AdmissionRead], end: datetime) -> list[StayHistory]:
    """Each stay's plan and scored readings up to `end` (from admission, so baselines are as they were)."""
    stay_plans = plans.stored_plans(session, stays)
    scales = {i: r.spo2_scale for i, r in plans.patient_rules(session, [s.id for s in stays]).items()}
    readings: dict[str, list[StayReading]] = defaultdict(list)
    ids = [s.id for s in stays]
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        rows = session.execute(
            select(
                Reading.admission_id,
                Reading.effective_at,
                Reading.parameter,
                Reading.value,
                Reading.value_text,
                Reading.team_id,
            ).where(
                Reading.admission_id.in_(chunk),
                Reading.status.in_(judging.SCORED),
                Reading.effective_at < end,
            )
        )
        for stay_id, at, parameter, value, text, team in rows:
            shown: float | str = text if text is not None else float(value or 0.0)
            readings[stay_id].append(StayReading(at, parameter, shown, team))
    histories = []
    for stay in stays:
        plan = stay_plans[stay.id]
        histories.append(
            StayHistory(
                stay_id=stay.id,
                team_id=stay.ward_id,
                pathway=stay.pathway,
                measures=PATHWAYS[stay.pathway].measures,
                monitored_since=plan.monitored_since,
                ends_at=stay.discharged_at,
                expected_every_hours=plan.expected_every_hours,
                on_oxygen=plan.on_oxygen,
                spo2_scale=scales.get(stay.id, 1),
                readings=tuple(readings.get(stay.id, ())),
            )
        )
    return histories


def _live_alerts(session: Session, span: Window, teams: set[str] | None) -> list[ReplayedAlert]:
    query = select(Alert.admission_id, Alert.team_id, Alert.rule_id, Alert.severity, Alert.raised_at).where(
        Alert.raised_at >= span.start, Alert.raised_at < span.end
    )
    if teams is not None:
        query = query.where(Alert.team_id.in_(sorted(teams)))
    return [ReplayedAlert(a, t, r, s, at) for a, t, r, s, at in session.execute(query)]  # type: ignore[arg-type]


def _nurses(session: Session) -> dict[str, frozenset[str]]:
    """Each virtual-ward nurse and the teams whose caseload she carries (the access model's team ids)."""
    return {
        u.username: frozenset(u.team_ids)
        for u in access.list_users(session)
        if u.role == Role.VIRTUAL_WARD_NURSE.value and u.active and u.team_ids
    }


def _count(alerts: Iterable[ReplayedAlert], key: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for alert in alerts:
        found[alert.raised_at.date().isoformat() if key == "day" else getattr(alert, key)] += 1
    return found


def _rows(keys: Iterable[str], counted: dict[str, Counter[str]]) -> list[ReplayCount]:
    return [
        ReplayCount(
            key=k, live=counted["live"][k], current=counted["current"][k], proposed=counted["proposed"][k]
        )
        for k in sorted(set(keys))
    ]


def _report(
    session: Session,
    span: Window,
    current: RuleSet,
    proposed: RuleSet,
    counted: dict[str, list[ReplayedAlert]],
    live: list[ReplayedAlert],
    teams: set[str] | None,
    readings: int,
    stays: int,
) -> ReplayReport:
    every = {"live": live, **counted}
    by = {
        key: {name: _count(found, key) for name, found in every.items()}
        for key in ("day", "team_id", "rule_id", "severity")
    }
    days = [(span.first + timedelta(days=i)).isoformat() for i in range((span.last - span.first).days + 1)]
    names = {t.id: t.name for t in wards.list_ward_teams(session, on=span.end.date())}
    team_ids = set(names) if teams is None else teams
    by_team = _rows(team_ids | set().union(*(c.keys() for c in by["team_id"].values())), by["team_id"])
    nurses = {n: t for n, t in _nurses(session).items() if teams is None or t & teams}
    by_nurse = [
        ReplayCount(
            key=username,
            live=sum(by["team_id"]["live"][t] for t in on),
            current=sum(by["team_id"]["current"][t] for t in on),
            proposed=sum(by["team_id"]["proposed"][t] for t in on),
            teams=sorted(on),
        )
        for username, on in sorted(nurses.items())
    ]
    for row in by_team:
        row.name = names.get(row.key)
        row.nurses = sum(1 for on in nurses.values() if row.key in on)
    warnings = [
        w for w in (rule_versions.drift(session, proposed), rule_versions.drift(session, current)) if w
    ]
    if proposed.version_id == current.version_id and proposed.content_digest != current.content_digest:
        warnings.append(
            f"the proposed rule set reuses the version id {current.version_id} of the rules in force "
            "with different thresholds: give it a new version"
        )
    return ReplayReport(
        note=NOTE,
        first=span.first,
        last=span.last,
        replayed_until=span.end,
        current=_described(current),
        proposed=_described(proposed),
        stays=stays,
        readings=readings,
        totals=ReplayCount(
            key="all", live=len(live), current=len(counted["current"]), proposed=len(counted["proposed"])
        ),
        by_day=_rows(days, by["day"]),
        by_team=by_team,
        by_nurse=by_nurse,
        by_rule=_rows(set().union(*(c.keys() for c in by["rule_id"].values())), by["rule_id"]),
        by_severity=_rows(set().union(*(c.keys() for c in by["severity"].values())), by["severity"]),
        warnings=warnings,
    )


def _described(rules: RuleSet) -> ReplayRuleSet:
    return ReplayRuleSet(
        version_id=rules.version_id, content_sha256=rules.content_digest, rules=rules.to_mapping()
    )


def _audit(session: Session, actor: Actor, proposed: RuleSet, span: Window, report: ReplayReport) -> None:
    access.audit(
        session,
        actor=actor.principal,
        event="virtual-ward",
        action="search",
        reason=(
            f"rule replay of {proposed.version_id} over {span.first.isoformat()} to {span.last.isoformat()}: "
            f"{report.readings} readings of {report.stays} stays read, aggregate counts returned"
        )[:500],
        resource_type="Observation",
        request_id=actor.request_id,
        source_address=actor.source_address,
    )
