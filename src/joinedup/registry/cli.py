"""`joinedup registry`: load reference files and ask who was responsible, what changed, what there was.

Each command is one unit of work over JOINEDUP_DATABASE_URL. With --json a command prints exactly one JSON
document on stdout; notes go to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from joinedup.db import create_engine, session_factory, transaction, upgrade
from joinedup.errors import Invalid
from joinedup.registry import models, service
from joinedup.registry.days import parse_day
from joinedup.settings import get_settings

app = typer.Typer(help="The registry: who does what where in the ICS, and when.", no_args_is_help=True)

T = TypeVar("T")


def _note(text: str) -> None:
    typer.echo(text, err=True)


def _ensure_schema(engine: Engine) -> None:
    if not inspect(engine).has_table(models.Area.__tablename__):
        _note("the database had no schema: migrated it to the newest")
        upgrade(engine)


def _ensure_reference_data(session: Session) -> None:
    """An empty registry gets the bundled reference data, so a first question has an answer.

    It is loaded in the question's own transaction: if the question fails, nothing is kept.
    """
    if not session.scalar(select(func.count()).select_from(models.Area)):
        loaded = service.load_reference_data(session)
        _note(f"the registry was empty: loading the bundled reference data ({loaded})")


@contextmanager
def _unit_of_work(*, needs_data: bool) -> Iterator[Session]:
    engine = create_engine(get_settings().database_url)
    try:
        _ensure_schema(engine)
        with transaction(session_factory(engine)) as session:
            if needs_data:
                _ensure_reference_data(session)
            yield session
    finally:
        engine.dispose()


def _ask(question: Callable[[Session], T]) -> T:
    with _unit_of_work(needs_data=True) as session:
        return question(session)


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False))


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


@app.command("load")
def load(
    path: Path = typer.Argument(
        ..., help="An ICS TOML file, or an ODS etr / epraccur extract (.csv or .zip)."
    ),
) -> None:
    """Load one reference file into the registry, whole or not at all."""
    if not path.is_file():
        raise Invalid(f"{path}: no such file.")
    with _unit_of_work(needs_data=False) as session:
        summary = service.load_file(session, path)
    typer.echo(f"loaded {summary.line()}")


@app.command("responsible")
def responsible(
    area: str = typer.Argument(..., help="An area's name, alias or id, e.g. Leicester."),
    on: str = typer.Option(..., "--on", help="The day, YYYY-MM-DD."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON list and nothing else."),
) -> None:
    """Bodies responsible for AREA on a day (regional, area, district, PCT, CCG, ICB...)."""
    day = parse_day(on, "--on")
    bodies = _ask(lambda session: service.responsible(session, area=area, on=day))
    if as_json:
        _print_json([body.model_dump(mode="json") for body in bodies])
        return
    if not bodies:
        typer.echo(f"No body is recorded as responsible for {area} on {day}.")
        return
    table = Table(title=f"Responsible for {area} on {day}")
    for column in ("kind", "name", "from", "until", "for area"):
        table.add_column(column)
    for body in bodies:
        table.add_row(body.kind, body.name, _day(body.start), _day(body.end) or "open", body.area_name)
    Console().print(table)


@app.command("diff")
def diff(
    start: str = typer.Option(..., "--from", help="The first day, YYYY-MM-DD."),
    end: str = typer.Option(..., "--to", help="The second day, YYYY-MM-DD."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object and nothing else."),
) -> None:
    """What opened, closed, moved and changed size between two days."""
    first, second = parse_day(start, "--from"), parse_day(end, "--to")
    found = _ask(lambda session: service.diff(session, start=first, end=second))
    if as_json:
        _print_json(found.model_dump(mode="json"))
        return
    console = Console()
    for title, items in (("Opened", found.opened), ("Closed", found.closed)):
        table = Table(title=f"{title} between {first} and {second}")
        for column in ("kind", "name", "date"):
            table.add_column(column)
        for item in items:
            table.add_row(item.kind, item.name, _day(item.date))
        console.print(table)
    moves = Table(title="Changed operator")
    for column in ("site", "before", "after"):
        moves.add_column(column)
    for move in found.moved:
        moves.add_row(move.site_name, ", ".join(move.before), ", ".join(move.after))
    console.print(moves)
    beds = Table(title="Changed size (beds)")
    for column in ("pool", "setting", "before", "after"):
        beds.add_column(column)
    for change in found.changed_size:
        beds.add_row(change.name, change.setting, str(change.before), str(change.after))
    console.print(beds)


@app.command("show")
def show(
    on: str = typer.Option(..., "--on", help="The day, YYYY-MM-DD."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object and nothing else."),
) -> None:
    """The whole registry as of a day: organisations, sites with operators and beds, teams."""
    day = parse_day(on, "--on")
    found = _ask(lambda session: service.snapshot(session, on=day))
    if as_json:
        _print_json(found.model_dump(mode="json"))
        return
    console = Console()
    console.print(
        f"On {day}: {len(found.organisations)} organisations, {len(found.sites)} sites, "
        f"{len(found.teams)} teams."
    )
    sites = Table(title=f"Sites on {day}")
    for column in ("site", "town", "operator", "beds"):
        sites.add_column(column)
    for site in found.sites:
        operators = ", ".join(op.organisation_name for op in site.operators)
        beds = sum(pool.beds for pool in site.bed_pools)
        sites.add_row(site.name, site.town or "", operators, str(beds) if site.bed_pools else "")
    console.print(sites)
    settings = Table(title="Beds by setting")
    settings.add_column("setting")
    settings.add_column("beds", justify="right")
    for setting, beds in found.beds_by_setting.items():
        settings.add_row(setting, str(beds))
    console.print(settings)
