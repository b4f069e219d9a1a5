"""`joinedup voice`: the board report for an organisation and period, written as one HTML file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from joinedup.db import create_engine, session_factory, transaction
from joinedup.errors import Invalid
from joinedup.settings import get_settings
from joinedup.voice import service
from joinedup.voice.report_page import render_report_file

app = typer.Typer(help="Public voice: what people say about local health and care.", no_args_is_help=True)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{option}: {text!r} is not a date (write YYYY-MM-DD)") from None


@app.command("report")
def report(
    org: str = typer.Option(..., "--org", help="ODS code of the organisation, e.g. RWE."),
    start: str = typer.Option(..., "--from", help="First day of the period (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="Last day of the period (YYYY-MM-DD)."),
    out: Path = typer.Option(Path("report.html"), "--out", help="Where to write the HTML report."),
    as_json: bool = typer.Option(False, "--json", help="Print the report's figures as JSON instead."),
) -> None:
    """Write the board report (counts, themes, trend, stories and replies) for one organisation and period."""
    first, last = _day(start, "--from"), _day(end, "--to")
    engine = create_engine(get_settings().database_url)
    try:
        with transaction(session_factory(engine)) as session:
            board = service.board_report(session, ods_code=org, start=first, end=last)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(board.model_dump(mode="json")))
        return
    out.write_text(render_report_file(board), encoding="utf-8")
    typer.echo(
        f"board report for {board.organisation.name}: {board.received} stories, written to {out}", err=True
    )
