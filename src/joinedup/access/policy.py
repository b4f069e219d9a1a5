"""The access policy: may this person do this to this patient's data, and why. Pure: no database, no web.

`decide` is the one place the rules live (docs/access.md gives the reason each exists);
`access.service.authorise` calls it and writes the answer to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from joinedup.access.scopes import Scope, covers, format_scopes


class Role(StrEnum):
    """What a user does in the ICS; it bounds what they may see before any relationship is considered."""

    GP = "gp"
    HOSPITAL_CLINICIAN = "hospital clinician"
    COMMUNITY_NURSE = "community nurse"
    VIRTUAL_WARD_NURSE = "virtual-ward nurse"
    ANALYST = "analyst"
    PRIVACY_OFFICER = "privacy officer"
    ADMINISTRATOR = "administrator"
    HEALTHWATCH_STAFF = "healthwatch staff"
    DISCHARGE_SUPPORT = "discharge support"
    PATIENT = "patient"
    DEVICE = "device"


class Action(StrEnum):
    """The five SMART interactions (c r u d s) every patient-data read or write is one of."""

    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    SEARCH = "search"


CLINICAL_ROLES = frozenset({Role.GP, Role.HOSPITAL_CLINICIAN, Role.COMMUNITY_NURSE, Role.VIRTUAL_WARD_NURSE})
# Roles that never see a patient's record, and the reason given when they ask.
NO_PATIENT_DATA = {
    Role.ANALYST: "an analyst sees aggregates only, never a patient's record",
    Role.ADMINISTRATOR: "an administrator manages users and reference data, never patient records",
    Role.HEALTHWATCH_STAFF: "Healthwatch staff carry the public's voice; they never see patient records",
    Role.PRIVACY_OFFICER: "a privacy officer reviews the audit log, not clinical records",
}
# Which SMART scope context speaks for each kind of principal.
SCOPE_CONTEXTS = {Role.PATIENT: ("patient",), Role.DEVICE: ("system",)}
REFERENCE_TYPES = frozenset(
    {
        "Organization",
        "Location",
        "HealthcareService",
        "Practitioner",
        "PractitionerRole",
        "Device",
        "Endpoint",
    }
)
DEVICE_TYPES = frozenset({"Observation"})
# Referrals from a ward to the team that gets a medically fit patient home (discharge/).
DISCHARGE_TYPES = frozenset({"DischargeReferral"})
BREAK_GLASS_PERIOD = timedelta(hours=4)


@dataclass(frozen=True)
class Principal:
    """Who is asking. `scopes` is None for a page session (bounded by role alone), else the token's scopes."""

    username: str
    role: Role
    organisation_ods: str | None = None
    display_name: str = ""
    team_ids: frozenset[str] = frozenset()
    nhs_number: str | None = None
    scopes: tuple[Scope, ...] | None = None

    @property
    def is_clinical(self) -> bool:
        return self.role in CLINICAL_ROLES


@dataclass(frozen=True)
class PatientContext:
    """What the policy needs to know about the patient whose data is touched (built by the record area)."""

    nhs_number: str
    registered_practice_ods: str | None = None
    care_team_org_ods: frozenset[str] = frozenset()
    care_team_usernames: frozenset[str] = frozenset()
    open_episode_org_ods: frozenset[str] = frozenset()
    created_by_org_ods: str | None = None
    sharing_opt_out: bool = False
    data_holder_org_ods: frozenset[str] = frozenset()
    care_team_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Decision:
    """The answer, the reason recorded with it, and whether it rests on break-glass."""

    allowed: bool
    reason: str
    break_glass: bool = False


def decide(
    principal: Principal,
    action: Action | str,
    resource_type: str,
    patient: PatientContext | None,
    *,
    break_glass_reason: str | None = None,
    now: datetime,
    grant_expires_at: datetime | None = None,
) -> Decision:
    """Allow or refuse `action` on `resource_type` (of `patient`, when there is one), giving the reason.

    `grant_expires_at` is the end of a break-glass grant this user already holds for this patient.
    """
    act = Action(action)
    refusal = _scope_refusal(principal, act, resource_type)
    if refusal is not None:
        return Decision(False, refusal)
    if resource_type == "AuditEvent":
        return _audit_log_rule(principal, act, patient)
    if patient is None and resource_type in REFERENCE_TYPES:
        return _reference_data_rule(principal, act)
    reason = (break_glass_reason or "").strip() or None
    if principal.role in NO_PATIENT_DATA:
        why = NO_PATIENT_DATA[principal.role]
        return Decision(False, f"{why}; break-glass is for clinical roles only" if reason else why)
    if principal.role is Role.PATIENT:
        return _own_record_rule(principal, act, patient)
    if principal.role is Role.DEVICE:
        return _device_rule(principal, act, resource_type, patient)
    if principal.role is Role.DISCHARGE_SUPPORT:
        return _discharge_support_rule(principal, act, resource_type, patient)
    return _clinical_rule(principal, act, resource_type, patient, reason, now, grant_expires_at)


def _scope_refusal(principal: Principal, action: Action, resource_type: str) -> str | None:
    if principal.scopes is None:
        return None
    contexts = SCOPE_CONTEXTS.get(principal.role, ("user",))
    if covers(principal.scopes, resource_type, action, contexts):
        return None
    held = format_scopes(principal.scopes) or "none"
    return f"the token's scopes ({held}) do not allow {action} of {resource_type}"


def _audit_log_rule(principal: Principal, action: Action, patient: PatientContext | None) -> Decision:
    if action not in (Action.READ, Action.SEARCH):
        return Decision(False, "the audit log is append-only: only joinedup itself writes to it")
    if principal.role is Role.PRIVACY_OFFICER:
        return Decision(True, "a privacy officer reviews the audit log")
    if principal.role is Role.PATIENT and patient is not None and patient.nhs_number == principal.nhs_number:
        return Decision(True, "a patient may see who looked at their own record")
    return Decision(
        False, "only the privacy officer, and a patient for their own record, may read the audit log"
    )


def _reference_data_rule(principal: Principal, action: Action) -> Decision:
    if action in (Action.READ, Action.SEARCH):
        return Decision(True, "reference data is open to every signed-in user")
    if principal.role is Role.ADMINISTRATOR:
        return Decision(True, "an administrator maintains reference data")
    return Decision(False, "only an administrator may change reference data")


def _own_record_rule(principal: Principal, action: Action, patient: PatientContext | None) -> Decision:
    if patient is None or patient.nhs_number != principal.nhs_number:
        return Decision(False, "a patient may see their own record only")
    if action not in (Action.READ, Action.SEARCH):
        return Decision(False, "a patient may read their own record but not change it here")
    return Decision(True, "a patient may read their own record")


def _device_rule(
    principal: Principal, action: Action, resource_type: str, patient: PatientContext | None
) -> Decision:
    if resource_type not in DEVICE_TYPES or action not in (Action.CREATE, Action.READ, Action.SEARCH):
        why = f"a monitoring device may send and read back readings only, not {action} {resource_type}"
        return Decision(False, why)
    if patient is None:
        if action is Action.SEARCH:
            return Decision(True, "a device may search its readings; each patient is checked when touched")
        return Decision(False, "a reading must name the patient it belongs to")
    org = principal.organisation_ods
    if org is None or org not in patient.open_episode_org_ods | patient.care_team_org_ods:
        return Decision(False, "the device's organisation is not caring for this patient")
    reads = action is not Action.CREATE
    if reads and patient.sharing_opt_out and not _may_see_despite_opt_out(principal, patient):
        return Decision(False, _OPT_OUT)
    return Decision(True, "the device belongs to an organisation caring for this patient")


def _discharge_support_rule(
    principal: Principal, action: Action, resource_type: str, patient: PatientContext | None
) -> Decision:
    """Housing, social care and CHC staff see the referrals sent to their teams, and nothing clinical."""
    if resource_type not in DISCHARGE_TYPES:
        why = "discharge support staff see referrals sent to their teams, not the clinical record"
        return Decision(False, why)
    if action is Action.DELETE:
        return Decision(False, "a referral is closed or cancelled, never deleted")
    if patient is None:
        if action is Action.SEARCH:
            why = "discharge support staff may search referrals; each one is checked when shown"
            return Decision(True, why)
        return Decision(False, f"a {action} of {resource_type} must name the patient it concerns")
    if principal.team_ids & patient.care_team_ids:
        return Decision(True, "the referral was sent to the user's team")
    return Decision(False, "the referral was not sent to any of the user's teams")


_OPT_OUT = (
    "the patient has opted out of sharing: only their registered practice and the organisation "
    "holding the data may see it"
)


def _clinical_rule(
    principal: Principal,
    action: Action,
    resource_type: str,
    patient: PatientContext | None,
    reason: str | None,
    now: datetime,
    grant_expires_at: datetime | None,
) -> Decision:
    if patient is None:
        if action in (Action.CREATE, Action.SEARCH):
            why = f"a {principal.role} may {action} {resource_type}; each patient is checked when touched"
            return Decision(True, why)
        return Decision(False, f"a {action} of {resource_type} must name the patient it concerns")
    if action is Action.DELETE:
        if principal.organisation_ods and patient.created_by_org_ods == principal.organisation_ods:
            return Decision(True, "the organisation that created a record may delete it")
        return Decision(False, "only the organisation that created a record may delete it")
    basis = _relationship(principal, patient)
    if basis is None:
        refusal = (
            "a virtual-ward nurse sees her caseload only, and this patient is not on it"
            if principal.role is Role.VIRTUAL_WARD_NURSE
            else "no legitimate relationship: the patient is not registered at, cared for by, "
            "or under an open episode at the user's organisation"
        )
    elif patient.sharing_opt_out and not _may_see_despite_opt_out(principal, patient):
        refusal = _OPT_OUT
    else:
        return Decision(True, basis)
    return _break_glass(refusal, reason, now, grant_expires_at)


def _relationship(principal: Principal, patient: PatientContext) -> str | None:
    """The legitimate relationship that lets a clinician see this patient, or None."""
    on_caseload = principal.username in patient.care_team_usernames or bool(
        principal.team_ids & patient.care_team_ids
    )
    if principal.role is Role.VIRTUAL_WARD_NURSE:
        return "the patient is on the nurse's virtual-ward caseload" if on_caseload else None
    if on_caseload:
        return "the user is a member of the patient's care team"
    org = principal.organisation_ods
    if org is None:
        return None
    if org == patient.registered_practice_ods:
        return "the patient is registered at the user's practice"
    if org in patient.care_team_org_ods:
        return "the user's organisation is part of the patient's care team"
    if org in patient.open_episode_org_ods:
        return "the patient has an open episode of care at the user's organisation"
    if org == patient.created_by_org_ods:
        return "the user's organisation created this record"
    return None


def _may_see_despite_opt_out(principal: Principal, patient: PatientContext) -> bool:
    org = principal.organisation_ods
    return org is not None and (org == patient.registered_practice_ods or org in patient.data_holder_org_ods)


def _break_glass(
    refusal: str, reason: str | None, now: datetime, grant_expires_at: datetime | None
) -> Decision:
    if reason is not None:
        return Decision(True, f"break-glass: {reason}", break_glass=True)
    if grant_expires_at is not None and grant_expires_at > now:
        until = grant_expires_at.strftime("%Y-%m-%d %H:%M UTC")
        return Decision(True, f"break-glass grant valid until {until}", break_glass=True)
    return Decision(False, f"{refusal}; a clinician may break glass by stating a reason")
