"""How fast alerts are acknowledged: per team and per day (UTC day the alert was raised), the median and
90th centile of the minutes from raised to acknowledged, and how many are still waiting. Reads only;
aggregate (no patient named), checked and audited once per look.

Centiles are nearest-rank (the smallest time at or above which the given share of acknowledged alerts
lies), so each figure is a time an alert really took. Alerts not yet acknowledged are counted apart and
their wait so far is given, because leaving them out would flatter the centiles.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.errors import Forbidden, Invalid
from joinedup.monitoring.models import Alert
from joinedup.monitoring.schemas import AckSummaryRow, AlertsReport
from joinedup.record.service import Actor
from joinedup.wards import service as wards

AGGREGATE_ROLES = ("administrator", "analyst")
MAX_DAYS = 366


def nearest_rank(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank centile (`share` from 0 to 1) of `values`; None for no values."""
    if not 0 < share <= 1:
        raise ValueError(f"share must be more than 0 and at most 1, not {share}")
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def summarise(alerts: Sequence[tuple[str, datetime, datetime | None]], now: datetime) -> list[AckSummaryRow]:
    """Rows per (team, day) and per team over all days (`day` None), from (team, raised, acknowledged)."""
    groups: dict[tuple[str, date | None], list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for team, raised, acknowledged in alerts:
        groups[(team, raised.date())].append((raised, acknowledged))
        groups[(team, None)].append((raised, acknowledged))
    rows = []
    for (team, day), items in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1] or date.max)):
        waits = [(ack - raised).total_seconds() / 60 for raised, ack in items if ack is not None]
        waiting = [(now - raised).total_seconds() / 60 for raised, ack in items if ack is None]
        median, p90 = nearest_rank(waits, 0.5), nearest_rank(waits, 0.9)
        rows.append(
            AckSummaryRow(
                ward_id=team,
                day=day,
                raised=len(items),
                acknowledged=len(waits),
                median_minutes=None if median is None else round(median, 1),
                p90_minutes=None if p90 is None else round(p90, 1),
                not_acknowledged=len(waiting),
                longest_wait_minutes=round(max(waiting), 1) if waiting else None,
            )
        )
    return rows


def alerts_report(
    session: Session,
    *,
    actor: Actor,
    first: date | None = None,
    last: date | None = None,
    ward_id: str | None = None,
    now: datetime | None = None,
) -> AlertsReport:
    """Time to acknowledge per team and day from `first` to `last` (UTC, default the last 7 days)."""
    now = now or datetime.now(UTC)
    last = last or now.date()
    first = first or last - timedelta(days=6)
    if last < first or (last - first).days + 1 > MAX_DAYS:
        raise Invalid(f"give a period of 1 to {MAX_DAYS} days, from before to; not {first} to {last}")
    teams = _teams_for(session, actor, ward_id)
    start = datetime.combine(first, time(), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)
    query = select(Alert.team_id, Alert.raised_at, Alert.acknowledged_at).where(
        Alert.raised_at >= start, Alert.raised_at < end
    )
    if teams is not None:
        query = query.where(Alert.team_id.in_(sorted(teams)))
    found = [(t, r, a) for t, r, a in session.execute(query)]
    access.audit(
        session,
        actor=actor.principal,
        event="virtual-ward",
        action="search",
        reason=f"time-to-acknowledge report {first} to {last} of "
        f"{'every ward' if teams is None else ', '.join(sorted(teams)) or 'no ward'}: counts only",
        resource_type="Flag",
        request_id=actor.request_id,
        source_address=actor.source_address,
    )
    names = {t.id: t.name for t in wards.list_ward_teams(session, on=last)}
    rows = summarise(found, now)
    for row in rows:
        row.ward_name = names.get(row.ward_id)
    return AlertsReport(first=first, last=last, generated_at=now, rows=rows)


def _teams_for(session: Session, actor: Actor, ward_id: str | None) -> set[str] | None:
    principal = actor.principal
    if principal.role.value in AGGREGATE_ROLES:
        teams = None
    elif principal.is_clinical:
        teams = wards.visible_wards(session, principal)
    else:
        raise Forbidden(
            f"alert reports are for clinicians, administrators and analysts, not a {principal.role}"
        )
    if ward_id is None:
        return teams
    if teams is not None and ward_id not in teams:
        raise Forbidden(f"ward {ward_id!r} is not one of your teams' caseloads")
    return {ward_id}
