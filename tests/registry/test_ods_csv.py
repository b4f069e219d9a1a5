"""NHS ODS extracts (etr.csv, epraccur.csv): parsed by their published layout, loaded by ODS code."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.errors import Invalid
from joinedup.registry import models as m
from joinedup.registry import service
from joinedup.registry.ods_csv import read_ods_extract, readable_name

from .conftest import DATA

ETR = DATA / "etr.csv"
EPRACCUR = DATA / "epraccur.csv"


@pytest.mark.parametrize(
    ("published", "readable"),
    [
        ("UNIVERSITY HOSPITALS OF LEICESTER NHS TRUST", "University Hospitals of Leicester NHS Trust"),
        ("THE DUDLEY GROUP OF HOSPITALS NHS TRUST", "The Dudley Group of Hospitals NHS Trust"),
        ("ST MARY'S-ON-THE-HILL MEDICAL PRACTICE", "St Mary's-on-the-Hill Medical Practice"),
        ("STOKE-ON-TRENT CCG", "Stoke-on-Trent CCG"),
    ],
)
def test_published_capitals_become_readable_names(published: str, readable: str) -> None:
    assert readable_name(published) == readable


def test_an_extract_is_recognised_by_its_codes_when_its_name_says_nothing(tmp_path: Path) -> None:
    trusts, practices = tmp_path / "trusts-2024.csv", tmp_path / "practices.csv"
    trusts.write_text(ETR.read_text())
    practices.write_text(EPRACCUR.read_text())
    assert read_ods_extract(trusts).kind == "ods-trusts"
    assert read_ods_extract(practices).kind == "ods-gp-practices"


def test_trusts_are_added_with_their_kind_and_dates(session: Session) -> None:
    summary = service.load_file(session, ETR)
    assert (summary.format, summary.created) == ("ods-trusts", 5)
    emas = service.get_organisation_by_ods(session, "RX9")
    assert emas is not None and (emas.kind, emas.start) == ("ambulance service", date(2006, 7, 1))
    foundation = service.get_organisation_by_ods(session, "RHA")
    assert foundation is not None and foundation.kind == "nhs foundation trust"
    dudley = service.get_organisation_by_ods(session, "RNA")
    assert dudley is not None and dudley.end == date(2008, 9, 30)
    assert dudley.source == "NHS Digital ODS extract etr.csv"


def test_ods_never_overwrites_a_curated_organisation(loaded: Session) -> None:
    summary = service.load_file(loaded, ETR)
    assert summary.created == 3
    uhl = service.get_organisation(loaded, "uhl")
    assert uhl is not None
    assert (uhl.name, uhl.source) == ("University Hospitals of Leicester NHS Trust", "seed 002")


def test_loading_an_extract_twice_changes_nothing(session: Session) -> None:
    service.load_file(session, EPRACCUR)
    again = service.load_file(session, EPRACCUR)
    assert (again.created, again.changed) == (0, 0)


def test_gp_practices_come_with_their_surgeries(session: Session) -> None:
    summary = service.load_file(session, EPRACCUR)
    assert summary.entries == {"organisations": 3, "sites": 3, "site_operators": 3}
    practice = service.get_organisation_by_ods(session, "C82003")
    assert practice is not None
    assert (practice.kind, practice.end) == ("gp practice", date(2019, 3, 31))
    assert practice.note == "ODS status closed; commissioner 03W; telephone 01572 000003"
    surgery = service.get_site(session, "c82001-surgery")
    assert surgery is not None
    assert (surgery.kind, surgery.town, surgery.postcode) == ("gp surgery", "Loughborough", "LE11 4PR")
    place = service.resolve_place(session, "c82001")
    assert place is not None and place.kind == "organisation"


# (what is broken, row number changed, replacement for the first cell line, message expected)
BROKEN = [
    (
        "bad open date",
        2,
        ('"20020401"', '"2002-04-01"'),
        "line 2, column 11 (open date): '2002-04-01' is not a date",
    ),
    ("closed before opened", 5, ('"20080930"', '"19900101"'), "line 5, column 12 (close date)"),
    ("not a trust code", 3, ('"RX9"', '"RX9-X"'), "line 3, column 1 (organisation code): 'RX9-X' is not"),
    ("repeated code", 4, ('"RHA"', '"RT5"'), "line 4, column 1 (organisation code): RT5 repeats line 2"),
]


@pytest.mark.parametrize(("broken", "line", "change", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_extract_is_rejected_whole(
    session: Session, tmp_path: Path, broken: str, line: int, change: tuple[str, str], message: str
) -> None:
    rows = ETR.read_text().splitlines()
    rows[line - 1] = rows[line - 1].replace(*change)
    path = tmp_path / "etr.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(Invalid, match=message.replace("(", r"\(").replace(")", r"\)")):
        service.load_file(session, path)
    assert session.scalar(select(func.count()).select_from(m.Organisation)) == 0


def test_a_row_with_too_few_columns_is_named(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "etr.csv"
    path.write_text('"RWE","UNIVERSITY HOSPITALS OF LEICESTER NHS TRUST","Y60"\n')
    with pytest.raises(Invalid, match="line 1: has 3 columns"):
        service.load_file(session, path)


def test_a_csv_of_something_else_is_rejected(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "beds.csv"
    path.write_text("pool,beds\nlri,900\n")
    with pytest.raises(Invalid, match="neither NHS trust codes"):
        service.load_file(session, path)


def test_the_published_zip_is_read_like_the_csv_inside_it(session: Session, tmp_path: Path) -> None:
    import zipfile

    bundle = tmp_path / "epraccur.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(EPRACCUR, "epraccur.csv")
    summary = service.load_file(session, bundle)
    assert (summary.format, summary.entries["organisations"]) == ("ods-gp-practices", 3)
