"""Patient contexts: the organisations a patient's record names are looked up in one query."""

from __future__ import annotations

from typing import Any

import record_builders as b
from sqlalchemy import event
from sqlalchemy.orm import Session

from joinedup.record import service
from joinedup.record.context import OdsLookup, contexts_for


def test_every_organisation_a_patient_names_is_looked_up_in_one_query(db: Session) -> None:
    patient_id = service.create(db, actor=b.actor("gp_a"), body=b.patient(b.NUMBERS[0])).version.resource_id
    for organisation in ("uhl", "lpt"):
        service.create(db, actor=b.actor("gp_a"), body=b.episode(patient_id, organisation))
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        context = contexts_for(db, [patient_id], OdsLookup(db))[patient_id]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert context.registered_practice_ods == "Y90001"
    assert context.open_episode_org_ods == frozenset({"RWE", "RT5"})
    assert sum("FROM organisations" in s for s in statements) == 1


def test_an_organisation_missing_from_the_registry_has_no_ods_code(db: Session) -> None:
    lookup = OdsLookup(db)
    lookup.preload(
        [
            {"managingOrganization": {"reference": "Organization/nowhere"}},
            [{"x": [{"reference": "Organization/uhl"}]}],
        ]
    )
    assert lookup.known == {"nowhere": None, "uhl": "RWE"}
    assert lookup.ods({"reference": "Organization/nowhere"}) is None
