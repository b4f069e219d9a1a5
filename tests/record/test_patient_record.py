"""The use cases behind the record pages, on SQLite and PostgreSQL."""

import pytest
import record_builders as b
from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.access.models import AuditEntry
from joinedup.errors import Forbidden, Invalid, NotFound
from joinedup.record import service
from joinedup.record.patient_record import find_patients, patient_record, record_sharing_choice


@pytest.fixture
def ann(db: Session) -> str:
    pid = service.create(db, actor=b.actor("gp_a"), body=b.patient(b.NUMBERS[0])).version.resource_id
    service.create_many(db, actor=b.actor("gp_a"), bodies=[b.observation(pid), b.episode(pid, "uhl")])
    return pid


def test_find_by_nhs_number_with_or_without_spaces(db: Session, ann: str) -> None:
    spaced = f"{b.NUMBERS[0][:3]} {b.NUMBERS[0][3:6]} {b.NUMBERS[0][6:]}"
    assert [p.patient_id for p in find_patients(db, actor=b.actor("gp_a"), text=spaced)] == [ann]


def test_find_by_nhs_number_without_relationship_is_refused(db: Session, ann: str) -> None:
    with pytest.raises(Forbidden):
        find_patients(db, actor=b.actor("gp_b"), text=b.NUMBERS[0])


def test_find_by_name_shows_only_patients_the_user_may_see(db: Session, ann: str) -> None:
    assert [p.name for p in find_patients(db, actor=b.actor("gp_a"), text="smi")] == ["Ann Smith"]
    assert find_patients(db, actor=b.actor("gp_b"), text="smi") == []


def test_an_invalid_nhs_number_is_named(db: Session) -> None:
    with pytest.raises(Invalid, match="not a valid NHS number"):
        find_patients(db, actor=b.actor("gp_a"), text="999 000 0017")


def test_the_whole_record_is_one_audited_read(db: Session, ann: str) -> None:
    before = len(list(db.scalars(select(AuditEntry.seq))))
    found = patient_record(db, actor=b.actor("clinician"), nhs_number_text=b.NUMBERS[0])
    entries = list(db.scalars(select(AuditEntry).order_by(AuditEntry.seq)))[before:]
    assert [(e.action, e.resource_id) for e in entries] == [("read", f"{ann} (whole record)")]
    assert found.summary.name == "Ann Smith" and found.vital_signs[0].values == [72.0]
    assert [e.provider_id for e in found.timeline] == ["uhl"]


def test_an_unknown_nhs_number_is_not_found(db: Session) -> None:
    with pytest.raises(NotFound):
        patient_record(db, actor=b.actor("gp_a"), nhs_number_text="9990000018")


def test_a_recorded_opt_out_shuts_out_the_hospital_until_the_patient_shares_again(
    db: Session, ann: str
) -> None:
    record_sharing_choice(
        db, actor=b.actor("gp_a"), nhs_number_text=b.NUMBERS[0], opt_out=True, note="by phone"
    )
    assert patient_record(db, actor=b.actor("gp_a"), nhs_number_text=b.NUMBERS[0]).sharing_opt_out
    with pytest.raises(Forbidden, match="opted out"):
        patient_record(db, actor=b.actor("clinician"), nhs_number_text=b.NUMBERS[0])
    record_sharing_choice(db, actor=b.actor("gp_a"), nhs_number_text=b.NUMBERS[0], opt_out=False)
    assert not patient_record(db, actor=b.actor("clinician"), nhs_number_text=b.NUMBERS[0]).sharing_opt_out


def test_latest_observations_for_monitoring(db: Session, ann: str) -> None:
    service.create_many(
        db,
        actor=b.actor("gp_a"),
        bodies=[
            b.observation(ann, value=80, when="2024-06-01T10:00:00Z"),
            b.observation(ann, code="59408-5", value=97, unit="%", when="2024-06-02T10:00:00Z"),
        ],
    )
    latest = service.latest_observations(
        db, actor=b.actor("gp_a"), nhs_number=b.NUMBERS[0], codes=["8867-4"], limit=1
    )
    assert [o["valueQuantity"]["value"] for o in latest] == [80]
    with pytest.raises(NotFound):
        service.latest_observations(db, actor=b.actor("gp_a"), nhs_number="9990000018")
