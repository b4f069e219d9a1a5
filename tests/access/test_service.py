"""Access use cases against a real database (SQLite and PostgreSQL): authorise, audit, break-glass, users,
log-ins and tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from joinedup.access import accounts, service, tokens
from joinedup.access.accounts import USERNAME_FAILURE_LIMIT
from joinedup.access.models import AuditEntry
from joinedup.access.policy import PatientContext
from joinedup.access.schemas import AuditQuery, BreakGlassReview
from joinedup.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized

from .conftest import MakeUser

SECRET = "service-test-secret-long-enough-for-hs256"
PATIENT = PatientContext(nhs_number="9990000018", registered_practice_ods="Y90001")


def entries(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_an_allowed_access_is_audited_with_who_what_and_why(session: Session, make_user: MakeUser) -> None:
    gp = make_user("gp1", "gp", "Y90001")
    decision = service.authorise(
        session,
        principal=gp,
        action="read",
        resource_type="Observation",
        resource_id="obs-1",
        patient=PATIENT,
        request_id="req-1",
        source_address="127.0.0.1",
    )
    assert decision.allowed
    last = entries(session)[-1]
    assert (last.username, last.role, last.organisation_ods) == ("gp1", "gp", "Y90001")
    assert (last.action, last.resource_type, last.resource_id) == ("read", "Observation", "obs-1")
    assert (last.patient_nhs_number, last.outcome, last.request_id) == ("9990000018", "allowed", "req-1")
    assert last.reason == "the patient is registered at the user's practice"
    assert last.recorded_at.tzinfo is not None


def test_a_refusal_raises_forbidden_and_survives_the_rollback(
    sessions: sessionmaker[Session], make_user: MakeUser
) -> None:
    analyst = make_user("an1", "analyst")
    with sessions() as request_session:
        with pytest.raises(Forbidden, match="aggregates only"):
            service.authorise(
                request_session, principal=analyst, action="read", resource_type="Patient", patient=PATIENT
            )
        request_session.rollback()
    with sessions() as check:
        refused = [e for e in entries(check) if e.username == "an1"]
        assert [(e.outcome, e.action) for e in refused] == [("refused", "read")]
        assert service.verify_audit_log(check).is_intact


def test_a_refusal_inside_a_rolled_back_savepoint_is_written_again_before_commit(
    sessions: sessionmaker[Session], make_user: MakeUser
) -> None:
    analyst = make_user("an1", "analyst")
    with sessions() as s:
        with pytest.raises(Forbidden), s.begin_nested():
            service.authorise(s, principal=analyst, action="read", resource_type="Patient", patient=PATIENT)
        s.commit()
    with sessions() as check:
        assert [e.outcome for e in entries(check) if e.username == "an1"] == ["refused"]
        assert service.verify_audit_log(check).is_intact


def test_a_refusal_kept_by_the_caller_is_written_once(
    sessions: sessionmaker[Session], make_user: MakeUser
) -> None:
    analyst = make_user("an1", "analyst")
    with sessions() as s:
        with pytest.raises(Forbidden):
            service.authorise(s, principal=analyst, action="read", resource_type="Patient", patient=PATIENT)
        s.commit()
        s.rollback()  # a later rollback of nothing must not write it again
    with sessions() as check:
        assert len([e for e in entries(check) if e.username == "an1"]) == 1


def test_break_glass_opens_one_grant_that_serves_later_requests(
    session: Session, make_user: MakeUser
) -> None:
    doc = make_user("doc1", "hospital clinician", "RWE")
    first = service.authorise(
        session,
        principal=doc,
        action="read",
        resource_type="Patient",
        patient=PATIENT,
        break_glass_reason="Unconscious in ED",
    )
    assert first.allowed and first.break_glass
    again = service.authorise(
        session,
        principal=doc,
        action="read",
        resource_type="Patient",
        patient=PATIENT,
        break_glass_reason="again",
    )
    later = service.authorise(
        session, principal=doc, action="search", resource_type="Observation", patient=PATIENT
    )
    assert again.break_glass and later.break_glass and "grant valid until" in later.reason
    grants = service.list_break_glass(session)
    assert len(grants) == 1
    assert grants[0].reason == "Unconscious in ED"
    assert grants[0].expires_at - grants[0].granted_at == timedelta(hours=4)
    assert all(e.break_glass for e in entries(session) if e.username == "doc1")


def test_an_expired_grant_no_longer_allows_access(session: Session, make_user: MakeUser) -> None:
    doc = make_user("doc1", "hospital clinician", "RWE")
    past = datetime.now(UTC) - timedelta(hours=5)
    service.authorise(
        session,
        principal=doc,
        action="read",
        resource_type="Patient",
        patient=PATIENT,
        break_glass_reason="earlier emergency",
        now=past,
    )
    with pytest.raises(Forbidden, match="no legitimate relationship"):
        service.authorise(session, principal=doc, action="read", resource_type="Patient", patient=PATIENT)


def test_the_privacy_officer_reviews_each_grant_once(session: Session, make_user: MakeUser) -> None:
    doc = make_user("doc1", "hospital clinician", "RWE")
    officer = make_user("po1", "privacy officer")
    service.authorise(
        session,
        principal=doc,
        action="read",
        resource_type="Patient",
        patient=PATIENT,
        break_glass_reason="stroke call",
    )
    grant = service.list_break_glass(session)[0]
    with pytest.raises(Forbidden):
        service.review_break_glass(
            session, grant_id=grant.id, reviewer=doc, review=BreakGlassReview(outcome="justified")
        )
    done = service.review_break_glass(
        session,
        grant_id=grant.id,
        reviewer=officer,
        review=BreakGlassReview(outcome="referred", note="ask why"),
    )
    assert (done.review_status, done.reviewed_by, done.review_note) == ("referred", "po1", "ask why")
    assert service.list_break_glass(session) == []
    with pytest.raises(Conflict):
        service.review_break_glass(
            session, grant_id=grant.id, reviewer=officer, review=BreakGlassReview(outcome="justified")
        )
    with pytest.raises(NotFound):
        service.review_break_glass(
            session, grant_id=9999, reviewer=officer, review=BreakGlassReview(outcome="justified")
        )
    review = entries(session)[-1]
    assert review.event == "break-glass-review" and "referred for investigation: ask why" in review.reason


def test_a_patient_sees_who_looked_at_their_record(session: Session, make_user: MakeUser) -> None:
    gp = make_user("gp1", "gp", "Y90001", display_name="Dr Shah")
    doc = make_user("doc1", "hospital clinician", "RWE")
    service.authorise(session, principal=gp, action="read", resource_type="Patient", patient=PATIENT)
    service.authorise(
        session,
        principal=doc,
        action="read",
        resource_type="Patient",
        patient=PATIENT,
        break_glass_reason="sepsis",
    )
    log = service.patient_access_log(session, "999 000 0018")
    assert [(e.display_name, e.break_glass) for e in log] == [("doc1", True), ("Dr Shah", False)]
    assert log[1].organisation_name == "Test Practice One"
    assert log[0].reason == "break-glass: sepsis"
    assert service.patient_access_log(session, "9990000026") == []


def test_audit_search_filters_by_user_patient_outcome_and_date(session: Session, make_user: MakeUser) -> None:
    gp = make_user("gp1", "gp", "Y90001")
    other = make_user("gp2", "gp", "Y90002")
    service.authorise(session, principal=gp, action="read", resource_type="Patient", patient=PATIENT)
    with pytest.raises(Forbidden):
        service.authorise(session, principal=other, action="read", resource_type="Patient", patient=PATIENT)
    today = datetime.now(UTC).date()
    assert [e.username for e in service.search_audit(session, AuditQuery(outcome="refused")).items] == ["gp2"]
    by_patient = service.search_audit(
        session, AuditQuery(nhs_number="9990000018", date_from=today, date_to=today)
    )
    assert by_patient.total == 2
    assert service.search_audit(session, AuditQuery(date_to=today - timedelta(days=1))).total == 0
    assert service.search_audit(session, AuditQuery(username="GP1")).items[0].username == "gp1"


def test_other_events_are_audited_and_chained(session: Session, make_user: MakeUser) -> None:
    nurse = make_user("n1", "virtual-ward nurse", "RT5")
    entry = service.audit(
        session,
        actor=nurse,
        event="threshold-change",
        action="update",
        reason="SpO2 alert threshold 92% -> 90% for COPD",
        patient_nhs_number="9990000018",
    )
    assert entry.seq >= 1 and entry.hash
    with pytest.raises(Invalid):
        service.audit(session, actor=None, event="x", action="y", reason="z", outcome="maybe")
    assert service.verify_audit_log(session).is_intact


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        (
            {"username": "gp9", "role": "gp", "organisation_ods": "ZZZ99"},
            Invalid,
            "no organisation with ODS code",
        ),
        ({"username": "gp9", "role": "gp"}, Invalid, "must belong to an organisation"),
        ({"username": "pt9", "role": "patient"}, Invalid, "NHS number"),
        ({"username": "x", "role": "gp", "organisation_ods": "Y90001"}, Invalid, "username"),
        ({"username": "gp9", "role": "surgeon", "organisation_ods": "Y90001"}, Invalid, "role"),
        ({"username": "pt9", "role": "patient", "nhs_number": "12345"}, Invalid, "nhs_number"),
    ],
)
def test_bad_users_are_refused_with_the_field_named(organisations: Session, data, error, match) -> None:
    with pytest.raises(error, match=match):
        service.create_user(organisations, data, actor=None)


def test_usernames_are_unique_and_roles_forgive_spelling(make_user: MakeUser, organisations: Session) -> None:
    nurse = make_user("nurse1", "Virtual_Ward_Nurse", "rt5", team_ids=["vw-north"])
    assert nurse.role.value == "virtual-ward nurse" and nurse.organisation_ods == "RT5"
    with pytest.raises(Conflict):
        service.create_user(organisations, {"username": "NURSE1", "role": "analyst"}, actor=None)


def test_a_right_password_starts_a_session_and_logout_ends_it(session: Session, make_user: MakeUser) -> None:
    make_user("gp1", "gp", "Y90001", password="correct-password")
    outcome = service.log_in(
        session, username="GP1", password="correct-password", source_address="10.0.0.1", secret=SECRET
    )
    assert outcome.cookie and outcome.user and outcome.user.username == "gp1"
    claims = tokens.read_session_cookie(outcome.cookie, secret=SECRET)
    assert claims is not None
    principal = service.principal_from_session(session, claims)
    assert principal is not None and principal.username == "gp1" and principal.scopes is None
    service.log_out(session, claims=claims, request_id=None)
    assert service.principal_from_session(session, claims) is None
    assert [e.action for e in entries(session) if e.event == "login"] == ["login", "logout"]


def test_failed_logins_are_throttled_per_username(session: Session, make_user: MakeUser) -> None:
    make_user("gp1", "gp", "Y90001", password="correct-password")
    for attempt in range(USERNAME_FAILURE_LIMIT):
        wrong = service.log_in(
            session,
            username="gp1",
            password=f"guess{attempt}",
            source_address=f"10.0.0.{attempt}",
            secret=SECRET,
        )
        assert wrong.status == 401 and wrong.problem == "The username or password is not right."
    throttled = service.log_in(
        session, username="gp1", password="correct-password", source_address="10.9.9.9", secret=SECRET
    )
    assert throttled.status == 429 and throttled.cookie is None
    assert "Too many failed log-ins" in (throttled.problem or "")
    later = datetime.now(UTC) + timedelta(minutes=16)
    assert service.log_in(
        session,
        username="gp1",
        password="correct-password",
        source_address="10.9.9.9",
        secret=SECRET,
        now=later,
    ).cookie
    refused = session.scalar(
        select(func.count()).where(AuditEntry.event == "login", AuditEntry.outcome == "refused")
    )
    assert refused == USERNAME_FAILURE_LIMIT + 1


def test_failed_logins_are_throttled_per_address(
    session: Session, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "ADDRESS_FAILURE_LIMIT", 3)  # the real 20 only makes the test slower
    make_user("gp1", "gp", "Y90001", password="correct-password")
    for n in range(3):
        service.log_in(session, username=f"nobody{n}", password="x", source_address="10.1.1.1", secret=SECRET)
    assert (
        service.log_in(
            session, username="gp1", password="correct-password", source_address="10.1.1.1", secret=SECRET
        ).status
        == 429
    )
    assert service.log_in(
        session, username="gp1", password="correct-password", source_address="10.1.1.2", secret=SECRET
    ).cookie


def test_tokens_carry_default_scopes_by_role_and_refuse_the_wrong_kind(
    session: Session, make_user: MakeUser
) -> None:
    make_user("gp1", "gp", "Y90001")
    make_user("cuff-1", "device", "RT5")
    gp_token = service.issue_token(session, username="gp1", scopes=None, minutes=5, secret=SECRET)
    principal = service.principal_from_token(
        session, gp_token, secret=SECRET, request_id=None, source_address=None
    )
    assert [str(s) for s in principal.scopes or ()] == ["user/*.cruds"]
    device = service.principal_from_token(
        session,
        service.issue_token(session, username="cuff-1", scopes=None, minutes=5, secret=SECRET),
        secret=SECRET,
        request_id=None,
        source_address=None,
    )
    assert [str(s) for s in device.scopes or ()] == ["system/Observation.crs"]
    with pytest.raises(Invalid, match="user/ scopes only"):
        service.issue_token(session, username="gp1", scopes=["system/*.rs"], minutes=5, secret=SECRET)
    with pytest.raises(Invalid, match="minutes"):
        service.issue_token(session, username="gp1", scopes=None, minutes=0, secret=SECRET)
    with pytest.raises(NotFound):
        service.issue_token(session, username="nobody", scopes=None, minutes=5, secret=SECRET)


def test_a_forged_token_is_refused_and_the_refusal_audited(
    sessions: sessionmaker[Session], make_user: MakeUser
) -> None:
    make_user("gp1", "gp", "Y90001")
    with sessions() as s:
        forged = service.issue_token(
            s, username="gp1", scopes=None, minutes=5, secret="some-other-secret-entirely"
        )
        with pytest.raises(Unauthorized, match="signature"):
            service.principal_from_token(s, forged, secret=SECRET, request_id="r9", source_address="10.0.0.9")
        s.rollback()
    with sessions() as check:
        last = entries(check)[-1]
        assert (last.event, last.username, last.outcome, last.request_id) == (
            "authentication",
            "claimed:gp1",
            "refused",
            "r9",
        )
