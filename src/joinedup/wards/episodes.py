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
from joinedup.fhir.search_query import parse_search
from joinedup.fhir.validation import NHS_NUMBER_SYSTEM
from joinedup.record import service as record
from joinedup.record.context import TEAM_SYSTEM  # the system the record reads care-team members by
from joinedup.record.service import Actor
from joinedup.registry.schemas import TeamRead
from joinedup.wards.pathways import PATHWAY_SYSTEM, PATHWAYS

EPISODE_TYPE_TEXT = "Virtual ward"


def instant(at: datetime) -> str:
    """A FHIR instant in UTC with seconds."""
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def find_patient_id(session: Session, *, actor: Actor, nhs_number: str) -> str:
    """The record's Patient id for an NHS number; NotFound when the record has no such patient."""
    request = parse_search("Patient", [("identifier", f"{NHS_NUMBER_SYSTEM}|{nhs_number}"), ("_count", "1")])
    found = record.search(session, actor=actor, request=request)
    if not found.versions:
        raise NotFound(f"no patient with NHS number {nhs_number} in the shared care record")
    return found.versions[0].resource_id


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
    """Create the stay's CareTeam and EpisodeOfCare in the record (one batch); their ids."""
    team_id, episode_id = str(uuid.uuid4()), str(uuid.uuid4())
    bodies = [
        {**care_team(patient_id, team, start), "id": team_id},
        {**episode_of_care(patient_id, team, pathway, start, team_id), "id": episode_id},
    ]
    record.create_many(session, actor=actor, bodies=bodies, keep_ids=True)
    return episode_id, team_id


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
