"""The `joinedup` command: one Typer app; each area adds its sub-commands here."""

from __future__ import annotations

import sys

import typer

from joinedup.areas import optional_module
from joinedup.errors import JoinedupError

app = typer.Typer(
    name="joinedup",
    help="joinedup: the digital backbone of an NHS integrated care system.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# (sub-command, module exposing a Typer `app`): one line per area.
SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("db", "joinedup.dbcli"),
    ("registry", "joinedup.registry.cli"),
    ("plan", "joinedup.plan.cli"),
    ("access", "joinedup.access.cli"),
    ("audit", "joinedup.access.audit_cli"),
    ("voice", "joinedup.voice.cli"),
    ("wards", "joinedup.wards.cli"),
    ("monitoring", "joinedup.monitoring.cli"),
    ("discharge", "joinedup.discharge.cli"),
)

# (command, module exposing a function of that name): top-level commands owned by an area.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("demo", "joinedup.demo.cli", "demo"),
    ("serve", "joinedup.demo.cli", "serve"),
)


def _register() -> None:
    """Add every area's commands, skipping an area not installed yet (tests/test_cli.py requires them all)."""
    for name, module_name in SUBCOMMANDS:
        if (module := optional_module(module_name)) is not None:
            app.add_typer(module.app, name=name)
    for name, module_name, attr in COMMANDS:
        if (module := optional_module(module_name)) is not None:
            app.command(name)(getattr(module, attr))


_register()


def main() -> None:
    """Run the CLI; a JoinedupError becomes one clear line on stderr and exit code 2."""
    try:
        # Without standalone mode click returns the code of a `typer.Exit` instead of exiting with it.
        code = app(standalone_mode=False)
    except JoinedupError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        sys.exit(2)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        # Usage errors (unknown command, bad option) arrive here in non-standalone mode.
        message = getattr(exc, "format_message", None)
        if message is None:
            raise
        print(f"error: {message()}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 2))
    if isinstance(code, int) and code != 0:
        sys.exit(code)
