"""Raising referrals and the steps on them, against the shared record and the access policy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from discharge_world import ANALYST, BLABY, BLABY_TEAM, CLINICIAN, GP, HOUSING, HOUSING_TEAM, LPT_CLINICIAN
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.schemas import AuditQuery
from joinedup.discharge import service
from joinedup.discharge.models import Referral
from joinedup.discharge.schemas import CancelCreate, CloseCreate, ReferralCreate, StepCreate, UpdateCreate
from joinedup.errors import Conflict, Forbidden, Invalid


def referral(nhs_number: str, **changes: object) -> ReferralCreate:
    data: dict[str, object] = {
        "nhs_number": nhs_number,
        "pool_id": "lri-acute",
        "kind": "housing",
        "team_id": HOUSING_TEAM,
        "medically_fit_on": (datetime.now(UTC) - timedelta(days=6)).date(),
        "note": "Lives alone; flat not safe to return to",
    }
    return ReferralCreate.model_validate({**data, **changes})


def referrals_stored(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Referral)) or 0)


def test_a_clinician_raises_a_referral_for_a_patient_in_hospital(world) -> None:  # type: ignore[no-untyped-def]
    raised = service.raise_referral(world.session, actor=CLINICIAN, referral=referral(world.at_lri[0]))
    assert (raised.status, raised.site_id, raised.pool_id, raised.team_id) == (
        "raised",
        "lri",
        "lri-acute",
        HOUSING_TEAM,
    )
    assert raised.days_waited == 6
    assert [e.action for e in raised.events] == ["raised"]
    assert raised.events[0].by == "test-clinician"


def test_a_patient_not_in_hospital_gets_422_and_nothing_is_written(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid, match="not in hospital at site 'lri'"):
        service.raise_referral(world.session, actor=GP, referral=referral(world.at_home))
    with pytest.raises(Invalid, match="not in hospital at site 'lri'"):
        service.raise_referral(world.session, actor=CLINICIAN, referral=referral(world.at_lgh))
    assert referrals_stored(world.session) == 0


def test_unknown_team_pool_or_patient_is_invalid(world) -> None:  # type: ignore[no-untyped-def]
    number = world.at_lri[0]
    with pytest.raises(Invalid, match="team_id: no team 'nobody'"):
        service.raise_referral(world.session, actor=CLINICIAN, referral=referral(number, team_id="nobody"))
    with pytest.raises(Invalid, match="pool_id: no bed pool 'mars'"):
        service.raise_referral(world.session, actor=CLINICIAN, referral=referral(number, pool_id="mars"))
    with pytest.raises(Invalid, match="site_id: bed pool 'lri-acute' is at site 'lri'"):
        service.raise_referral(world.session, actor=CLINICIAN, referral=referral(number, site_id="lgh"))
    future = date.today() + timedelta(days=2)
    with pytest.raises(Invalid, match="in the future"):
        service.raise_referral(
            world.session, actor=CLINICIAN, referral=referral(number, medically_fit_on=future)
        )
    before = (world.admitted - timedelta(days=3)).date()
    with pytest.raises(Invalid, match="before the admission"):
        service.raise_referral(
            world.session, actor=CLINICIAN, referral=referral(number, medically_fit_on=before)
        )
    with pytest.raises(ValueError, match="unknown kind 'spa'"):
        referral(number, kind="spa")
    assert referrals_stored(world.session) == 0


def test_a_second_open_referral_of_the_same_kind_conflicts(world) -> None:  # type: ignore[no-untyped-def]
    service.raise_referral(world.session, actor=CLINICIAN, referral=referral(world.at_lri[0]))
    with pytest.raises(Conflict, match="already has an open housing referral"):
        service.raise_referral(world.session, actor=CLINICIAN, referral=referral(world.at_lri[0]))
    other = referral(world.at_lri[0], kind="adaptations", team_id=BLABY_TEAM)
    assert service.raise_referral(world.session, actor=CLINICIAN, referral=other).kind == "adaptations"


def test_a_clinician_with_no_relationship_is_refused_and_the_refusal_audited(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Forbidden):
        service.raise_referral(world.session, actor=LPT_CLINICIAN, referral=referral(world.at_lri[0]))
    refused = access.search_audit(world.session, AuditQuery(username="lpt-clinician", outcome="refused"))
    assert refused.total >= 1
    assert referrals_stored(world.session) == 0


def test_the_full_workflow_and_who_may_take_each_step(world) -> None:  # type: ignore[no-untyped-def]
    raised = service.raise_referral(world.session, actor=CLINICIAN, referral=referral(world.at_lri[0]))
    with pytest.raises(Forbidden, match="only the receiving team"):
        service.accept_referral(world.session, actor=CLINICIAN, referral_id=raised.id, step=StepCreate())
    refused = access.search_audit(world.session, AuditQuery(username="test-clinician", outcome="refused"))
    assert any("only the receiving team" in e.reason for e in refused.items)
    with pytest.raises(Forbidden, match="not sent to any of the user's teams"):
        service.accept_referral(world.session, actor=BLABY, referral_id=raised.id, step=StepCreate())
    with pytest.raises(Conflict, match="must accept the referral before it is updated"):
        service.update_referral(
            world.session, actor=HOUSING, referral_id=raised.id, update=UpdateCreate(note="visited")
        )
    accepted = service.accept_referral(world.session, actor=HOUSING, referral_id=raised.id, step=StepCreate())
    assert accepted.status == "accepted" and accepted.accepted_at is not None
    with pytest.raises(Conflict, match="only a raised referral can be accepted"):
        service.accept_referral(world.session, actor=HOUSING, referral_id=raised.id, step=StepCreate())
    update = UpdateCreate(note="Temporary flat offered from Monday")
    progressed = service.update_referral(world.session, actor=HOUSING, referral_id=raised.id, update=update)
    assert progressed.status == "in-progress"
    closed = service.close_referral(
        world.session,
        actor=HOUSING,
        referral_id=raised.id,
        close=CloseCreate(outcome="home", note="moved in"),
    )
    assert (closed.status, closed.outcome) == ("closed", "home") and closed.ended_at is not None
    assert [e.action for e in closed.events] == ["raised", "accepted", "updated", "closed"]
    assert [e.status for e in closed.events] == ["raised", "accepted", "in-progress", "closed"]
    with pytest.raises(Conflict, match="only an open referral can be cancelled"):
        service.cancel_referral(
            world.session, actor=CLINICIAN, referral_id=raised.id, cancel=CancelCreate(reason="x")
        )
    again = service.raise_referral(world.session, actor=CLINICIAN, referral=referral(world.at_lri[0]))
    assert again.id != raised.id  # the closed one no longer blocks a new one


def test_cancel_stops_the_wait(world) -> None:  # type: ignore[no-untyped-def]
    raised = service.raise_referral(world.session, actor=CLINICIAN, referral=referral(world.at_lri[1]))
    cancelled = service.cancel_referral(
        world.session, actor=CLINICIAN, referral_id=raised.id, cancel=CancelCreate(reason="Family will house")
    )
    assert cancelled.status == "cancelled" and cancelled.events[-1].note == "Family will house"
    assert service.delayed_list(world.session).delayed_patients == 0


def test_reads_are_audited_and_unrelated_users_refused(world) -> None:  # type: ignore[no-untyped-def]
    raised = service.raise_referral(world.session, actor=CLINICIAN, referral=referral(world.at_lri[0]))
    assert service.get_referral(world.session, actor=HOUSING, referral_id=raised.id).id == raised.id
    for outsider in (BLABY, LPT_CLINICIAN, ANALYST):
        with pytest.raises(Forbidden):
            service.get_referral(world.session, actor=outsider, referral_id=raised.id)
    log = access.patient_access_log(world.session, world.at_lri[0])
    seen = [(e.username, e.action, e.outcome) for e in log if e.resource_type == "DischargeReferral"]
    assert ("test-housing", "read", "allowed") in seen
    assert ("test-clinician", "create", "allowed") in seen
    assert ("test-blaby", "read", "refused") in seen


def test_lists_show_only_what_the_caller_may_see(world) -> None:  # type: ignore[no-untyped-def]
    service.raise_referral(world.session, actor=CLINICIAN, referral=referral(world.at_lri[0]))
    other = referral(world.at_lri[1], kind="adaptations", team_id=BLABY_TEAM)
    service.raise_referral(world.session, actor=CLINICIAN, referral=other)
    assert len(service.list_referrals(world.session, actor=CLINICIAN, site_id="lri")) == 2
    mine = service.list_referrals(world.session, actor=HOUSING)
    assert [r.team_id for r in mine] == [HOUSING_TEAM]
    assert service.list_referrals(world.session, actor=CLINICIAN, team_id=BLABY_TEAM)[0].kind == "adaptations"
    assert service.list_referrals(world.session, actor=CLINICIAN, status="closed") == []
    with pytest.raises(Invalid, match="status: must be one of"):
        service.list_referrals(world.session, actor=CLINICIAN, status="lost")
    with pytest.raises(Forbidden):
        service.list_referrals(world.session, actor=ANALYST)


def test_delayed_list_counts_patients_once_with_their_longest_wait(world) -> None:  # type: ignore[no-untyped-def]
    today = datetime.now(UTC).date()
    first, second = world.at_lri
    service.raise_referral(
        world.session, actor=CLINICIAN, referral=referral(first, medically_fit_on=today - timedelta(days=9))
    )
    social = referral(
        first, kind="adaptations", team_id=BLABY_TEAM, medically_fit_on=today - timedelta(days=4)
    )
    service.raise_referral(world.session, actor=CLINICIAN, referral=social)
    service.raise_referral(
        world.session, actor=CLINICIAN, referral=referral(second, medically_fit_on=today - timedelta(days=3))
    )
    delayed = service.delayed_list(world.session, on=today)
    assert (delayed.delayed_patients, delayed.delayed_bed_days) == (2, 9 + 3)
    (pool,) = delayed.pools
    assert (pool.pool_id, pool.site_id, pool.days_waited) == ("lri-acute", "lri", [9, 3])
    assert pool.by_kind == {"adaptations": 1, "housing": 2}
    assert service.delayed_by_pool(world.session, on=today) == {"lri-acute": (2, 12)}
    earlier = service.delayed_list(world.session, on=today - timedelta(days=1))
    assert earlier.delayed_patients == 0  # the referrals were raised today


def test_a_closed_referral_keeps_the_days_it_waited(world) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    fit = (now - timedelta(days=12)).date()
    raised = service.raise_referral(
        world.session,
        actor=CLINICIAN,
        referral=referral(world.at_lri[0], medically_fit_on=fit),
        at=now - timedelta(days=11),
    )
    service.accept_referral(
        world.session, actor=HOUSING, referral_id=raised.id, step=StepCreate(), at=now - timedelta(days=10)
    )
    closed = service.close_referral(
        world.session,
        actor=HOUSING,
        referral_id=raised.id,
        close=CloseCreate(outcome="care-home"),
        at=now - timedelta(days=5),
    )
    assert closed.days_waited == 7
    on_day = (now - timedelta(days=6)).date()
    assert service.delayed_list(world.session, on=on_day).delayed_bed_days == 6
    assert service.delayed_list(world.session, on=now.date()).delayed_patients == 0
    with pytest.raises(Invalid, match="before the referral's last step"):
        service.cancel_referral(
            world.session,
            actor=CLINICIAN,
            referral_id=service.raise_referral(
                world.session, actor=CLINICIAN, referral=referral(world.at_lri[1])
            ).id,
            cancel=CancelCreate(reason="x"),
            at=now - timedelta(days=30),
        )
