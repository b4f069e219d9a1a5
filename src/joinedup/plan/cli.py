"""`joinedup plan`: run and compare scenarios, size a pool of beds; thin over the pure planner core."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from joinedup.errors import Invalid
from joinedup.plan import loading, queueing, resources, results, runner, whatif_cli
from joinedup.plan.compiled import compile_scenario
from joinedup.plan.loading import RegistryBedPool
from joinedup.settings import get_settings

app = typer.Typer(
    help="Plan capacity: simulate scenarios of the system's beds, compare them, size a pool.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Replications = Annotated[int, typer.Option("--replications", "-n", help="Monte Carlo replications.")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same numbers.")]
ReportPath = Annotated[Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")]
Dask = Annotated[
    str | None, typer.Option("--dask", help="Dask scheduler address (else JOINEDUP_DASK_SCHEDULER).")
]
Workers = Annotated[
    int | None, typer.Option("--workers", help="Local worker processes (default: one per core).")
]


@app.command("run")
def run_command(
    scenario: Annotated[str, typer.Argument(help="A bundled scenario name or a path to a TOML file.")],
    replications: Replications = 100,
    seed: Seed = 1,
    report: ReportPath = None,
    as_json: AsJson = False,
    dask: Dask = None,
    workers: Workers = None,
) -> None:
    """Simulate one scenario and print each pool's figures with 95% intervals."""
    with _clear_errors():
        _check_run_options(replications, seed, workers)
        compiled = compile_scenario(loading.load_scenario(scenario, registry=_registry_lookup))
        outcome = _replicate(compiled, replications, seed, dask, workers, quiet=as_json)
        if report is not None:
            from joinedup.plan.report import render

            report.write_text(render(outcome), encoding="utf-8")
        summary = results.summary(outcome)
        if as_json:
            _print_json(summary)
        else:
            Console().print(_run_table(summary))
            for line in resources.run_lines(summary):
                Console().print(line, highlight=False)


@app.command("compare")
def compare_command(
    a: Annotated[str, typer.Argument(help="Scenario A (bundled name or TOML path).")],
    b: Annotated[str, typer.Argument(help="Scenario B (bundled name or TOML path).")],
    replications: Replications = 100,
    seed: Seed = 1,
    report: ReportPath = None,
    as_json: AsJson = False,
    dask: Dask = None,
    workers: Workers = None,
) -> None:
    """Simulate two scenarios with the same random numbers and print B minus A, pool by pool."""
    with _clear_errors():
        _check_run_options(replications, seed, workers)
        first = compile_scenario(loading.load_scenario(a, registry=_registry_lookup))
        second = compile_scenario(loading.load_scenario(b, registry=_registry_lookup))
        run_a = _replicate(first, replications, seed, dask, workers, quiet=as_json)
        run_b = _replicate(second, replications, seed, dask, workers, quiet=as_json)
        if report is not None:
            from joinedup.plan.report import render_comparison

            report.write_text(render_comparison(run_a, run_b), encoding="utf-8")
        comparison = results.comparison(run_a, run_b)
        if as_json:
            _print_json(comparison)
        else:
            Console().print(_compare_table(comparison))
            for line in resources.comparison_lines(comparison):
                Console().print(line, highlight=False)


app.command("whatif")(whatif_cli.whatif_command)


@app.command("beds")
def beds_command(
    arrivals_per_day: Annotated[float, typer.Option("--arrivals-per-day", help="Mean arrivals a day.")],
    mean_stay_days: Annotated[float, typer.Option("--mean-stay-days", help="Mean length of stay in days.")],
    target_blocking: Annotated[float, typer.Option("--target-blocking", help="Largest share turned away.")],
    as_json: AsJson = False,
) -> None:
    """Smallest number of beds whose Erlang B blocking is at most the target."""
    with _clear_errors():
        _check_sizing(arrivals_per_day, mean_stay_days, target_blocking)
        sizing = queueing.beds_for_blocking(arrivals_per_day, mean_stay_days, target_blocking)
        if as_json:
            _print_json({"beds": sizing.beds, "blocking": sizing.blocking})
        else:
            Console().print(
                f"{sizing.beds} beds: Erlang B blocking {sizing.blocking:.4%} for an offered load of "
                f"{sizing.offered_load:.1f} erlangs (target {target_blocking:.4%})."
            )


@contextmanager
def _clear_errors() -> Iterator[None]:
    """Bad input becomes one line on stderr and exit code 2, with nothing run."""
    try:
        yield
    except Invalid as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(code=2) from None


def _check_run_options(replications: int, seed: int, workers: int | None) -> None:
    if replications < 1:
        raise Invalid(f"--replications = {replications}: must be 1 or more")
    if not 0 <= seed < 2**63:
        raise Invalid(f"--seed = {seed}: must be 0 or more")
    if workers is not None and workers < 1:
        raise Invalid(f"--workers = {workers}: must be 1 or more")


def _check_sizing(arrivals_per_day: float, mean_stay_days: float, target_blocking: float) -> None:
    if not (math.isfinite(arrivals_per_day) and arrivals_per_day >= 0):
        raise Invalid(f"--arrivals-per-day = {arrivals_per_day}: must be 0 or more")
    if not (math.isfinite(mean_stay_days) and mean_stay_days > 0):
        raise Invalid(f"--mean-stay-days = {mean_stay_days}: must be above 0")
    if not 0 < target_blocking <= 1:
        raise Invalid(f"--target-blocking = {target_blocking}: must be above 0 and at most 1")


def _registry_lookup(on: date) -> Sequence[RegistryBedPool]:
    """Bed pools from the registry database (JOINEDUP_DATABASE_URL) as they stood on `on`."""
    try:
        from joinedup.db import create_engine, session_factory, transaction
        from joinedup.registry.service import list_bed_pools
        from joinedup.settings import get_settings
    except ImportError as exc:
        raise Invalid(f"pools_from_registry.on = {on}: the registry is not available ({exc})") from None
    engine = create_engine(get_settings().database_url)
    try:
        with transaction(session_factory(engine)) as session:
            pools: Sequence[RegistryBedPool] = list_bed_pools(session, on=on)
    except Exception as exc:  # a missing or unmigrated database: say so in one line
        raise Invalid(
            f"pools_from_registry.on = {on}: cannot read the registry ({exc.__class__.__name__})"
        ) from None
    finally:
        engine.dispose()
    if not pools:
        raise Invalid(f"pools_from_registry.on = {on}: the registry has no bed pools on that date")
    return pools


def _replicate(
    compiled: Any, replications: int, seed: int, dask: str | None, workers: int | None, quiet: bool
) -> results.Run:
    address = dask or get_settings().dask_scheduler
    if quiet:
        return runner.run(compiled, replications, seed, workers=workers, dask_address=address)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(compiled.name, total=replications)
        return runner.run(
            compiled,
            replications,
            seed,
            workers=workers,
            dask_address=address,
            progress=lambda done, _total: bar.update(task, completed=done),
        )


def _print_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, allow_nan=False) + "\n")


def _shown(figure: dict[str, float | None], percent: bool = False, digits: int = 1) -> str:
    mean, low, high = figure["mean"], figure["low"], figure["high"]
    if mean is None:
        return "–"
    scale, suffix = (100.0, "%") if percent else (1.0, "")
    text = f"{mean * scale:.{digits}f}{suffix}"
    if low is not None and high is not None:
        text += f" ({low * scale:.{digits}f}–{high * scale:.{digits}f})"
    return text


def _run_table(summary: dict[str, Any]) -> Table:
    table = Table(
        title=f"{summary['scenario']}: {summary['replications']} replications, seed {summary['seed']}, "
        "mean (95% interval)"
    )
    headings = (
        "pool",
        "beds",
        "occupancy",
        "days\n> 92%",
        "blocked",
        "diverted",
        "mean wait\n(days)",
        "delayed\nbed-days",
    )
    for heading in headings:
        table.add_column(heading, justify="left" if heading == "pool" else "right")
    for pool in summary["pools"]:
        beds = (
            str(pool["beds"])
            if pool["beds"] == pool["beds_at_end"]
            else f"{pool['beds']}→{pool['beds_at_end']}"
        )
        table.add_row(
            pool["id"],
            beds,
            *(
                # The interval on a line of its own under the mean, for a narrower table.
                text.replace(" (", "\n(", 1)
                for text in (
                    _shown(pool["occupancy"], True),
                    _shown(pool["days_above_92"], digits=0),
                    _shown(pool["blocked_fraction"], True),
                    _shown(pool["diverted_fraction"], True),
                    _shown(pool["wait_mean_days"], digits=2),
                    _shown(pool["delayed_bed_days"], digits=0),
                )
            ),
        )
    return table


def _compare_table(comparison: dict[str, Any]) -> Table:
    a, b = comparison["a"]["scenario"], comparison["b"]["scenario"]
    table = Table(title=f"{b} minus {a}: mean difference (95% interval)")
    for heading in ("pool", "beds A", "beds B", "occupancy", "blocked", "diverted", "mean wait (days)"):
        table.add_column(heading, justify="left" if heading == "pool" else "right")
    for row in comparison["differences"]:
        table.add_row(
            row["id"],
            str(row["beds_a"] if row["beds_a"] is not None else "–"),
            str(row["beds_b"] if row["beds_b"] is not None else "–"),
            _shown(row["occupancy"], True),
            _shown(row["blocked_fraction"], True),
            _shown(row["diverted_fraction"], True),
            _shown(row["wait_mean_days"], digits=2),
        )
    return table
