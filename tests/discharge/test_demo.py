"""The discharge demo step: referrals in flight for demo patients in UHL's beds, delayed bed-days to show."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.capacity import service as capacity
from joinedup.discharge import demo, service
from joinedup.discharge.demo import create_demo_referrals
from joinedup.record.demo import load_demo_patients
from joinedup.record.service import Actor
from joinedup.registry import service as registry


def test_the_demo_has_referrals_in_flight_and_delayed_bed_days(session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(demo, "OPEN_REFERRALS", 6)
    monkeypatch.setattr(demo, "CLOSED_REFERRALS", 2)
    registry.load_reference_data(session)
    access.create_demo_users(session)
    load_demo_patients(session, count=16, cohort=2)
    summary = create_demo_referrals(session)
    assert summary.startswith("8 referrals (")
    today = datetime.now(UTC).date()
    delayed = service.delayed_list(session, on=today)
    assert delayed.delayed_patients == 6 and delayed.delayed_bed_days > 6
    state = capacity.live_bed_state(session, on=today)
    assert (state.delayed_patients, state.delayed_bed_days) == (6, delayed.delayed_bed_days)
    housing = access.get_user(session, "demo-housing")
    assert housing is not None and housing.role == "discharge support"
    clinician = access.get_user(session, "demo-clinician")
    assert clinician is not None
    seen = service.list_referrals(session, actor=Actor(access.principal_of(clinician)))
    assert len(seen) == 8 and {r.status for r in seen} >= {"closed"}
    for found in seen:
        referral = service.get_referral(
            session, actor=Actor(access.principal_of(clinician)), referral_id=found.id
        )
        assert referral.summary in demo.NOTES[referral.kind], (referral.kind, referral.summary)
        updates = [e.note for e in referral.events if e.action == "updated"]
        assert all(note in demo.PROGRESS[referral.kind] for note in updates), (referral.kind, updates)
        if referral.outcome is not None:
            assert referral.outcome in demo.ENDINGS[referral.kind]
    assert access.verify_audit_log(session).is_intact


def test_every_need_in_the_demo_has_its_own_notes() -> None:
    kinds = {kind for kind, _, _ in demo.NEEDS}
    assert kinds <= set(demo.NOTES) and kinds <= set(demo.PROGRESS) and kinds <= set(demo.ENDINGS)
    for kind in demo.NOTES:
        assert demo.NOTE_DRAW % len(demo.NOTES[kind]) == 0, kind  # each note as likely as the others
        assert demo.PROGRESS_DRAW % len(demo.PROGRESS[kind]) == 0, kind
        assert len(demo.ENDINGS[kind]) == 4, kind
    others = {note for kind, notes in demo.NOTES.items() if kind != "housing" for note in notes}
    assert not others & set(demo.NOTES["housing"])
    assert all("care home" not in note for note in demo.NOTES["housing"])
