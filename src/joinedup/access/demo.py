"""The demo's users (one per role) and a little access history so the review pages have something to show.

Every demo account has the password `demo-password`: this is a demonstration on synthetic data only.
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from joinedup.access.accounts import create_user, get_user, principal_of, validated_user
from joinedup.access.policy import PatientContext, Role
from joinedup.access.service import authorise
from joinedup.errors import Forbidden, Invalid
from joinedup.registry import service as registry

DEMO_PASSWORD = "demo-password"
# A valid NHS number from the 999 range never issued to real people; the record demo may relink it.
DEMO_PATIENT_NHS_NUMBER = "9990000018"
LPT_ODS = "RT5"  # Leicestershire Partnership NHS Trust: runs LLR's virtual wards
UHL_ODS = "RWE"  # University Hospitals of Leicester NHS Trust
DEMO_PRACTICE_PREFIX = "Y9"


def demo_practice_ods(session: Session) -> str:
    """The demo GP practice: the registry's first `gp practice` whose ODS code starts with Y9."""
    codes = sorted(
        o.ods_code
        for o in registry.list_organisations(session, kind="gp practice")
        if o.ods_code and o.ods_code.startswith(DEMO_PRACTICE_PREFIX)
    )
    if not codes:
        raise Invalid("the registry has no demo GP practice (a 'gp practice' with an ODS code starting Y9)")
    return codes[0]


def _virtual_ward_team_ids(session: Session) -> list[str]:
    trust = registry.get_organisation_by_ods(session, LPT_ODS)
    if trust is None:
        return []
    teams = registry.list_teams(session, on=date.today())
    return sorted(t.id for t in teams if t.organisation_id == trust.id and t.pool_id)[:1]


def create_demo_users(session: Session) -> str:
    """Add one demo user per role and some access history; returns the demo's one-line summary."""
    practice = demo_practice_ods(session)
    healthwatch = _healthwatch_ods(session)
    users: list[tuple[str, str, Role, str | None, dict[str, Any]]] = [
        ("demo-gp", "Dr Demo GP", Role.GP, practice, {}),
        ("demo-nurse", "Demo Virtual-Ward Nurse", Role.VIRTUAL_WARD_NURSE, LPT_ODS,
         {"team_ids": _virtual_ward_team_ids(session)}),
        ("demo-clinician", "Dr Demo Hospital Clinician", Role.HOSPITAL_CLINICIAN, UHL_ODS, {}),
        ("demo-analyst", "Demo Analyst", Role.ANALYST, None, {}),
        ("demo-admin", "Demo Administrator", Role.ADMINISTRATOR, None, {}),
        ("demo-privacy", "Demo Privacy Officer", Role.PRIVACY_OFFICER, None, {}),
        ("demo-healthwatch", "Demo Healthwatch Officer", Role.HEALTHWATCH_STAFF, healthwatch, {}),
        ("demo-patient", "Demo Patient", Role.PATIENT, None, {"nhs_number": DEMO_PATIENT_NHS_NUMBER}),
    ]  # fmt: skip
    for username, name, role, ods, extra in users:
        data: dict[str, Any] = {
            "username": username, "display_name": name, "role": role, "organisation_ods": ods,
            "password": DEMO_PASSWORD, **extra,
        }  # fmt: skip
        create_user(session, validated_user(data), actor=None)
    reviews = _demo_access_history(session, practice)
    names = ", ".join(username for username, *_ in users)
    return f"{len(users)} users ({names}), password '{DEMO_PASSWORD}'; {reviews} break-glass awaiting review"


def _healthwatch_ods(session: Session) -> str | None:
    codes = sorted(o.ods_code for o in registry.list_organisations(session, kind="healthwatch") if o.ods_code)
    return codes[0] if codes else None


def _demo_access_history(session: Session, practice: str) -> int:
    """The GP reads the demo patient's record; a hospital clinician breaks glass; an analyst is refused."""
    patient = PatientContext(nhs_number=DEMO_PATIENT_NHS_NUMBER, registered_practice_ods=practice)
    looks = [
        ("demo-gp", "read", "Patient", None),
        ("demo-gp", "search", "Observation", None),
        ("demo-clinician", "read", "Patient", "Unconscious in ED; need medication history and allergies"),
        ("demo-clinician", "search", "Observation", None),
        ("demo-analyst", "read", "Patient", None),
    ]
    for username, action, resource_type, reason in looks:
        user = get_user(session, username)
        assert user is not None
        with contextlib.suppress(Forbidden):  # a refusal is logged, which is what the demo shows
            authorise(
                session, principal=principal_of(user), action=action, resource_type=resource_type,
                patient=patient, break_glass_reason=reason, request_id="demo",
            )  # fmt: skip
    return 1
