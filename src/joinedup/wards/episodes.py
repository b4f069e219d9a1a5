"""A virtual-ward stay in the shared record: its EpisodeOfCare and CareTeam, written through record.service.

The CareTeam names the registry team by identifier (`TEAM_SYSTEM`) and its organisation by reference, so
the record's access context puts the patient on that team's caseload and nowhere else.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from joinedup.errors import NotFound
from joinedup.record import service as record
from joinedup.record.context import TEAM_SYSTEM  # the system the record reads care-team members by
from joinedup.record.service import Actor
from joinedup.registry.schemas import TeamRead
from joinedup.wards.pathways import PATHWAY_SYSTEM, PATHWAYS

EPISODE_TYPE_TEXT = "Virtual ward"


def instant(at: datetime) -> str:
    """A FHIR instant in UTC with seconds."""
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def find_patient_id(session: Session, *, nhs_number: str) -> str:
    """The record's Patient id for an NHS number (an identifier mapping: no record is read, so a nurse may
    admit a patient not yet on her caseload); NotFound when the record has no such patient."""
    patient_id = record.patient_id_for(session, nhs_number=nhs_number)
    if patient_id is None:
        raise NotFound(f"no patient with NHS number {nhs_number} in the shared care record")
    return patient_id


def episode_of_care(
    patient_id: str, team: TeamRead, pathway: str, start: datetime, care_team_id: str
) -> dict[str, Any]:
    """The EpisodeOfCare of a virtual-ward stay, managed by the team's organisation."""
    return {
        "resourceType": "EpisodeOfCare",
        "status": "active",
        "type": [
            {
                "coding": [{"system": PATHWAY_SYSTEM, "code": pathway, "display": PATHWAYS[pathway].name}],
                "text": f"{EPISODE_TYPE_TEXT}: {PATHWAYS[pathway].name}",
            }
        ],
        "patient": {"reference": f"Patient/{patient_id}"},
        "managingOrganization": {"reference": f"Organization/{team.organisation_id}"},
        "period": {"start": instant(start)},
        "team": [{"reference": f"CareTeam/{care_team_id}"}],
    }


def care_team(patient_id: str, team: TeamRead, start: datetime) -> dict[str, Any]:
    """The CareTeam of a virtual-ward stay: the registry team (by identifier) and its organisation."""
    return {
        "resourceType": "CareTeam",
        "status": "active",
        "name": team.name,
        "subject": {"reference": f"Patient/{patient_id}"},
        "period": {"start": instant(start)},
        "managingOrganization": [{"reference": f"Organization/{team.organisation_id}"}],
        "participant": [
            {"member": {"identifier": {"system": TEAM_SYSTEM, "value": team.id}, "display": team.name}},
            {"member": {"reference": f"Organization/{team.organisation_id}"}},
        ],
    }


def create_stay(
    session: Session, *, actor: Actor, patient_id: str, team: TeamRead, pathway: str, start: datetime
) -> tuple[str, str]:
    """Create the stay's CareTeam and EpisodeOfCare in the record (one batch); their ids. A member of the
    ward's team is authorised as the CareTeam makes her (record.create_care_team_stay)."""
    care_team_id, episode_id = str(uuid.uuid4()), str(uuid.uuid4())
    bodies = [
        {**care_team(patient_id, team, start), "id": care_team_id},
        {**episode_of_care(patient_id, team, pathway, start, care_team_id), "id": episode_id},
    ]
    record.create_care_team_stay(session, actor=actor, patient_id=patient_id, team_id=team.id, bodies=bodies)
    return episode_id, care_team_id


def move_care_team(session: Session, *, actor: Actor, care_team_id: str, team: TeamRead) -> None:
    """Point the stay's CareTeam at another registry team (a transfer); the old version stays in history."""
    current = record.read(session, actor=actor, resource_type="CareTeam", resource_id=care_team_id)
    body = dict(current.body or {})
    patient = body["subject"]["reference"].removeprefix("Patient/")
    moved = {**care_team(patient, team, _start(body)), "id": care_team_id}
    record.update(
        session,
        actor=actor,
        resource_type="CareTeam",
        resource_id=care_team_id,
        body=moved,
        if_match=current.version,
    )


def close_stay(
    session: Session, *, actor: Actor, episode_of_care_id: str, care_team_id: str, end: datetime
) -> None:
    """Finish the EpisodeOfCare and make the CareTeam inactive, both ending at `end`."""
    for resource_type, resource_id, status in (
        ("EpisodeOfCare", episode_of_care_id, "finished"),
        ("CareTeam", care_team_id, "inactive"),
    ):
        current = record.read(session, actor=actor, resource_type=resource_type, resource_id=resource_id)
        body = dict(current.body or {})
        body.pop("meta", None)
        body["status"] = status
        body["period"] = {**body.get("period", {}), "end": instant(end)}
        record.update(
            session,
            actor=actor,
            resource_type=resource_type,
            resource_id=resource_id,
            body=body,
            if_match=current.version,
        )


def _start(body: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(body["period"]["start"]).replace("Z", "+00:00"))
