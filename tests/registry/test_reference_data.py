"""The bundled reference data: England's commissioning history and the LLR system load, and answer.

Every area seed 002 names must say who was responsible for it in each era of NHS administration.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from joinedup.registry import service

# Every county and place seed 002 names (Rutland is "treated as part of Leicestershire"; Cornwall has Scilly).
SEED_002_AREAS = (
    "Leicestershire", "Leicester", "Rutland", "Dorset", "Devon", "Torbay", "Cumbria", "Worcestershire",
    "Bedfordshire", "Luton", "Somerset", "North Somerset", "Bath and North East Somerset", "Sussex",
    "East Sussex", "West Sussex", "Brighton and Hove", "Staffordshire", "Stoke-on-Trent", "Cornwall",
    "Isles of Scilly", "West Midlands", "Surrey", "Essex", "Northumberland", "Shropshire",
    "Telford and Wrekin", "Lancashire", "Northamptonshire", "Lincolnshire", "Nottinghamshire",
)  # fmt: skip

# A day in each era and the kinds of body every area had then (NHS Act 1946; NHS Reorganisation Act 1973;
# 1982 restructuring; Health Authorities Act 1995; NHS Reform and Health Care Professions Act 2002;
# Health and Social Care Act 2012; Health and Care Act 2022).
ERAS = {
    date(1960, 6, 1): {"regional hospital board"},
    date(1978, 6, 1): {"regional health authority", "area health authority"},
    date(1990, 6, 1): {"regional health authority", "district health authority"},
    date(1999, 6, 1): {"health authority"},
    date(2004, 6, 1): {"primary care trust", "strategic health authority"},
    date(2010, 6, 1): {"primary care trust", "strategic health authority"},
    date(2016, 6, 1): {"clinical commissioning group"},
    date(2023, 6, 1): {"integrated care board"},
}


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def reference(request: pytest.FixtureRequest) -> Iterator[Session]:
    """The bundled reference data loaded once per backend for this module, rolled back at the end."""
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    connection = engine.connect()
    outer = connection.begin()
    session = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")()
    service.load_reference_data(session)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


def test_the_bundled_files_load_england_first_then_each_ics(reference: Session) -> None:
    assert [path.parent.name for path in service.reference_files()] == ["england", "ics"]
    assert service.get_area(reference, "leicester") is not None


def test_leicester_in_1960_names_the_sheffield_regional_hospital_board(reference: Session) -> None:
    names = [body.name for body in service.responsible(reference, area="Leicester", on=date(1960, 6, 1))]
    assert names == ["Sheffield Regional Hospital Board"]


@pytest.mark.parametrize("on", list(ERAS), ids=[str(on.year) for on in ERAS])
@pytest.mark.parametrize("area", SEED_002_AREAS)
def test_every_seed_area_answers_in_every_era(reference: Session, area: str, on: date) -> None:
    bodies = service.responsible(reference, area=area, on=on)
    kinds = {body.kind for body in bodies}
    assert ERAS[on] <= kinds, f"{area} on {on}: {sorted(kinds)}"
    assert all(body.source for body in bodies)


def test_every_area_in_the_data_answers_in_every_era(reference: Session) -> None:
    silent = [
        (area.name, str(on))
        for area in service.list_areas(reference)
        for on in ERAS
        if not service.responsible(reference, area=area.id, on=on)
    ]
    assert silent == []


def test_llr_acute_beds_in_2016_add_up_to_the_stp_figure(reference: Session) -> None:
    acute = service.list_bed_pools(reference, on=date(2016, 6, 1), setting="acute")
    assert sum(pool.beds for pool in acute) == 1940  # seed 000: "the current 1,940"


def test_the_virtual_hospital_has_256_beds_in_five_teams(reference: Session) -> None:
    (pool,) = service.list_bed_pools(reference, on=date(2023, 6, 1), setting="virtual")
    assert pool.beds == 256  # seed 002: "A virtual 256-bed 'hospital'"
    teams = service.list_teams(reference, on=date(2023, 6, 1), pool_id=pool.id)
    assert len(teams) == 5
    assert sum(team.beds or 0 for team in teams) == 256


def test_reloading_the_reference_data_changes_nothing(reference: Session) -> None:
    assert service.load_reference_data(reference).count("(0 new, 0 changed)") == 2
