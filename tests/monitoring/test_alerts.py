"""The alert workflow on both backends: raised once, updated, cleared, acknowledged, escalated, resolved,
each step with who and when; thresholds and SpO2 scale changes audited and applied; missed readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fhir.resources.R4B.flag import Flag
from sqlalchemy import event, select
from wards_world import ANALYST, NURSE, OTHER_NURSE, acvpu, observation

from joinedup.access.models import AuditEntry
from joinedup.errors import Conflict, Forbidden, Invalid
from joinedup.monitoring import alert_writes, alerts, caseload, service
from joinedup.monitoring.models import Alert
from joinedup.monitoring.rules import Finding
from joinedup.monitoring.schemas import EscalationCreate, Spo2ScaleDecisionCreate, ThresholdChangeCreate
from joinedup.wards import service as wards

NOW = datetime.now(UTC)
AT = NOW - timedelta(minutes=30)


def low_spo2(ward, value: float = 91, at: datetime = AT) -> str:
    number = ward.nhs_numbers[0]
    outcome = service.record_readings(
        ward.session, observations=[observation(number, "spo2", value, at=at, device="kit-0")]
    )[0]
    return next(
        a
        for a in outcome.alert_ids
        if service.get_alert(ward.session, a).rule_id == "covid_oximetry.spo2_low"
    )


def test_acknowledge_escalate_resolve_each_record_who_and_when(ward) -> None:
    alert_id = low_spo2(ward)
    service.acknowledge_alert(ward.session, actor=NURSE, alert_id=alert_id, note="phoned the patient")
    service.escalate_alert(
        ward.session,
        actor=NURSE,
        alert_id=alert_id,
        escalation=EscalationCreate(to="999-advice", note="advised 999"),
    )
    done = service.resolve_alert(ward.session, actor=NURSE, alert_id=alert_id, note="admitted to LRI")
    assert (done.status, done.acknowledged_by, done.escalated_to, done.resolved_by) == (
        "resolved",
        "test-nurse",
        "999-advice",
        "test-nurse",
    )
    assert [e.kind for e in done.events] == ["raised", "acknowledged", "escalated", "resolved"]
    assert [e.by for e in done.events][1:] == ["test-nurse"] * 3
    assert all(e.at is not None for e in done.events)
    audited = ward.session.scalars(select(AuditEntry.reason).where(AuditEntry.event == "virtual-ward")).all()
    assert any("escalated to 999-advice" in r for r in audited)
    with pytest.raises(Conflict, match="resolved"):
        service.acknowledge_alert(ward.session, actor=NURSE, alert_id=alert_id)


def test_a_resolved_alert_is_raised_afresh_by_a_new_finding(ward) -> None:
    first = low_spo2(ward)
    service.resolve_alert(ward.session, actor=NURSE, alert_id=first)
    second = low_spo2(ward, at=AT + timedelta(minutes=5))
    assert second != first


def test_the_same_condition_on_new_readings_updates_one_alert_instead_of_raising_more(ward) -> None:
    ids = {low_spo2(ward, at=AT + timedelta(minutes=m)) for m in range(4)}
    assert len(ids) == 1
    alert = service.get_alert(ward.session, ids.pop())
    assert alert.occurrences == 4 and [e.kind for e in alert.events].count("updated") == 3


def _judge(ward, stay_id: str, finding: Finding) -> list[str]:
    """Fold one finding into the stay's open alerts and write the change, as judging a batch does."""
    changes = alerts.AlertChanges()
    changed = alerts.apply_findings(
        admission_id=stay_id,
        team_id="vw-north",
        nhs_number=ward.nhs_numbers[0],
        findings=[finding],
        is_judged=lambda _rule: False,
        existing=alerts.open_alerts(ward.session, [stay_id]),
        now=finding.at,
        changes=changes,
    )
    alert_writes.write_changes(ward.session, changes, now=finding.at)
    return changed


def test_a_judged_update_keeps_a_clinicians_acknowledgement_and_a_worse_finding_makes_it_active(ward) -> None:
    stay_id = ward.stays[ward.nhs_numbers[0]].id
    version = "test-rules@1"
    [alert_id] = _judge(ward, stay_id, Finding("test.rule", "review", "first", AT, version))
    service.acknowledge_alert(ward.session, actor=NURSE, alert_id=alert_id)
    _judge(ward, stay_id, Finding("test.rule", "review", "again", AT + timedelta(minutes=1), version))
    again = service.get_alert(ward.session, alert_id)
    assert (again.status, again.severity, again.message, again.occurrences) == (
        "acknowledged",
        "review",
        "again",
        2,
    )
    _judge(ward, stay_id, Finding("test.rule", "emergency", "worse", AT + timedelta(minutes=2), version))
    worse = service.get_alert(ward.session, alert_id)
    assert (worse.status, worse.severity, worse.occurrences) == ("active", "emergency", 3)
    assert [e.detail for e in worse.events][-1] == "now emergency: worse"


def test_a_batch_writes_its_alerts_with_one_insert_and_one_update_whatever_its_size(ward) -> None:
    written: list[str] = []

    def note(_conn, _cursor, statement: str, *_args: object) -> None:
        if (
            statement.lstrip()
            .upper()
            .startswith(("INSERT INTO MONITORING_ALERTS ", "UPDATE MONITORING_ALERTS "))
        ):
            written.append(statement.split()[0].upper())

    def batch(minutes: int) -> list[list[str]]:
        readings = [
            observation(number, "spo2", 85, at=AT + timedelta(minutes=minutes), device=f"kit-{i}")
            for i, number in enumerate(ward.nhs_numbers[:4])
        ]
        written.clear()
        return [o.alert_ids for o in service.record_readings(ward.session, observations=readings)]

    connection = ward.session.connection()
    event.listen(connection, "before_cursor_execute", note)
    try:
        raised = batch(0)
        assert all(raised) and written == ["INSERT"]
        updated = batch(5)
        assert all(updated) and written == ["UPDATE"]
    finally:
        event.remove(connection, "before_cursor_execute", note)
    assert {a for ids in updated for a in ids} <= {a for ids in raised for a in ids}


def test_an_alert_is_marked_cleared_when_the_readings_recover_but_stays_open_for_a_clinician(ward) -> None:
    alert_id = low_spo2(ward)
    low_spo2_recovered = observation(
        ward.nhs_numbers[0], "spo2", 97, at=AT + timedelta(minutes=10), device="kit-0"
    )
    service.record_readings(ward.session, observations=[low_spo2_recovered])
    alert = service.get_alert(ward.session, alert_id)
    assert alert.status == "active" and alert.cleared_at is not None and alert.events[-1].kind == "cleared"


def test_only_people_caring_for_the_patient_may_act_on_an_alert(ward) -> None:
    alert_id = low_spo2(ward)
    with pytest.raises(Forbidden):
        service.acknowledge_alert(ward.session, actor=OTHER_NURSE, alert_id=alert_id)
    with pytest.raises(Forbidden):
        service.acknowledge_alert(ward.session, actor=ANALYST, alert_id=alert_id)


def test_alert_lists_show_a_nurse_her_own_caseload_only(ward) -> None:
    low_spo2(ward)
    assert {a.ward_id for a in service.list_alerts(ward.session, actor=NURSE)} == {"vw-north"}
    assert service.list_alerts(ward.session, actor=OTHER_NURSE) == []
    with pytest.raises(Forbidden):
        service.list_alerts(ward.session, actor=OTHER_NURSE, ward_id="vw-north")


def test_an_alert_is_a_valid_fhir_flag_with_its_priority_and_rule_set_version(ward) -> None:
    alert_id = low_spo2(ward)
    flag = service.alert_flag(ward.session, actor=NURSE, alert_id=alert_id)
    Flag.model_validate(flag)
    assert flag["status"] == "active" and flag["code"]["coding"][0]["code"] == "covid_oximetry.spo2_low"
    assert flag["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "PH"
    assert flag["extension"][1]["valueString"] == "joinedup-default@1"


def test_a_threshold_change_is_audited_applied_at_once_and_named_in_the_rule_set_version(ward) -> None:
    number = ward.nhs_numbers[0]
    service.record_readings(
        ward.session, observations=[observation(number, "spo2", 93, at=AT, device="kit-0")]
    )
    before = ward.session.scalars(
        select(Alert).where(Alert.rule_id == "covid_oximetry.spo2_borderline")
    ).one()
    change = ThresholdChangeCreate(
        section="covid_oximetry", name="review_spo2_max", value=92, reason="COPD: usual SpO2 92-93%"
    )
    with pytest.raises(Invalid):  # the emergency level must stay below the review level
        service.change_threshold(ward.session, actor=NURSE, nhs_number=number, change=change)
    change = ThresholdChangeCreate(
        section="covid_oximetry", name="emergency_spo2_max", value=88, reason="COPD: usual SpO2 88-92%"
    )
    overrides = service.change_threshold(ward.session, actor=NURSE, nhs_number=number, change=change)
    assert overrides == {"covid_oximetry": {"emergency_spo2_max": 88}}
    audited = ward.session.scalars(select(AuditEntry).where(AuditEntry.event == "virtual-ward")).all()
    assert any(
        "covid_oximetry.emergency_spo2_max set to 88" in a.reason and a.username == "test-nurse"
        for a in audited
    )
    # 90% is now a review (89-94), not an emergency: the same open alert is updated under the new version
    later = observation(number, "spo2", 90, at=AT + timedelta(minutes=3), device="kit-0")
    service.record_readings(ward.session, observations=[later])
    assert not ward.session.scalars(select(Alert).where(Alert.rule_id == "covid_oximetry.spo2_low")).all()
    alert = ward.session.scalars(select(Alert).where(Alert.rule_id == "covid_oximetry.spo2_borderline")).one()
    assert alert.id == before.id and "+patient-" in alert.rule_set_version


def test_spo2_scale_2_only_by_a_clinicians_recorded_decision_and_it_changes_the_score(ward) -> None:
    number = ward.nhs_numbers[3]  # respiratory
    at = AT
    sitting = [
        observation(number, p, v, at=at, device="kit-3")
        for p, v in (
            ("pulse", 80),
            ("respiration_rate", 16),
            ("spo2", 89),
            ("systolic_bp", 125),
            ("temperature", 37.0),
        )
    ]
    service.record_readings(ward.session, observations=[*sitting, acvpu(number, "A", at=at, device="kit-3")])
    stay = wards.get_open_admission(ward.session, number)
    row = caseload.caseload(ward.session, [stay], now=NOW)[0]
    assert row.news2.value == 3 and row.spo2_scale == 1  # 89% on scale 1 scores 3
    with pytest.raises(Forbidden):
        service.decide_spo2_scale(
            ward.session,
            actor=ANALYST,
            nhs_number=number,
            decision=Spo2ScaleDecisionCreate(spo2_scale=2, reason="COPD with CO2 retention"),
        )
    service.decide_spo2_scale(
        ward.session,
        actor=NURSE,
        nhs_number=number,
        decision=Spo2ScaleDecisionCreate(spo2_scale=2, reason="COPD with CO2 retention"),
    )
    row = caseload.caseload(ward.session, [stay], now=NOW)[0]
    assert row.news2.value == 0 and row.spo2_scale == 2 and "SpO2 scale 2" in row.news2.label()
    view = service.patient_view(ward.session, actor=NURSE, nhs_number=number)
    assert view.scale_reason is not None and "test-nurse" in view.scale_reason and "CO2" in view.scale_reason


def test_partial_and_stale_scores_are_shown_as_such(ward) -> None:
    number = ward.nhs_numbers[0]
    old = NOW - timedelta(hours=30)  # the COVID-19 schedule expects readings every 12 hours
    service.record_readings(
        ward.session, observations=[observation(number, "pulse", 95, at=old, device="kit-0")]
    )
    stay = wards.get_open_admission(ward.session, number)
    row = caseload.caseload(ward.session, [stay], now=NOW)[0]
    assert row.news2.is_partial and row.news2.is_stale and row.news2.value == 1
    assert "partial" in row.news2.label() and "stale" in row.news2.label()


def test_missed_readings_raise_one_alert_per_measure_and_clear_when_a_reading_arrives(ward) -> None:
    later = NOW + timedelta(hours=1)
    raised = service.check_missed_readings(ward.session, now=later)
    assert raised > 0
    again = service.check_missed_readings(ward.session, now=later + timedelta(minutes=30))
    assert again == 0  # the sweep does not pile up copies
    number = ward.nhs_numbers[0]
    alerts = {a.rule_id: a for a in ward.session.scalars(select(Alert).where(Alert.nhs_number == number))}
    assert "missed_readings.spo2" in alerts
    service.record_readings(
        ward.session, observations=[observation(number, "spo2", 97, at=NOW, device="kit-0")]
    )
    ward.session.refresh(alerts["missed_readings.spo2"])
    assert alerts["missed_readings.spo2"].cleared_at is not None


def full_set(number: str, at: datetime, device: str, **values: float) -> list[dict]:
    readings = {"respiration_rate": 16, "spo2": 97, "systolic_bp": 120, "pulse": 70, "temperature": 37.0}
    readings.update(values)
    return [observation(number, p, v, at=at, device=device) for p, v in readings.items()] + [
        acvpu(number, "A", at=at, device=device)
    ]


def test_a_partial_set_never_clears_a_news2_alert_but_a_complete_one_does(ward) -> None:
    number = ward.nhs_numbers[3]  # respiratory pathway, kit-3
    first = NOW - timedelta(hours=5)
    service.record_readings(
        ward.session,
        observations=full_set(number, first, "kit-3", respiration_rate=26, pulse=135, systolic_bp=88),
    )
    alert = ward.session.scalars(
        select(Alert).where(Alert.nhs_number == number, Alert.rule_id == "news2.emergency")
    ).one()
    # two hours later only a normal pulse arrives: the latest set is partial and must not quieten the alert
    service.record_readings(
        ward.session,
        observations=[observation(number, "pulse", 72, at=first + timedelta(hours=2), device="kit-3")],
    )
    ward.session.refresh(alert)
    assert alert.cleared_at is None and alert.status == "active"
    stay = wards.get_open_admission(ward.session, number)
    row = caseload.caseload(ward.session, [stay], now=NOW)[0]
    assert row.news2.is_partial and "missing" in row.news2.label() and row.alert_level == "emergency"
    # a complete, normal set is what clears it (it stays open for a clinician to resolve)
    service.record_readings(ward.session, observations=full_set(number, first + timedelta(hours=3), "kit-3"))
    ward.session.refresh(alert)
    assert alert.cleared_at is not None and alert.open_key is not None


@pytest.mark.parametrize("reason", ["", "   ", " a "])
def test_spo2_scale_2_without_a_reason_is_refused(reason: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="reason"):
        Spo2ScaleDecisionCreate(spo2_scale=2, reason=reason)
