"""`joinedup wards`: the virtual wards now, their monthly occupancy, and admitting or discharging a patient.

Each command is one unit of work over JOINEDUP_DATABASE_URL; `--json` prints one JSON document on stdout.
Commands that touch a patient act as a named user (`--as USERNAME`), whose access is checked and audited.
"""

from __future__ import annotations

import json
from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from joinedup.db import unit_of_work
from joinedup.errors import Invalid
from joinedup.record.service import actor_named
from joinedup.wards import service
from joinedup.wards.schemas import AdmissionCreate, DischargeCreate

app = typer.Typer(help="Virtual wards: wards, admissions, discharges and occupancy.", no_args_is_help=True)
AS_USER = typer.Option(
    ..., "--as", help="The joinedup user doing this (their access is checked and audited)."
)


@app.command("list")
def list_wards(as_json: bool = typer.Option(False, "--json", help="Print one JSON list.")) -> None:
    """Every virtual ward with its beds and occupied beds now."""
    with unit_of_work() as session:
        wards = service.list_wards(session)
    if as_json:
        typer.echo(json.dumps([w.model_dump(mode="json") for w in wards]))
        return
    table = Table("ward", "name", "beds", "occupied", "occupancy", "by pathway")
    for w in wards:
        pathways = ", ".join(f"{k} {v}" for k, v in w.by_pathway.items())
        table.add_row(w.id, w.name, str(w.beds), str(w.occupied), f"{w.occupancy:.0%}", pathways)
    Console().print(table)


@app.command()
def occupancy(
    month: str = typer.Option(None, help="YYYY-MM (default: this month)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON list."),
) -> None:
    """Each ward's occupancy in a month and the whole virtual hospital's, against the 80% target."""
    try:
        day = date.fromisoformat(f"{month}-01") if month else date.today().replace(day=1)
    except ValueError:
        raise Invalid(f"month: {month!r} is not YYYY-MM") from None
    with unit_of_work() as session:
        months = service.monthly_occupancy(session, month=day)
    if as_json:
        typer.echo(json.dumps([m.model_dump(mode="json") for m in months]))
        return
    table = Table(
        "ward", "bed-days", "available", "occupancy", "target met", "admissions", "mean stay (days)"
    )
    for m in months:
        table.add_row(
            m.ward_id or "all",
            f"{m.bed_days:g}",
            f"{m.available_bed_days:g}",
            f"{m.occupancy:.0%}",
            "yes" if m.meets_target else "no",
            str(m.admissions),
            str(m.mean_length_of_stay_days or "–"),
        )
    Console().print(table)


@app.command()
def admit(
    ward: str = typer.Argument(..., help="The ward (registry team id)."),
    nhs_number: str = typer.Argument(..., help="The patient's NHS number."),
    pathway: str = typer.Option(..., help="heart-failure, frailty, covid-19 or respiratory."),
    source: str = typer.Option("gp", help="hospital, gp or community."),
    username: str = AS_USER,
    as_json: bool = typer.Option(False, "--json", help="Print the admission as JSON."),
) -> None:
    """Admit a patient from the shared record to a virtual ward."""
    admission = AdmissionCreate.model_validate(
        {"nhs_number": nhs_number, "pathway": pathway, "source": source}
    )
    with unit_of_work() as session:
        stay = service.admit_patient(
            session, actor=actor_named(session, username), ward_id=ward, admission=admission
        )
    typer.echo(
        stay.model_dump_json() if as_json else f"admitted {stay.nhs_number} to {stay.ward_id}: {stay.id}"
    )


@app.command()
def discharge(
    admission_id: str = typer.Argument(..., help="The admission id."),
    outcome: str = typer.Option(..., help="home, readmitted or died."),
    username: str = AS_USER,
) -> None:
    """End a stay with its outcome."""
    with unit_of_work() as session:
        stay = service.discharge_patient(
            session,
            actor=actor_named(session, username),
            admission_id=admission_id,
            discharge=DischargeCreate.model_validate({"outcome": outcome}),
        )
    typer.echo(f"discharged {stay.nhs_number} ({stay.outcome}) after {stay.length_of_stay_days} days")
