"""`joinedup plan whatif`: forecast every bed pool from the census, with changes; thin over the service."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from joinedup.errors import Invalid
from joinedup.plan import whatif

FromCensus = Annotated[
    str, typer.Option("--from-census", help="Start from the census of this day: today or YYYY-MM-DD.")
]
Changes = Annotated[
    list[str] | None,
    typer.Option("--change", help='A change, e.g. "close 30 beds acute@LGH from 2027-01-01"; repeatable.'),
]
Days = Annotated[int, typer.Option("--days", help="Days to forecast.")]
Replications = Annotated[int, typer.Option("--replications", "-n", help="Monte Carlo replications.")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same numbers.")]
Demand = Annotated[str, typer.Option("--demand", help="Bundled scenario whose pathways give the demand.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")]


def whatif_command(
    from_census: FromCensus = "today",
    change: Changes = None,
    days: Days = whatif.DEFAULT_DAYS,
    replications: Replications = 40,
    seed: Seed = 1,
    demand: Demand = whatif.DEMAND_SCENARIO,
    as_json: AsJson = False,
) -> None:
    """Forecast occupancy, blocking and OPEL level per site and system from the live census."""
    with _clear_errors():
        whatif.check_size(days, replications)
        document = _run(_census_day(from_census), change or [], days, replications, seed, demand)
        if as_json:
            sys.stdout.write(json.dumps(document, allow_nan=False) + "\n")
        else:
            Console().print(forecast_table(document))


@contextmanager
def _clear_errors() -> Iterator[None]:
    """Bad input becomes one line on stderr and exit code 2, with nothing run or written."""
    try:
        yield
    except Invalid as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(code=2) from None


def _census_day(text: str) -> date:
    if text.strip().lower() == "today":
        return date.today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(f"--from-census = {text!r}: must be today or a date (YYYY-MM-DD)") from None


def _run(
    on: date, changes: list[str], days: int, replications: int, seed: int, demand: str
) -> dict[str, Any]:
    from sqlalchemy.exc import SQLAlchemyError

    from joinedup.db import create_engine, session_factory, transaction
    from joinedup.plan.whatif_service import run_whatif
    from joinedup.settings import get_settings

    engine = create_engine(get_settings().database_url)
    try:
        with transaction(session_factory(engine)) as session:
            try:
                return run_whatif(
                    session,
                    on=on,
                    changes=changes,
                    days=days,
                    replications=replications,
                    seed=seed,
                    demand=demand,
                )
            except SQLAlchemyError as exc:  # a missing or unmigrated database: say so in one line
                raise Invalid(
                    f"cannot read the live bed state ({exc.__class__.__name__}); "
                    "is JOINEDUP_DATABASE_URL a migrated joinedup database? (joinedup db upgrade)"
                ) from None
    finally:
        engine.dispose()


def forecast_table(document: dict[str, Any]) -> Table:
    """System and sites: today, the median and 95% band on the last day, days at OPEL 3+, blocking over the
    forecast and on its worst day."""
    last = document["dates"][-1]
    table = Table(
        title=f"What-if from the census of {document['from_census']} to {last}: "
        f"{document['replications']} replications, seed {document['seed']}"
        + "".join(f"\n{c['text']}" for c in document["changes"])
    )
    headings = (
        "site", "beds", "today", "last day: median (95% band)", "days OPEL 3+", "blocked",
        "worst day blocked", "level",
    )  # fmt: skip
    for heading in headings:
        table.add_column(heading, justify="left" if heading == "site" else "right")
    for group in [document["system"], *document["sites"]]:
        bands = group["occupancy_bands"]
        start = group["start"]
        table.add_row(
            group["id"],
            _beds(group["beds"]),
            f"{_percent(start['occupancy'])} (OPEL {start['level']})",
            f"{_percent(bands['p50'][-1])} ({_percent(bands['p2_5'][-1])}–{_percent(bands['p97_5'][-1])})",
            _figure(group["days_at_level_3_or_worse"], 1.0, ""),
            _figure(group["blocked_fraction"], 100.0, "%"),
            _worst_day(group["blocked_daily"], document["dates"]),
            f"OPEL {group['level'][-1]}" if group["level"][-1] is not None else "–",
        )
    return table


def _worst_day(daily: dict[str, list[float | None]], dates: list[str]) -> str:
    """The day with the highest share of arrivals blocked, with that day's 95% interval."""
    days = [(mean, day) for day, mean in enumerate(daily["mean"]) if mean is not None]
    if not days:
        return "–"
    mean, day = max(days)
    low, high = daily["low"][day], daily["high"][day]
    band = f" ({100 * low:.1f}–{100 * high:.1f})" if low is not None and high is not None else ""
    return f"{100 * mean:.1f}%{band} on {dates[day]}"


def _beds(beds: list[int]) -> str:
    return str(beds[0]) if beds[0] == beds[-1] else f"{beds[0]}→{beds[-1]}"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _figure(figure: dict[str, float | None], scale: float, suffix: str) -> str:
    mean, low, high = figure["mean"], figure["low"], figure["high"]
    if mean is None:
        return "–"
    text = f"{mean * scale:.1f}{suffix}"
    if low is not None and high is not None:
        text += f" ({low * scale:.1f}–{high * scale:.1f})"
    return text
