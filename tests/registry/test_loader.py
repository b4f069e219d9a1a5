"""Loading ICS TOML files: good files load, loads are idempotent, broken files are rejected whole."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.errors import Invalid
from joinedup.registry import models as m
from joinedup.registry import service

from .conftest import ENGLAND, LLR

ALL_TABLES = (
    m.Area,
    m.Organisation,
    m.Responsibility,
    m.Succession,
    m.Site,
    m.SiteOperator,
    m.Service,
    m.BedPool,
    m.BedCapacity,
    m.Team,
    m.Workforce,
)


def _counts(session: Session) -> dict[str, int]:
    return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0 for t in ALL_TABLES}


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_fixture_files_load_every_table(session: Session) -> None:
    england = service.load_file(session, ENGLAND)
    llr = service.load_file(session, LLR)
    assert england.entries["areas"] == 4 and england.created == 19
    assert llr.entries == {
        "areas": 0,
        "organisations": 3,
        "responsibilities": 0,
        "successions": 1,
        "sites": 3,
        "site_operators": 4,
        "services": 1,
        "bed_pools": 3,
        "bed_capacity": 4,
        "teams": 2,
        "workforce": 2,
    }
    assert _counts(session)["workforce"] == 2
    assert llr.title == "LLR (test slice)"


def test_loading_the_same_file_twice_gives_the_same_registry(session: Session) -> None:
    service.load_file(session, ENGLAND)
    service.load_file(session, LLR)
    before = _counts(session)
    again = service.load_file(session, LLR)
    assert (again.created, again.changed) == (0, 0)
    assert _counts(session) == before


def test_reloading_a_changed_file_updates_rows_in_place(session: Session, tmp_path: Path) -> None:
    service.load_file(session, ENGLAND)
    service.load_file(session, LLR)
    changed = tmp_path / "llr.toml"
    changed.write_text(LLR.read_text().replace("beds = 430", "beds = 420"))
    summary = service.load_file(session, changed)
    assert (summary.created, summary.changed) == (0, 1)
    assert session.scalar(select(m.BedCapacity.beds).where(m.BedCapacity.pool_id == "lgh-acute")) == 420


def test_a_file_may_use_ids_already_in_the_registry(session: Session) -> None:
    service.load_file(session, ENGLAND)
    assert service.load_file(session, LLR).entries["sites"] == 3


def test_a_file_naming_ids_nobody_loaded_is_rejected(session: Session) -> None:
    with pytest.raises(Invalid, match=r"llr.toml, line \d+, sites.area: no area with id 'leicester'"):
        service.load_file(session, LLR)
    assert _counts(session)["organisations"] == 0


# (what is broken, text replaced, replacement, the needle whose line is named, field named, words in message)
BROKEN = [
    (
        "not toml",
        'kind = "birth centre"',
        'kind = "birth centre',
        'kind = "birth centre',
        None,
        "not valid TOML",
    ),
    (
        "unknown kind",
        'kind = "birth centre"',
        'kind = "maternity home"',
        'kind = "maternity home"',
        "sites.kind",
        "Input should be",
    ),
    (
        "missing field",
        'name = "LGH acute beds"\n',
        "",
        '[[bed_pools]]\nid = "lgh-acute"',
        "bed_pools.name",
        "is required",
    ),
    (
        "unknown field",
        'town = "Melton Mowbray"',
        'twon = "Melton Mowbray"',
        "twon",
        "sites.twon",
        "is not a field of sites",
    ),
    (
        "negative beds",
        "beds = 430",
        "beds = -430",
        "beds = -430",
        "bed_capacity.beds",
        "greater than or equal to 0",
    ),
    (
        "end before start",
        "start = 1990-01-01\nend = 2020-01-01",
        "start = 1990-01-01\nend = 1980-01-01",
        "end = 1980-01-01",
        "sites.end",
        "must be after start",
    ),
    (
        "bad setting",
        'setting = "virtual"',
        'setting = "hospital at home"',
        'setting = "hospital at home"',
        "bed_pools.setting",
        "Input should be",
    ),
    (
        "unknown reference",
        'pool = "llr-virtual"\nbeds = 256',
        'pool = "llr-virtaul"\nbeds = 256',
        'pool = "llr-virtaul"',
        "bed_capacity.pool",
        "no bed pool with id 'llr-virtaul'",
    ),
    (
        "overlapping capacity",
        "beds = 1000\nstart = 2020-04-01",
        "beds = 1000\nstart = 2019-04-01",
        "start = 2019-04-01",
        "bed_capacity.start",
        "overlap",
    ),
    (
        "repeated id",
        'id = "lgh"\n',
        'id = "lri"\n',
        'id = "lri"\nname = "Leicester General',
        "sites.id",
        "repeats the entry on line",
    ),
    (
        "two scopes",
        'team = "ics-team-1"\n',
        'team = "ics-team-1"\nsite = "lri"\n',
        "[[workforce]]\nteam",
        "workforce",
        "exactly one of organisation, site, pool or team",
    ),
    (
        "unknown staff group",
        'team = "ics-team-1"\nstaff_group = "all"',
        'team = "ics-team-1"\nstaff_group = "porters"',
        'staff_group = "porters"',
        "workforce.staff_group",
        "'porters' is not allowed. Input should be 'nurses', 'doctors', 'allied health', 'social workers'",
    ),
    (
        "negative FTE",
        "fte = 15000.5",
        "fte = -3.0",
        "fte = -3.0",
        "workforce.fte",
        "greater than or equal to 0",
    ),
    (
        "date as text",
        'start = 2017-01-01\nsource = "seed 002"\n\n[[teams]]',
        'start = "first of January"\nsource = "seed 002"\n\n[[teams]]',
        'start = "first of January"',
        "bed_capacity.start",
        "valid date",
    ),
]


@pytest.mark.parametrize(
    ("broken", "old", "new", "needle", "field", "words"), BROKEN, ids=[b[0] for b in BROKEN]
)
def test_a_broken_file_is_rejected_whole_naming_file_line_and_field(
    session: Session,
    tmp_path: Path,
    broken: str,
    old: str,
    new: str,
    needle: str,
    field: str | None,
    words: str,
) -> None:
    service.load_file(session, ENGLAND)
    before = _counts(session)
    text = LLR.read_text()
    assert old in text, broken
    text = text.replace(old, new, 1)
    path = tmp_path / "llr.toml"
    path.write_text(text)
    with pytest.raises(Invalid) as caught:
        service.load_file(session, path)
    message = caught.value.detail
    assert message.startswith(f"{path}, line {_line_of(text, needle)}"), message
    if field:
        assert f", {field}: " in message
    assert words in message
    assert "\n" not in message
    assert _counts(session) == before


def test_a_file_that_does_not_exist_is_invalid(session: Session, tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="no such file"):
        service.load_file(session, tmp_path / "absent.toml")


def test_capacity_overlapping_a_period_already_stored_is_rejected(session: Session, tmp_path: Path) -> None:
    service.load_file(session, ENGLAND)
    service.load_file(session, LLR)
    extra = tmp_path / "extra.toml"
    extra.write_text('[[bed_capacity]]\npool = "lgh-acute"\nbeds = 10\nstart = 2018-01-01\nsource = "x"\n')
    with pytest.raises(Invalid, match=r"extra.toml, line 4, bed_capacity.start: beds of pool 'lgh-acute'"):
        service.load_file(session, extra)


def test_areas_that_contain_each_other_are_rejected(session: Session, tmp_path: Path) -> None:
    looped = tmp_path / "loop.toml"
    looped.write_text(
        '[[areas]]\nid = "a"\nname = "A"\nkind = "county"\npart_of = "b"\nsource = "x"\n\n'
        '[[areas]]\nid = "b"\nname = "B"\nkind = "county"\npart_of = "a"\nsource = "x"\n'
    )
    with pytest.raises(Invalid, match=r"line 5, areas.part_of: areas form a loop"):
        service.load_file(session, looped)


def test_an_unknown_table_is_named(session: Session, tmp_path: Path) -> None:
    odd = tmp_path / "odd.toml"
    odd.write_text('[meta]\ntitle = "x"\n\n[[hospitals]]\nid = "a"\n')
    with pytest.raises(Invalid, match=r"odd.toml, line 4, hospitals: unknown table"):
        service.load_file(session, odd)


def test_assumptions_are_flagged_from_their_source(loaded: Session) -> None:
    history = service.bed_history(loaded, pool_id="lri-acute")
    assert [step.is_assumption for step in history] == [True, True]
    org = service.get_organisation(loaded, "lpt")
    assert org is not None and not org.is_assumption


def test_the_summary_line_says_what_was_loaded(session: Session) -> None:
    line = service.load_file(session, ENGLAND).line()
    assert re.fullmatch(
        r".*england.toml: 4 areas, 7 organisations, 7 responsibilities, 1 successions "
        r"\(19 new, 0 changed\)",
        line,
    )
