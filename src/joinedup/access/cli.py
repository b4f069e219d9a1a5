"""`joinedup access`: add users and issue bearer tokens. Each command is one unit of work."""

from __future__ import annotations

import json
import sys

import typer

from joinedup.access import service
from joinedup.access.accounts import DEFAULT_TOKEN_MINUTES
from joinedup.db import unit_of_work
from joinedup.errors import Invalid
from joinedup.settings import get_settings

app = typer.Typer(help="Users, roles and bearer tokens.", no_args_is_help=True)
ROLE_HELP = (
    "gp, hospital clinician, community nurse, virtual-ward nurse, analyst, privacy officer, administrator, "
    "healthwatch staff, patient or device."
)


@app.command("add-user")
def add_user(
    username: str = typer.Argument(..., help="Lower-case login name, e.g. jsmith."),
    role: str = typer.Option(..., "--role", help=ROLE_HELP),
    org: str | None = typer.Option(None, "--org", help="ODS code of the user's organisation."),
    name: str | None = typer.Option(None, "--name", help="Display name (default: the username)."),
    team: list[str] = typer.Option([], "--team", help="Team id (repeatable), e.g. a virtual-ward team."),
    nhs_number: str | None = typer.Option(None, "--nhs-number", help="A patient's NHS number."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read a password from stdin."),
    as_json: bool = typer.Option(False, "--json", help="Print the new user as JSON."),
) -> None:
    """Add a user; clinical roles and devices need an organisation that exists in the registry."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    if password_stdin and not password:
        raise Invalid("password: nothing was read from stdin")
    data = {"username": username, "role": role, "organisation_ods": org, "display_name": name,
            "team_ids": team, "nhs_number": nhs_number, "password": password}  # fmt: skip
    with unit_of_work() as session:
        user = service.create_user(session, data, actor=None)
    if as_json:
        typer.echo(user.model_dump_json())
    else:
        where = f" at {user.organisation_ods}" if user.organisation_ods else ""
        typer.echo(f"added {user.username} ({user.role}{where})", err=True)


@app.command("token")
def token(
    username: str = typer.Argument(..., help="The user (or device) the token speaks for."),
    scope: list[str] = typer.Option(
        [], "--scope", help="SMART scope (repeatable), e.g. user/Observation.rs; default by role."
    ),
    minutes: int = typer.Option(DEFAULT_TOKEN_MINUTES, "--minutes", help="Lifetime in minutes."),
) -> None:
    """Print a signed bearer token (and nothing else) on stdout."""
    with unit_of_work() as session:
        secret = get_settings().signing_key
        value = service.issue_token(
            session, username=username, scopes=scope or None, minutes=minutes, secret=secret
        )
    typer.echo(value)


@app.command("list-users")
def list_users(as_json: bool = typer.Option(False, "--json", help="Print one JSON list.")) -> None:
    """Every user with their role and organisation."""
    with unit_of_work() as session:
        users = service.list_users(session)
    if as_json:
        typer.echo(json.dumps([u.model_dump(mode="json") for u in users]))
        return
    for u in users:
        typer.echo(f"{u.username:<20} {u.role:<20} {u.organisation_ods or '':<8} {u.display_name}")
