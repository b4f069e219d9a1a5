"""`joinedup discharge`: list referrals, raise one, and the delayed patients and bed-days per site.

Each command is one unit of work over JOINEDUP_DATABASE_URL; `--json` prints one JSON document on stdout.
Commands that show or change a referral act as a named user (`--as USERNAME`), checked and audited.
"""

from __future__ import annotations

import json
from datetime import date

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from joinedup.db import unit_of_work
from joinedup.discharge import service
from joinedup.discharge.schemas import ReferralCreate
from joinedup.discharge.workflow import KINDS
from joinedup.errors import Invalid
from joinedup.record.service import actor_named

app = typer.Typer(
    help="Delayed discharges: referrals that get medically fit patients home.", no_args_is_help=True
)
AS_USER = typer.Option(
    ..., "--as", help="The joinedup user doing this (their access is checked and audited)."
)


def _day(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{what}: {text!r} is not a date (YYYY-MM-DD)") from None


@app.command("list")
def list_referrals(
    site: str | None = typer.Option(None, "--site", help="Registry site id, e.g. lri."),
    team: str | None = typer.Option(None, "--team", help="Receiving registry team id."),
    status: str | None = typer.Option(
        None, "--status", help="raised, accepted, in-progress, closed, cancelled."
    ),
    username: str = AS_USER,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON list."),
) -> None:
    """Referrals the user may see, oldest first, with the days each patient has waited."""
    with unit_of_work() as session:
        actor = actor_named(session, username)
        rows = service.list_referrals(session, actor=actor, site_id=site, team_id=team, status=status)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows]))
        return
    table = Table("referral", "NHS number", "kind", "site", "team", "status", "days waited")
    for r in rows:
        table.add_row(r.id[:8], r.nhs_number, r.kind, r.site_id, r.team_id, r.status, str(r.days_waited))
    Console().print(table)


@app.command("raise")
def raise_referral(
    nhs_number: str = typer.Argument(..., help="The patient's NHS number."),
    pool: str = typer.Option(..., "--pool", help="The registry bed pool the patient is in, e.g. lri-acute."),
    kind: str = typer.Option(..., "--kind", help=", ".join(KINDS) + "."),
    team: str = typer.Option(
        ..., "--team", help="The receiving registry team, e.g. lri-housing-support-officers."
    ),
    medically_fit: str | None = typer.Option(None, "--medically-fit", help="YYYY-MM-DD (default: today)."),
    note: str = typer.Option("", "--note", help="What the team needs to know."),
    username: str = AS_USER,
    as_json: bool = typer.Option(False, "--json", help="Print the referral as JSON."),
) -> None:
    """Raise a referral for a patient in hospital (an open inpatient stay at the pool's site)."""
    fields = {"nhs_number": nhs_number, "pool_id": pool, "kind": kind, "team_id": team, "note": note,
              "medically_fit_on": _day(medically_fit, "--medically-fit")}  # fmt: skip
    try:
        data = ReferralCreate.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Invalid(f"{where}: {str(first['msg']).removeprefix('Value error, ')}") from None
    with unit_of_work() as session:
        raised = service.raise_referral(session, actor=actor_named(session, username), referral=data)
    if as_json:
        typer.echo(raised.model_dump_json())
    else:
        typer.echo(f"raised {raised.kind} referral {raised.id} for {raised.nhs_number} to {raised.team_id}")


@app.command("delayed")
def delayed(
    on: str | None = typer.Option(None, "--on", help="YYYY-MM-DD (default: today)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Delayed patients and delayed bed-days per site and bed pool (counts only: no patient is named)."""
    day = _day(on, "--on")
    with unit_of_work() as session:
        found = service.delayed_list(session, on=day)
    if as_json:
        typer.echo(found.model_dump_json())
        return
    table = Table("site", "pool", "delayed patients", "delayed bed-days", "longest wait (days)")
    for p in found.pools:
        longest = str(p.days_waited[0]) if p.days_waited else "0"
        table.add_row(p.site_id, p.pool_id, str(p.delayed_patients), str(p.delayed_bed_days), longest)
    table.add_row("all", "", str(found.delayed_patients), str(found.delayed_bed_days), "")
    Console().print(table)
