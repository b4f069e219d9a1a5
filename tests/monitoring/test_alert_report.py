"""Time to acknowledge: median and 90th centile (nearest rank) per team and day, alerts still waiting
counted apart; aggregate, checked and audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from wards_world import ANALYST, GP, NURSE, OTHER_NURSE, observation

from joinedup.access.models import AuditEntry
from joinedup.errors import Forbidden, Invalid
from joinedup.monitoring import alert_report, alerts, service
from joinedup.monitoring.models import Alert

T = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_nearest_rank_centiles_are_times_alerts_really_took() -> None:
    minutes = [5.0, 1.0, 3.0, 2.0, 4.0, 6.0, 7.0, 8.0, 9.0, 100.0]
    assert alert_report.nearest_rank(minutes, 0.5) == 5.0
    assert alert_report.nearest_rank(minutes, 0.9) == 9.0
    assert alert_report.nearest_rank([], 0.5) is None
    with pytest.raises(ValueError):
        alert_report.nearest_rank(minutes, 0)


@given(st.lists(st.floats(min_value=0, max_value=1e5), min_size=1, max_size=50))
def test_the_median_never_exceeds_the_90th_centile_and_both_are_observed(values: list[float]) -> None:
    median, p90 = alert_report.nearest_rank(values, 0.5), alert_report.nearest_rank(values, 0.9)
    assert median is not None and p90 is not None and median <= p90
    assert median in values and p90 in values


def test_summary_is_per_team_and_day_with_the_unacknowledged_apart() -> None:
    rows = alert_report.summarise(
        [
            ("north", T, T + timedelta(minutes=10)),
            ("north", T + timedelta(hours=1), T + timedelta(hours=1, minutes=30)),
            ("north", T + timedelta(hours=2), None),
            ("north", T + timedelta(days=1), T + timedelta(days=1, minutes=4)),
            ("south", T, None),
        ],
        now=T + timedelta(days=1, hours=2),
    )
    by = {(r.ward_id, r.day): r for r in rows}
    day = by[("north", T.date())]
    assert (day.raised, day.acknowledged, day.median_minutes, day.p90_minutes) == (3, 2, 10.0, 30.0)
    assert day.not_acknowledged == 1 and day.longest_wait_minutes == 24 * 60.0
    whole = by[("north", None)]
    assert (whole.raised, whole.acknowledged, whole.median_minutes) == (4, 3, 10.0)
    south = by[("south", None)]
    assert south.median_minutes is None and south.not_acknowledged == 1


def raise_one(ward) -> Alert:
    number = ward.nhs_numbers[0]
    at = datetime.now(UTC) - timedelta(minutes=30)
    service.record_readings(
        ward.session, observations=[observation(number, "spo2", 91, at=at, device="kit-0")]
    )
    return ward.session.scalars(select(Alert).where(Alert.rule_id == "covid_oximetry.spo2_low")).one()


def test_the_report_measures_raised_to_acknowledged_for_the_wards_the_caller_sees(ward) -> None:
    alert = raise_one(ward)
    alerts.acknowledge(
        ward.session, alert_id=alert.id, by="test-nurse", note="", now=alert.raised_at + timedelta(minutes=12)
    )
    audits = ward.session.scalar(select(func.count()).select_from(AuditEntry))
    report = alert_report.alerts_report(ward.session, actor=NURSE)
    assert ward.session.scalar(select(func.count()).select_from(AuditEntry)) == audits + 1
    whole = next(r for r in report.rows if r.ward_id == "vw-north" and r.day is None)
    assert whole.acknowledged == 1 and whole.median_minutes == 12.0 and whole.p90_minutes == 12.0
    assert whole.raised == whole.acknowledged + whole.not_acknowledged >= 2  # news2 alert still waiting
    assert alert_report.alerts_report(ward.session, actor=OTHER_NURSE).rows == []
    assert alert_report.alerts_report(ward.session, actor=ANALYST).rows == report.rows
    with pytest.raises(Forbidden):
        alert_report.alerts_report(ward.session, actor=OTHER_NURSE, ward_id="vw-north")
    with pytest.raises(Invalid):
        alert_report.alerts_report(
            ward.session, actor=ANALYST, first=T.date(), last=(T - timedelta(days=1)).date()
        )
    assert alert_report.alerts_report(ward.session, actor=GP).rows == []
