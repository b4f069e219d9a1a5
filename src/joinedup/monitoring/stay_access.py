"""The one check before a clinician acts on a monitored patient: the stay, its ward, and whether the caller
may read the patient's virtual-ward episode (their caseload); each action is audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.errors import NotFound
from joinedup.record import service as record
from joinedup.record.service import Actor
from joinedup.wards import service as wards
from joinedup.wards.schemas import AdmissionRead


def stay_or_raise(session: Session, nhs_number: str) -> AdmissionRead:
    stay = wards.get_open_admission(session, nhs_number)
    if stay is None:
        raise NotFound(f"patient {nhs_number} is not on a virtual ward")
    return stay


def ward_of(session: Session, stay: AdmissionRead) -> Any:
    return wards.get_ward_team_or_raise(session, stay.ward_id, on=datetime.now(UTC).date())


def authorise(session: Session, actor: Actor, stay: AdmissionRead, action: str, what: str) -> None:
    """The caller must be allowed to read the patient's virtual-ward episode (their caseload); audited."""
    record.read(session, actor=actor, resource_type="EpisodeOfCare", resource_id=stay.episode_of_care_id)
    access.audit(
        session,
        actor=actor.principal,
        event="virtual-ward",
        action=action,
        reason=what[:500],
        resource_type="EpisodeOfCare",
        resource_id=stay.episode_of_care_id,
        patient_nhs_number=stay.nhs_number,
        request_id=actor.request_id,
        source_address=actor.source_address,
    )
