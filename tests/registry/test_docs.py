"""Every command-line example in docs/registry.md runs, and prints what the page says it prints."""

from __future__ import annotations

import json
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from joinedup.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "registry.md"


def examples() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for each `$ ` line of the page's console blocks."""
    found: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", DOC.read_text(), flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif line.strip():
                found[-1][1].append(line)
    return found


@pytest.fixture
def fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JOINEDUP_DATABASE_URL", f"sqlite:///{tmp_path / 'docs.db'}")
    monkeypatch.chdir(ROOT)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_page_has_examples() -> None:
    assert len(examples()) >= 8


def test_every_example_runs_as_documented(
    fresh_database: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from joinedup.cli import main

    for command, expected in examples():
        argv = shlex.split(command)
        assert argv[0] == "joinedup"
        monkeypatch.setattr(sys, "argv", argv)
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        if expected and expected[0].startswith("error: "):
            assert (code, err.strip()) == (2, "\n".join(expected)), command
        else:
            assert code == 0, f"{command}: {err}"
            if expected:
                assert json.loads(out) == json.loads("\n".join(expected)), command
