"""`joinedup registry ...` through the real entry point: JSON on stdout, one clear line on stderr."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from joinedup.db import create_engine
from joinedup.registry import models as m
from joinedup.registry import service
from joinedup.settings import get_settings

from .conftest import DATA, ENGLAND, LLR

Run = tuple[int, str, str]
Invoke = Callable[..., Run]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """JOINEDUP_DATABASE_URL pointed at a fresh SQLite file for this test."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("JOINEDUP_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database: str) -> Invoke:
    from joinedup.cli import main

    def invoke(*args: str) -> Run:
        monkeypatch.setattr(sys, "argv", ["joinedup", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


@pytest.fixture
def loaded_database(run: Invoke) -> str:
    assert run("db", "upgrade")[0] == 0
    assert run("registry", "load", str(ENGLAND))[0] == 0
    code, out, _ = run("registry", "load", str(LLR))
    assert code == 0 and out.startswith("loaded ") and "3 sites" in out
    return str(get_settings().database_url)


def _rows(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = sum(conn.scalar(select(func.count()).select_from(t)) or 0 for t in (m.Organisation, m.Site))
    engine.dispose()
    return count


def test_responsible_json_is_one_list_naming_the_sheffield_board(run: Invoke, loaded_database: str) -> None:
    code, out, err = run("registry", "responsible", "Leicester", "--on", "1960-06-01", "--json")
    assert code == 0, err
    assert json.loads(out) == [
        {
            "name": "Sheffield Regional Hospital Board",
            "kind": "regional hospital board",
            "start": "1947-07-01",
            "end": "1974-04-01",
            "source": "seed 002",
        }
    ]


def test_responsible_prints_a_table_for_people(run: Invoke, loaded_database: str) -> None:
    code, out, _ = run("registry", "responsible", "leicester", "--on", "2003-06-01")
    assert code == 0
    assert "Eastern Leicester PCT" in out and "Strategic Health Authority" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("responsible", "Leicester", "--on", "1960-13-01"), "--on: '1960-13-01' is not a date"),
        (("responsible", "Leicester", "--on", "yesterday"), "is not a date in the form YYYY-MM-DD"),
        (("responsible", "Narnia", "--on", "1960-06-01"), "No area called 'Narnia'"),
        (("diff", "--from", "2020-01-01", "--to", "2010-01-01"), "before the first"),
        (("load", "/nonexistent/llr.toml"), "no such file"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    run: Invoke, loaded_database: str, args: tuple[str, ...], words: str
) -> None:
    before = _rows(loaded_database)
    code, out, err = run("registry", *args, "--json") if args[0] != "load" else run("registry", *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and words in err
    assert _rows(loaded_database) == before


def test_a_broken_file_writes_nothing(run: Invoke, loaded_database: str, tmp_path: Path) -> None:
    broken = tmp_path / "more.toml"
    broken.write_text(
        '[[organisations]]\nid = "new-trust"\nname = "New Trust"\nkind = "nhs trust"\nsource = "s"\n\n'
        '[[sites]]\nid = "new-site"\nname = "New Site"\nkind = "hospital"\nsource = "s"\n'
    )
    before = _rows(loaded_database)
    code, out, err = run("registry", "load", str(broken))
    assert code == 2 and out == ""
    assert f"{broken}, line 10, sites.kind: " in err
    assert _rows(loaded_database) == before


def test_diff_and_show_print_one_json_document(run: Invoke, loaded_database: str) -> None:
    code, out, _ = run("registry", "diff", "--from", "2016-06-01", "--to", "2021-01-01", "--json")
    assert code == 0
    found = json.loads(out)
    assert {c["pool_id"] for c in found["changed_size"]} == {"lri-acute", "lgh-acute", "llr-virtual"}
    code, out, _ = run("registry", "show", "--on", "2018-01-01", "--json")
    assert code == 0
    assert json.loads(out)["beds_by_setting"] == {"acute": 1330, "virtual": 256}
    code, out, _ = run("registry", "show", "--on", "2018-01-01")
    assert code == 0 and "Leicester General Hospital" in out


def test_a_question_to_an_empty_database_loads_the_bundled_reference_data_first(
    run: Invoke, database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "data"
    (bundle / "england").mkdir(parents=True)
    (bundle / "ics").mkdir()
    shutil.copy(ENGLAND, bundle / "england" / "commissioning.toml")
    shutil.copy(LLR, bundle / "ics" / "llr.toml")
    monkeypatch.setattr(service, "DATA", bundle)
    code, out, err = run("registry", "responsible", "Devon", "--on", "1960-06-01", "--json")
    assert code == 0, err
    assert [b["name"] for b in json.loads(out)] == ["South Western Regional Hospital Board"]
    assert "loading the bundled reference data" in err
    assert DATA.is_dir()
