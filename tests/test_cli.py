"""The `joinedup` command as a user meets it: every area's commands present, errors as one line."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from joinedup.cli import COMMANDS, SUBCOMMANDS


@pytest.mark.parametrize(("name", "module"), SUBCOMMANDS)
def test_every_listed_subcommand_module_exists(name: str, module: str) -> None:
    assert hasattr(importlib.import_module(module), "app"), name


@pytest.mark.parametrize(("name", "module", "attr"), COMMANDS)
def test_every_listed_command_exists(name: str, module: str, attr: str) -> None:
    assert callable(getattr(importlib.import_module(module), attr)), name


def test_unknown_command_exits_non_zero_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "joinedup", "no-such-command"], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no-such-command" in result.stderr


def test_a_command_exit_code_reaches_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from joinedup import cli

    @cli.app.command("exit-three", hidden=True)
    def exit_three() -> None:
        raise typer.Exit(3)

    monkeypatch.setattr(sys, "argv", ["joinedup", "exit-three"])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 3
