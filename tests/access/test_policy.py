"""The access policy, rule by rule (docs/access.md gives the reason for each), plus its invariants."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joinedup.access.policy import (
    CLINICAL_ROLES,
    NO_PATIENT_DATA,
    Action,
    PatientContext,
    Principal,
    Role,
    decide,
)
from joinedup.access.scopes import parse_scopes

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PRACTICE, OTHER_PRACTICE, UHL, LPT = "Y90001", "Y90002", "RWE", "RT5"
PATIENT = PatientContext(nhs_number="9990000018", registered_practice_ods=PRACTICE)

GP = Principal("gp1", Role.GP, PRACTICE)
OTHER_GP = Principal("gp2", Role.GP, OTHER_PRACTICE)
CLINICIAN = Principal("doc1", Role.HOSPITAL_CLINICIAN, UHL)
NURSE = Principal("nurse1", Role.VIRTUAL_WARD_NURSE, LPT, team_ids=frozenset({"vw-north"}))
COMMUNITY_NURSE = Principal("cn1", Role.COMMUNITY_NURSE, LPT)
ANALYST = Principal("an1", Role.ANALYST)
ADMIN = Principal("ad1", Role.ADMINISTRATOR)
HEALTHWATCH = Principal("hw1", Role.HEALTHWATCH_STAFF)
PRIVACY = Principal("po1", Role.PRIVACY_OFFICER)
SELF = Principal("pt1", Role.PATIENT, nhs_number="9990000018")
STRANGER = Principal("pt2", Role.PATIENT, nhs_number="9990000026")
DEVICE = Principal("cuff-1", Role.DEVICE, LPT, scopes=parse_scopes("system/Observation.crs"))


def check(principal: Principal, action: str = "read", resource: str = "Observation", patient=PATIENT, **kw):
    return decide(principal, action, resource, patient, now=NOW, **kw)


@pytest.mark.parametrize(
    ("principal", "patient", "allowed", "because"),
    [
        (GP, PATIENT, True, "registered at the user's practice"),
        (OTHER_GP, PATIENT, False, "no legitimate relationship"),
        (CLINICIAN, PATIENT, False, "no legitimate relationship"),
        (CLINICIAN, replace(PATIENT, open_episode_org_ods=frozenset({UHL})), True, "open episode of care"),
        (CLINICIAN, replace(PATIENT, care_team_org_ods=frozenset({UHL})), True, "part of the patient's care"),
        (CLINICIAN, replace(PATIENT, care_team_usernames=frozenset({"doc1"})), True, "member of the patient"),
        (CLINICIAN, replace(PATIENT, created_by_org_ods=UHL), True, "organisation created this record"),
        (COMMUNITY_NURSE, replace(PATIENT, open_episode_org_ods=frozenset({LPT})), True, "open episode"),
        (NURSE, replace(PATIENT, care_team_usernames=frozenset({"nurse1"})), True, "virtual-ward caseload"),
        (NURSE, replace(PATIENT, care_team_ids=frozenset({"vw-north"})), True, "virtual-ward caseload"),
        # A virtual-ward nurse sees her caseload only: her trust's open episode is not enough.
        (NURSE, replace(PATIENT, open_episode_org_ods=frozenset({LPT})), False, "caseload only"),
        (NURSE, replace(PATIENT, care_team_ids=frozenset({"vw-south"})), False, "caseload only"),
    ],
)
def test_legitimate_relationship_rules(principal, patient, allowed, because) -> None:
    decision = check(principal, patient=patient)
    assert decision.allowed is allowed
    assert because in decision.reason
    assert decision.break_glass is False


@pytest.mark.parametrize("principal", [ANALYST, ADMIN, HEALTHWATCH, PRIVACY])
@pytest.mark.parametrize("action", list(Action))
def test_non_clinical_roles_never_see_patient_data_even_with_break_glass(principal, action) -> None:
    decision = check(principal, action=action, break_glass_reason="I really need to")
    assert not decision.allowed
    assert NO_PATIENT_DATA[principal.role] in decision.reason
    assert "clinical roles only" in decision.reason


def test_sharing_opt_out_limits_to_registered_practice_and_data_holder() -> None:
    opted_out = replace(
        PATIENT,
        sharing_opt_out=True,
        care_team_org_ods=frozenset({UHL, LPT}),
        data_holder_org_ods=frozenset({LPT}),
    )
    assert check(GP, patient=opted_out).allowed
    assert check(COMMUNITY_NURSE, patient=opted_out).allowed  # LPT holds the data
    refused = check(CLINICIAN, patient=opted_out)  # in the care team, but UHL does not hold the data
    assert not refused.allowed
    assert "opted out of sharing" in refused.reason


def test_break_glass_with_a_reason_is_allowed_and_flagged_for_clinical_roles() -> None:
    decision = check(CLINICIAN, break_glass_reason="  Unconscious in ED  ")
    assert decision.allowed and decision.break_glass
    assert decision.reason == "break-glass: Unconscious in ED"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_break_glass_needs_a_non_empty_reason(reason) -> None:
    decision = check(CLINICIAN, break_glass_reason=reason)
    assert not decision.allowed
    assert "break glass by stating a reason" in decision.reason


def test_break_glass_overrides_a_sharing_opt_out() -> None:
    opted_out = replace(PATIENT, sharing_opt_out=True, care_team_org_ods=frozenset({UHL}))
    assert check(CLINICIAN, patient=opted_out, break_glass_reason="anaphylaxis").break_glass


def test_a_break_glass_grant_allows_until_it_expires() -> None:
    running = check(CLINICIAN, grant_expires_at=NOW + timedelta(minutes=1))
    assert running.allowed and running.break_glass
    assert "grant valid until" in running.reason
    assert not check(CLINICIAN, grant_expires_at=NOW).allowed


def test_a_relationship_needs_no_break_glass_even_when_a_reason_is_sent() -> None:
    decision = check(GP, break_glass_reason="just in case")
    assert decision.allowed and not decision.break_glass


def test_only_the_creating_organisation_may_delete_and_break_glass_cannot() -> None:
    created_here = replace(PATIENT, created_by_org_ods=PRACTICE)
    assert check(GP, "delete", patient=created_here).allowed
    assert not check(GP, "delete").allowed
    assert not check(CLINICIAN, "delete", break_glass_reason="mistake").allowed


def test_patients_read_their_own_record_only_and_never_write() -> None:
    assert check(SELF, "read").allowed
    assert check(SELF, "search").allowed
    assert not check(SELF, "update").allowed
    assert not check(STRANGER, "read").allowed
    assert not check(SELF, "read", patient=None).allowed


def test_devices_send_readings_only_for_patients_their_organisation_cares_for() -> None:
    on_ward = replace(PATIENT, open_episode_org_ods=frozenset({LPT}))
    assert check(DEVICE, "create", patient=on_ward).allowed
    assert not check(DEVICE, "create").allowed
    assert not check(DEVICE, "create", "Patient", patient=on_ward).allowed
    assert not check(DEVICE, "delete", patient=on_ward).allowed


def test_token_scopes_must_cover_the_resource_type_and_action() -> None:
    scoped = replace(GP, scopes=parse_scopes("user/Observation.rs"))
    assert check(scoped, "read").allowed
    assert check(scoped, "search").allowed
    refused = check(scoped, "create")
    assert not refused.allowed
    assert refused.reason == "the token's scopes (user/Observation.rs) do not allow create of Observation"
    assert not check(scoped, "read", "Patient").allowed
    # A patient/ scope does not speak for a clinician, and no scope can be broken through.
    patient_scoped = replace(GP, scopes=parse_scopes("patient/*.rs"))
    assert not check(patient_scoped, "read").allowed
    assert not check(replace(CLINICIAN, scopes=()), break_glass_reason="x").allowed


@pytest.mark.parametrize(
    ("principal", "patient", "action", "allowed"),
    [
        (PRIVACY, None, "search", True),
        (PRIVACY, PATIENT, "read", True),
        (SELF, PATIENT, "search", True),
        (STRANGER, PATIENT, "search", False),
        (GP, PATIENT, "search", False),
        (PRIVACY, None, "update", False),
        (PRIVACY, None, "delete", False),
    ],
)
def test_only_privacy_officer_and_patient_read_the_audit_log(principal, patient, action, allowed) -> None:
    assert check(principal, action, "AuditEvent", patient=patient).allowed is allowed


def test_reference_data_is_readable_by_all_and_changed_by_administrators() -> None:
    assert check(ANALYST, "read", "Organization", patient=None).allowed
    assert check(ADMIN, "update", "Location", patient=None).allowed
    assert not check(GP, "update", "Location", patient=None).allowed


def test_clinical_search_without_a_patient_is_allowed_but_a_read_must_name_one() -> None:
    assert check(GP, "search", patient=None).allowed
    assert not check(GP, "read", patient=None).allowed


def test_unknown_action_is_rejected() -> None:
    with pytest.raises(ValueError):
        check(GP, "peek")


ORGS = st.sampled_from([PRACTICE, OTHER_PRACTICE, UHL, LPT, None])
ORG_SETS = st.frozensets(st.sampled_from([PRACTICE, OTHER_PRACTICE, UHL, LPT]), max_size=3)
patients = st.builds(
    PatientContext,
    nhs_number=st.sampled_from(["9990000018", "9990000026"]),
    registered_practice_ods=ORGS,
    care_team_org_ods=ORG_SETS,
    care_team_usernames=st.frozensets(st.sampled_from(["u1", "u2"]), max_size=2),
    open_episode_org_ods=ORG_SETS,
    created_by_org_ods=ORGS,
    sharing_opt_out=st.booleans(),
    data_holder_org_ods=ORG_SETS,
    care_team_ids=st.frozensets(st.sampled_from(["t1", "t2"]), max_size=2),
)
principals = st.builds(
    Principal,
    username=st.sampled_from(["u1", "u2", "u3"]),
    role=st.sampled_from(list(Role)),
    organisation_ods=ORGS,
    team_ids=st.frozensets(st.sampled_from(["t1", "t2"]), max_size=2),
    nhs_number=st.sampled_from([None, "9990000018"]),
)
reasons = st.sampled_from([None, "", "emergency"])


@given(principals, st.sampled_from(list(Action)), patients, reasons)
def test_break_glass_decisions_are_always_clinical_with_a_reason(principal, action, patient, reason) -> None:
    decision = decide(principal, action, "Observation", patient, break_glass_reason=reason, now=NOW)
    if decision.break_glass:
        assert decision.allowed and principal.role in CLINICAL_ROLES and reason
        assert action is not Action.DELETE


@given(principals, st.sampled_from(list(Action)), patients, reasons)
def test_non_clinical_staff_are_never_allowed_patient_data(principal, action, patient, reason) -> None:
    decision = decide(principal, action, "Observation", patient, break_glass_reason=reason, now=NOW)
    if principal.role in NO_PATIENT_DATA:
        assert not decision.allowed


@given(principals, st.sampled_from(list(Action)), patients)
def test_opt_out_is_honoured_without_break_glass(principal, action, patient) -> None:
    decision = decide(principal, action, "Observation", patient, now=NOW)
    clinical_read = principal.role in CLINICAL_ROLES and action is not Action.DELETE
    if patient.sharing_opt_out and decision.allowed and clinical_read:
        org = principal.organisation_ods
        assert org is not None
        assert org == patient.registered_practice_ods or org in patient.data_holder_org_ods


@given(principals, st.sampled_from(list(Action)), patients, reasons)
def test_refusals_always_say_why(principal, action, patient, reason) -> None:
    decision = decide(principal, action, "Observation", patient, break_glass_reason=reason, now=NOW)
    assert decision.reason.strip()
