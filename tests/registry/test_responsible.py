"""Who was responsible for an area on a day: own bodies first, each kind inherited from the nearest area."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from joinedup.errors import Invalid, NotFound
from joinedup.registry import service


def _names(session: Session, area: str, on: date) -> list[str]:
    return [body.name for body in service.responsible(session, area=area, on=on)]


def test_leicester_in_1960_was_under_the_sheffield_regional_hospital_board(loaded: Session) -> None:
    bodies = service.responsible(loaded, area="Leicester", on=date(1960, 6, 1))
    assert [(b.name, b.kind) for b in bodies] == [
        ("Sheffield Regional Hospital Board", "regional hospital board")
    ]
    assert bodies[0].area_name == "Leicestershire"


def test_a_city_keeps_its_own_bodies_of_a_kind_and_inherits_the_other_kinds(loaded: Session) -> None:
    assert _names(loaded, "Leicester", date(2003, 6, 1)) == [
        "Leicestershire, Northamptonshire and Rutland Strategic Health Authority",
        "Eastern Leicester PCT",
    ]
    assert _names(loaded, "Leicestershire", date(2003, 6, 1)) == [
        "Leicestershire, Northamptonshire and Rutland Strategic Health Authority",
        "Leicestershire County and Rutland PCT",
    ]


def test_periods_are_half_open_so_a_body_ends_the_day_its_successor_starts(loaded: Session) -> None:
    assert _names(loaded, "Rutland", date(1974, 3, 31)) == ["Sheffield Regional Hospital Board"]
    assert _names(loaded, "Rutland", date(1974, 4, 1)) == [
        "Trent Regional Health Authority",
        "Leicestershire Area Health Authority",
    ]


@pytest.mark.parametrize("text", ["leicester", "LEICESTER", "City of Leicester", "  leicester city "])
def test_an_area_is_found_by_id_name_or_alias_in_any_case(loaded: Session, text: str) -> None:
    assert _names(loaded, text, date(1960, 6, 1)) == ["Sheffield Regional Hospital Board"]


def test_an_unknown_area_is_not_found_and_close_names_are_offered(loaded: Session) -> None:
    with pytest.raises(NotFound, match=r"No area called 'Leicster'\. Did you mean: Leicester"):
        service.responsible(loaded, area="Leicster", on=date(1960, 6, 1))


def test_a_day_before_any_record_has_no_responsible_body(loaded: Session) -> None:
    assert service.responsible(loaded, area="Devon", on=date(1900, 1, 1)) == []


def test_a_responsible_body_serialises_to_exactly_five_fields(loaded: Session) -> None:
    (body,) = service.responsible(loaded, area="Devon", on=date(1960, 6, 1))
    assert body.model_dump(mode="json") == {
        "name": "South Western Regional Hospital Board",
        "kind": "regional hospital board",
        "start": "1947-07-01",
        "end": "1974-04-01",
        "source": "public knowledge",
    }


def test_an_open_responsibility_serialises_end_as_null(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "icb.toml"
    path.write_text(
        '[[areas]]\nid = "x"\nname = "X"\nkind = "county"\nsource = "s"\n'
        '[[organisations]]\nid = "x-icb"\nname = "X ICB"\nkind = "integrated care board"\nsource = "s"\n'
        '[[responsibilities]]\narea = "x"\norganisation = "x-icb"\nrole = "commissioner"\n'
        'start = 2022-07-01\nsource = "s"\n'
    )
    service.load_file(session, path)
    (body,) = service.responsible(session, area="x", on=date(2030, 1, 1))
    assert body.model_dump(mode="json")["end"] is None


def test_a_name_shared_by_an_area_and_the_area_around_it_means_the_inner_one(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "shared.toml"
    path.write_text(
        '[[areas]]\nid = "outer"\nname = "Shire"\nkind = "ceremonial county"\nsource = "s"\n'
        '[[areas]]\nid = "inner"\nname = "Shire"\nkind = "county"\npart_of = "outer"\nsource = "s"\n'
        '[[areas]]\nid = "away"\nname = "Away"\nkind = "county"\naliases = ["Shire"]\nsource = "s"\n'
        '[[areas]]\nid = "twin-a"\nname = "Twin"\nkind = "county"\nsource = "s"\n'
        '[[areas]]\nid = "twin-b"\nname = "Twin"\nkind = "county"\nsource = "s"\n'
    )
    service.load_file(session, path)
    assert service.find_area(session, "shire").id == "inner"
    with pytest.raises(Invalid, match="'Twin' names more than one area"):
        service.find_area(session, "Twin")
