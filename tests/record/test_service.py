"""The record service on SQLite and PostgreSQL: versions, integrity, idempotency, access and audit."""

from typing import Any

import pytest
import record_builders as b
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.models import AuditEntry
from joinedup.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from joinedup.fhir.search_query import parse_search
from joinedup.record import nhs_number, service
from joinedup.record.models import ResourceVersion, StoredResource, TokenIndex


def new_patient(db: Session, number: str, who: str = "gp_a", **kwargs: Any) -> str:
    return service.create(db, actor=b.actor(who), body=b.patient(number, **kwargs)).version.resource_id


def audit_rows(db: Session) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_a_created_resource_has_version_1_and_server_meta(db: Session) -> None:
    written = service.create(db, actor=b.actor("gp_a"), body={**b.patient(b.NUMBERS[0]), "id": "client-id"})
    body = written.version.body
    assert written.created and body is not None
    assert body["id"] != "client-id" and body["meta"]["versionId"] == "1"
    assert body["meta"]["lastUpdated"].endswith("Z")


def test_an_update_keeps_the_old_version_for_vread_and_history(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    changed = {**b.patient(b.NUMBERS[0], family="Jones"), "id": pid}
    written = service.update(
        db, actor=b.actor("gp_a"), resource_type="Patient", resource_id=pid, body=changed, if_match=1
    )
    assert written.version.version == 2
    first = service.vread(db, actor=b.actor("gp_a"), resource_type="Patient", resource_id=pid, version=1)
    assert first.body is not None and first.body["name"][0]["family"] == "Smith"
    versions = service.history(db, actor=b.actor("gp_a"), resource_type="Patient", resource_id=pid)
    assert [v.version for v in versions] == [2, 1]
    assert db.scalar(select(func.count()).select_from(ResourceVersion)) == 1


def test_a_stale_if_match_is_refused_and_nothing_changes(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    body = {**b.patient(b.NUMBERS[0], family="Jones"), "id": pid}
    service.update(db, actor=b.actor("gp_a"), resource_type="Patient", resource_id=pid, body=body, if_match=1)
    with pytest.raises(PreconditionFailed, match="at version 2, not 1"):
        service.update(
            db, actor=b.actor("gp_a"), resource_type="Patient", resource_id=pid, body=body, if_match=1
        )
    assert service.read(db, actor=b.actor("gp_a"), resource_type="Patient", resource_id=pid).version == 2


def test_an_update_must_carry_the_id_of_the_url(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    with pytest.raises(BadRequest, match="must match the id in the URL"):
        service.update(
            db,
            actor=b.actor("gp_a"),
            resource_type="Patient",
            resource_id=pid,
            body={**b.patient(b.NUMBERS[0]), "id": "other"},
        )


def test_a_deleted_resource_is_gone_but_its_versions_are_kept(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    oid = service.create(db, actor=b.actor("gp_a"), body=b.observation(pid)).version.resource_id
    service.delete(db, actor=b.actor("gp_a"), resource_type="Observation", resource_id=oid)
    with pytest.raises(service.Gone) as raised:
        service.read(db, actor=b.actor("gp_a"), resource_type="Observation", resource_id=oid)
    assert raised.value.status == 410
    versions = service.history(db, actor=b.actor("gp_a"), resource_type="Observation", resource_id=oid)
    assert [(v.version, v.is_deleted) for v in versions] == [(2, True), (1, False)]
    assert (
        db.scalar(
            select(func.count())
            .select_from(TokenIndex)
            .join(StoredResource, StoredResource.pk == TokenIndex.resource_pk)
            .where(StoredResource.resource_id == oid)
        )
        == 0
    )


def test_a_patient_still_referred_to_cannot_be_deleted(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    service.create(db, actor=b.actor("gp_a"), body=b.observation(pid))
    with pytest.raises(Conflict, match="cannot be deleted while Observation/"):
        service.delete(db, actor=b.actor("gp_a"), resource_type="Patient", resource_id=pid)


def test_one_nhs_number_is_one_patient_however_it_is_spaced(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    with pytest.raises(Conflict, match=f"already belongs to Patient/{pid}"):
        new_patient(db, nhs_number.format_(b.NUMBERS[0]))


def test_a_dangling_reference_is_not_found_and_nothing_is_stored(db: Session) -> None:
    with pytest.raises(NotFound, match=r"Observation.subject: Patient/nobody does not exist"):
        service.create(db, actor=b.actor("gp_a"), body=b.observation("nobody"))
    with pytest.raises(NotFound, match="Organization/no-such-practice does not exist"):
        new_patient(db, b.NUMBERS[1], practice="no-such-practice")
    assert db.scalar(select(func.count()).select_from(StoredResource)) == 0


def test_references_to_types_we_cannot_resolve_are_invalid(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    body = {**b.observation(pid), "performer": [{"reference": "Practitioner/x"}]}
    with pytest.raises(Invalid, match="references to Practitioner are not supported"):
        service.create(db, actor=b.actor("gp_a"), body=body)


def test_an_observation_must_be_about_a_patient(db: Session) -> None:
    body = {**b.observation("x"), "subject": {"display": "someone"}}
    with pytest.raises(Invalid, match=r"Observation\.subject: must refer to the Patient"):
        service.create(db, actor=b.actor("gp_a"), body=body)


def test_a_retried_device_reading_is_stored_once(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0], who="gp_a")
    service.create(db, actor=b.actor("gp_a"), body=b.episode(pid, "lpt"))
    reading = b.observation(pid, device="oximeter-7", code="59408-5", value=96, unit="%")
    first = service.record_observation(db, actor=b.actor("device"), observation=reading)
    again = service.record_observation(db, actor=b.actor("device"), observation=dict(reading))
    assert first.created and not again.created
    assert again.version.resource_id == first.version.resource_id
    pulse = service.record_observation(
        db, actor=b.actor("device"), observation=b.observation(pid, device="oximeter-7")
    )
    assert pulse.created  # same device and time, another measure: another reading
    assert db.scalar(select(func.count()).where(StoredResource.resource_type == "Observation")) == 2


def test_create_many_is_all_or_nothing(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    bodies = [b.observation(pid), b.observation(pid, value=80), b.observation("missing")]
    with pytest.raises(NotFound):
        service.create_many(db, actor=b.actor("gp_a"), bodies=bodies)
    assert db.scalar(select(func.count()).where(StoredResource.resource_type == "Observation")) == 0


# Access: every read and write goes through the policy and lands in the audit log.


def test_every_read_and_write_is_audited(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    service.read(db, actor=b.actor("gp_a"), resource_type="Patient", resource_id=pid)
    rows = [(r.username, r.action, r.resource_type, r.patient_nhs_number, r.outcome) for r in audit_rows(db)]
    assert ("gp-a", "create", "Patient", b.NUMBERS[0], "allowed") in rows
    assert ("gp-a", "read", "Patient", b.NUMBERS[0], "allowed") in rows


def test_a_gp_of_another_practice_is_refused_and_the_refusal_audited(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    with pytest.raises(Forbidden, match="no legitimate relationship"):
        service.read(db, actor=b.actor("gp_b"), resource_type="Patient", resource_id=pid)
    last = audit_rows(db)[-1]
    assert (last.username, last.outcome, last.patient_nhs_number) == ("gp-b", "refused", b.NUMBERS[0])


def test_break_glass_lets_a_clinician_in_and_is_flagged(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    reason = "unconscious in ED, need medication history"
    found = service.read(db, actor=b.actor("clinician", reason), resource_type="Patient", resource_id=pid)
    assert found.resource_id == pid
    last = audit_rows(db)[-1]
    assert last.break_glass and reason in last.reason
    assert [g.patient_nhs_number for g in access.list_break_glass(db)] == [b.NUMBERS[0]]


def test_an_open_episode_gives_the_hospital_a_relationship(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    service.create(db, actor=b.actor("gp_a"), body=b.episode(pid, "uhl"))
    assert (
        service.read(db, actor=b.actor("clinician"), resource_type="Patient", resource_id=pid).resource_id
        == pid
    )


def test_a_sharing_opt_out_shuts_out_the_hospital_but_not_the_practice(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    service.create(db, actor=b.actor("gp_a"), body=b.episode(pid, "uhl"))
    service.create(db, actor=b.actor("gp_a"), body=b.opt_out(pid))
    with pytest.raises(Forbidden, match="opted out of sharing"):
        service.read(db, actor=b.actor("clinician"), resource_type="Patient", resource_id=pid)
    assert service.read(db, actor=b.actor("gp_a"), resource_type="Patient", resource_id=pid)


def test_a_later_permit_reverses_an_opt_out(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    service.create(db, actor=b.actor("gp_a"), body=b.episode(pid, "uhl"))
    service.create(db, actor=b.actor("gp_a"), body=b.opt_out(pid, "2024-06-01T09:00:00Z"))
    service.create(db, actor=b.actor("gp_a"), body=b.opt_out(pid, "2024-07-01T09:00:00Z", deny=False))
    assert service.read(db, actor=b.actor("clinician"), resource_type="Patient", resource_id=pid)


def test_an_analyst_never_sees_a_record(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    with pytest.raises(Forbidden, match="aggregates only"):
        service.read(db, actor=b.actor("analyst"), resource_type="Patient", resource_id=pid)
    with pytest.raises(Forbidden):
        service.search(db, actor=b.actor("analyst"), request=parse_search("Patient", [("family", "smith")]))


def test_a_search_naming_a_patient_without_relationship_is_refused(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    with pytest.raises(Forbidden):
        service.search(db, actor=b.actor("gp_b"), request=parse_search("Observation", [("patient", pid)]))


def test_a_wide_search_leaves_out_patients_the_caller_may_not_see(db: Session) -> None:
    mine = new_patient(db, b.NUMBERS[0], family="Patel")
    new_patient(db, b.NUMBERS[1], who="gp_b", practice="demo-practice-b", family="Patel")
    result = service.search(db, actor=b.actor("gp_a"), request=parse_search("Patient", [("family", "patel")]))
    assert result.total == 1 and [v.resource_id for v in result.versions] == [mine]


def test_the_device_may_send_readings_only_for_patients_its_organisation_cares_for(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    with pytest.raises(Forbidden, match="not caring for this patient"):
        service.record_observation(db, actor=b.actor("device"), observation=b.observation(pid, device="d1"))
    service.create(db, actor=b.actor("gp_a"), body=b.episode(pid, "lpt"))
    assert service.record_observation(
        db, actor=b.actor("device"), observation=b.observation(pid, device="d1")
    ).created


def test_a_virtual_ward_nurse_sees_her_caseload_through_the_care_team(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    with pytest.raises(Forbidden, match="caseload"):
        service.read(db, actor=b.actor("nurse"), resource_type="Patient", resource_id=pid)
    team = {
        "resourceType": "CareTeam",
        "status": "active",
        "subject": {"reference": f"Patient/{pid}"},
        "participant": [{"member": {"identifier": {"system": "urn:joinedup:team", "value": "vw-team-1"}}}],
    }
    service.create(db, actor=b.actor("gp_a"), body=team)
    assert service.read(db, actor=b.actor("nurse"), resource_type="Patient", resource_id=pid)


def test_a_large_batch_is_stored_and_indexed_like_a_small_one(db: Session) -> None:
    pid = new_patient(db, b.NUMBERS[0])
    readings = [b.observation(pid, value=60 + i, when=f"2024-05-01T10:{i:02d}:00Z") for i in range(45)]
    written = service.create_many(db, actor=b.actor("gp_a"), bodies=readings)
    assert len({w.version.resource_id for w in written}) == 45
    request = parse_search("Observation", [("patient", pid), ("value-quantity", "ge100"), ("_sort", "-date")])
    found = service.search(db, actor=b.actor("gp_a"), request=request)
    assert [v.body["valueQuantity"]["value"] for v in found.versions if v.body] == [104, 103, 102, 101, 100]
    read = service.read(
        db, actor=b.actor("gp_a"), resource_type="Observation", resource_id=written[0].version.resource_id
    )
    assert read.body == written[0].version.body
