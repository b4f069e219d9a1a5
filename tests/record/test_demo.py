"""The record demo step: patients at the demo practice with history at UHL and LPT, every write audited."""

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.models import AuditEntry
from joinedup.record.demo import load_demo_patients
from joinedup.record.models import StoredResource
from joinedup.registry import service as registry


def test_the_demo_writes_each_providers_part_as_that_provider(session: Session) -> None:
    registry.load_reference_data(session)
    access.create_demo_users(session)
    summary = load_demo_patients(session, count=8, cohort=3)
    assert summary.startswith("8 patients at the demo practice (3 in an older virtual-ward cohort)")
    made = Counter(
        dict(
            session.execute(
                select(StoredResource.resource_type, func.count()).group_by(StoredResource.resource_type)
            ).all()
        )
    )
    assert made["Patient"] == 8 and made["Observation"] > 8 * 3 and made["Encounter"] >= 8
    writers = {(r.created_by_org, r.resource_type) for r in session.scalars(select(StoredResource))}
    assert {("Y90001", "Patient"), ("RWE", "Encounter"), ("RT5", "Encounter")} <= writers
    creators = set(session.scalars(select(AuditEntry.username).where(AuditEntry.action == "create")))
    assert {"demo-gp", "demo-clinician", "demo-community-nurse"} <= creators
    refused = session.scalar(
        select(func.count()).where(AuditEntry.outcome == "refused", AuditEntry.request_id == "demo-record")
    )
    assert refused == 0
