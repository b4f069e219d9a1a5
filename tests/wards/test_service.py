"""Virtual-ward use cases against a real database (SQLite and PostgreSQL): admissions make an EpisodeOfCare
and a CareTeam in the record, transfers move them, discharges close them, and occupancy counts them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from wards_world import GP, NURSE, OTHER_NURSE  # loaded by conftest

from joinedup.errors import Conflict, Forbidden, Invalid, NotFound
from joinedup.record import service as record
from joinedup.record.context import TEAM_SYSTEM, contexts_for
from joinedup.wards import service
from joinedup.wards.schemas import AdmissionCreate, DischargeCreate, TransferCreate

NOW = datetime.now(UTC)


def admit(
    session: Session, number: str, ward: str = "vw-north", pathway: str = "frailty", **extra: object
) -> object:
    data = {"nhs_number": number, "pathway": pathway, **extra}
    return service.admit_patient(
        session, actor=GP, ward_id=ward, admission=AdmissionCreate.model_validate(data)
    )


def test_wards_are_the_registry_teams_of_virtual_pools_with_their_beds(world) -> None:
    wards = {w.id: w for w in service.list_wards(world.session)}
    assert {(w.id, w.beds, w.occupied) for w in wards.values()} == {("vw-north", 50, 0), ("vw-small", 3, 0)}


def test_admission_creates_the_episode_of_care_and_care_team_in_the_record(world) -> None:
    stay = admit(world.session, world.nhs_numbers[0], pathway="heart-failure", source="hospital")
    episode = record.read(
        world.session, actor=GP, resource_type="EpisodeOfCare", resource_id=stay.episode_of_care_id
    )
    team = record.read(world.session, actor=GP, resource_type="CareTeam", resource_id=stay.care_team_id)
    assert (
        episode.body["status"] == "active"
        and episode.body["managingOrganization"]["reference"] == "Organization/lpt"
    )
    assert episode.body["type"][0]["coding"][0]["code"] == "heart-failure"
    members = [p["member"].get("identifier") for p in team.body["participant"]]
    assert {"system": TEAM_SYSTEM, "value": "vw-north"} in [
        {k: m[k] for k in ("system", "value")} for m in members if m
    ]
    assert stay.direction == "step-down" and stay.source == "hospital"


def test_the_admission_puts_the_patient_on_the_wards_caseload_for_the_access_policy(world) -> None:
    stay = admit(world.session, world.nhs_numbers[0])
    context = contexts_for(world.session, [stay.patient_id])[stay.patient_id]
    assert "vw-north" in context.care_team_ids and "RT5" in context.open_episode_org_ods
    # the nurse of that team may now read the episode; the other team's nurse may not
    record.read(
        world.session, actor=NURSE, resource_type="EpisodeOfCare", resource_id=stay.episode_of_care_id
    )
    with pytest.raises(Forbidden):
        record.read(
            world.session,
            actor=OTHER_NURSE,
            resource_type="EpisodeOfCare",
            resource_id=stay.episode_of_care_id,
        )


def test_occupied_beds_count_open_stays_by_ward_and_pathway(world) -> None:
    admit(world.session, world.nhs_numbers[0], pathway="covid-19")
    admit(world.session, world.nhs_numbers[1], pathway="covid-19")
    admit(world.session, world.nhs_numbers[2], ward="vw-small", pathway="frailty")
    wards = {w.id: w for w in service.list_wards(world.session)}
    assert wards["vw-north"].occupied == 2 and wards["vw-north"].by_pathway == {"covid-19": 2}
    assert wards["vw-small"].occupancy == pytest.approx(1 / 3)
    assert service.occupied_by_pool(world.session) == {"llr-virtual": 3}


def test_a_patient_is_on_one_ward_at_a_time(world) -> None:
    admit(world.session, world.nhs_numbers[0])
    with pytest.raises(Conflict, match="already on virtual ward vw-north"):
        admit(world.session, world.nhs_numbers[0], ward="vw-small")


def test_a_full_ward_refuses_another_admission(world) -> None:
    for number in world.nhs_numbers[:3]:
        admit(world.session, number, ward="vw-small")
    with pytest.raises(Conflict, match="full"):
        admit(world.session, world.nhs_numbers[3], ward="vw-small")


@pytest.mark.parametrize(
    ("ward", "number_index", "error"),
    [("no-such-ward", 0, NotFound), ("vw-north", None, NotFound)],
)
def test_unknown_ward_or_patient_not_in_the_record_is_refused(
    world, ward: str, number_index: int | None, error: type
) -> None:
    number = world.nhs_numbers[number_index] if number_index is not None else "9434765919"
    with pytest.raises(error):
        admit(world.session, number, ward=ward)


def test_an_admission_in_the_future_is_refused(world) -> None:
    with pytest.raises(Invalid, match="future"):
        admit(world.session, world.nhs_numbers[0], admitted_at=NOW + timedelta(days=1))


def test_transfer_moves_the_stay_and_the_record_care_team(world) -> None:
    stay = admit(world.session, world.nhs_numbers[0])
    moved = service.transfer_patient(
        world.session,
        actor=GP,
        admission_id=stay.id,
        transfer=TransferCreate(to_ward_id="vw-small", reason="nearer home"),
    )
    assert moved.ward_id == "vw-small"
    history = record.history(world.session, actor=GP, resource_type="CareTeam", resource_id=stay.care_team_id)
    assert len(history) == 2
    assert history[0].body["participant"][0]["member"]["identifier"]["value"] == "vw-small"


def test_discharge_records_the_outcome_and_finishes_the_episode(world) -> None:
    stay = admit(world.session, world.nhs_numbers[0], admitted_at=NOW - timedelta(days=10))
    done = service.discharge_patient(
        world.session, actor=GP, admission_id=stay.id, discharge=DischargeCreate(outcome="readmitted")
    )
    assert done.outcome == "readmitted" and done.length_of_stay_days == pytest.approx(10, abs=0.01)
    episode = record.read(
        world.session, actor=GP, resource_type="EpisodeOfCare", resource_id=stay.episode_of_care_id
    )
    care_team = record.read(world.session, actor=GP, resource_type="CareTeam", resource_id=stay.care_team_id)
    assert episode.body["status"] == "finished" and "end" in episode.body["period"]
    assert care_team.body["status"] == "inactive"
    assert service.get_open_admission(world.session, world.nhs_numbers[0]) is None
    with pytest.raises(Conflict, match="ended"):
        service.discharge_patient(
            world.session, actor=GP, admission_id=stay.id, discharge=DischargeCreate(outcome="home")
        )
    admit(world.session, world.nhs_numbers[0])  # a new stay may begin


def test_monthly_occupancy_is_bed_days_over_available_bed_days(world) -> None:
    # One bed of the 3-bed ward used for the whole of last month, one for ten days: (30 + 10) / (3 x 30).
    today = date.today()
    first = today.replace(day=1)
    last_month = (first - timedelta(days=1)).replace(day=1)
    days = (first - last_month).days
    start = datetime(last_month.year, last_month.month, 1, tzinfo=UTC)
    admit(world.session, world.nhs_numbers[0], ward="vw-small", admitted_at=start - timedelta(days=5))
    short = admit(world.session, world.nhs_numbers[1], ward="vw-small", admitted_at=start + timedelta(days=2))
    service.discharge_patient(
        world.session,
        actor=GP,
        admission_id=short.id,
        discharge=DischargeCreate(outcome="home", discharged_at=start + timedelta(days=12)),
    )
    months = {m.ward_id: m for m in service.monthly_occupancy(world.session, month=last_month)}
    small = months["vw-small"]
    assert small.bed_days == pytest.approx(days + 10)
    assert small.available_bed_days == pytest.approx(3 * days)
    assert small.occupancy == pytest.approx((days + 10) / (3 * days), abs=1e-4)
    assert small.meets_target is False and small.admissions == 1 and small.discharges == 1
    assert small.mean_length_of_stay_days == pytest.approx(10)
    assert months[None].beds == 53


def test_caseload_membership_names_the_ward_team_and_its_organisation(world) -> None:
    admit(world.session, world.nhs_numbers[0])
    membership = service.caseload_membership(world.session, world.nhs_numbers[0])
    assert membership.team_ids == {"vw-north"} and membership.organisation_ids == {"lpt"}
    assert service.caseload_membership(world.session, world.nhs_numbers[1]).team_ids == frozenset()


def test_a_nurse_sees_only_her_own_wards_caseload(world) -> None:
    assert service.visible_wards(world.session, NURSE.principal) == {"vw-north"}
    with pytest.raises(Forbidden):
        service.check_caseload_access(world.session, actor=NURSE, ward_id="vw-small", what="test")


def test_a_nurse_admits_a_patient_not_yet_on_her_caseload_to_her_own_ward_and_it_is_audited(world) -> None:
    from sqlalchemy import select

    from joinedup.access.models import AuditEntry

    number = world.nhs_numbers[3]
    stay = service.admit_patient(
        world.session,
        actor=NURSE,
        ward_id="vw-north",
        admission=AdmissionCreate.model_validate({"nhs_number": number, "pathway": "frailty"}),
    )
    assert stay.admitted_by == "test-nurse" and stay.ward_id == "vw-north"
    # the admission is her legitimate relationship: she now reads the episode
    record.read(
        world.session, actor=NURSE, resource_type="EpisodeOfCare", resource_id=stay.episode_of_care_id
    )
    admitted = world.session.scalars(
        select(AuditEntry).where(
            AuditEntry.event == "virtual-ward",
            AuditEntry.action == "create",
            AuditEntry.patient_nhs_number == number,
        )
    ).one()
    assert admitted.username == "test-nurse" and "puts the patient on the team's caseload" in admitted.reason


def test_a_nurse_may_not_admit_to_another_teams_ward_nor_an_unknown_patient(world) -> None:
    from wards_world import ANALYST

    data = {"nhs_number": world.nhs_numbers[3], "pathway": "frailty"}
    with pytest.raises(Forbidden, match="own team"):
        service.admit_patient(
            world.session,
            actor=OTHER_NURSE,
            ward_id="vw-north",
            admission=AdmissionCreate.model_validate(data),
        )
    with pytest.raises(Forbidden):
        service.admit_patient(
            world.session, actor=ANALYST, ward_id="vw-north", admission=AdmissionCreate.model_validate(data)
        )
    with pytest.raises(NotFound, match="no patient"):
        service.admit_patient(
            world.session,
            actor=NURSE,
            ward_id="vw-north",
            admission=AdmissionCreate.model_validate({"nhs_number": "9434765919", "pathway": "frailty"}),
        )
    assert service.get_open_admission(world.session, world.nhs_numbers[3]) is None
