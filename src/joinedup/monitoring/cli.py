"""`joinedup monitoring`: the MQTT gateway, the demo device simulator, the missed-readings sweep, and the
alerts and rejected readings as they stand. `--json` prints one JSON document on stdout."""

from __future__ import annotations

import json
import random
import signal
import time
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from joinedup.db import create_engine, session_factory, unit_of_work
from joinedup.errors import Invalid
from joinedup.monitoring import alert_report, rule_replay, rule_versions, service, simulator
from joinedup.monitoring.gateway import READINGS_TOPIC, Gateway
from joinedup.monitoring.rules.thresholds import default_rule_set
from joinedup.monitoring.workers import Database, tune_gc
from joinedup.record.service import actor_named
from joinedup.settings import get_settings
from joinedup.wards.cli import AS_USER

app = typer.Typer(help="Remote monitoring: readings in over MQTT, alerts out.", no_args_is_help=True)
HOST = typer.Option("127.0.0.1", help="MQTT broker address.")
PORT = typer.Option(1883, help="MQTT broker port.")


@app.command()
def gateway(
    host: str = HOST,
    port: int = PORT,
    topic: str = typer.Option(READINGS_TOPIC, help="Topic filter."),
    max_batch: int = typer.Option(500, help="Most messages stored in one transaction (by each worker)."),
    sweep_every: float = typer.Option(300.0, help="Seconds between missed-readings sweeps."),
    workers: int = typer.Option(
        1, min=1, help="Processes storing readings, partitioned by patient (more than 1: PostgreSQL only)."
    ),
) -> None:
    """Subscribe to device readings over MQTT and store each through the monitoring service."""
    url = get_settings().database_url
    engine = create_engine(url)
    gate = Gateway(
        session_factory(engine),
        host=host,
        port=port,
        topic=topic,
        max_batch=max_batch,
        workers=workers,
        database=Database(url),
    )
    tune_gc()
    gate.start()
    thread = gate.run_in_thread()
    signal.signal(signal.SIGTERM, lambda *_: gate.stopping.set())
    typer.echo(f"gateway: listening on mqtt://{host}:{port}/{topic}", err=True)
    next_sweep = time.monotonic()
    try:
        while thread.is_alive() and not gate.stopping.is_set():
            if time.monotonic() >= next_sweep:
                with unit_of_work() as session:
                    service.check_missed_readings(session)
                next_sweep = time.monotonic() + sweep_every
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        gate.stop()
        typer.echo(
            f"gateway: {gate.stats.readings} readings in {gate.stats.batches} batches {gate.stats.by_status}",
            err=True,
        )


@app.command()
def simulate(
    host: str = HOST,
    port: int = PORT,
    per_second: float = typer.Option(2.0, help="Sittings (one patient's set of readings) per second."),
    duration: float = typer.Option(None, help="Stop after this many seconds (default: run until stopped)."),
    seed: int = typer.Option(1, help="Random seed."),
) -> None:
    """Publish readings from every issued kit on the virtual wards (synthetic), so the board moves."""
    with unit_of_work() as session:
        kits = simulator.kits_on_wards(session, random.Random(seed))
    if not kits:
        typer.echo("no kits issued to patients on a virtual ward: nothing to simulate", err=True)
        raise typer.Exit(1)
    typer.echo(f"simulating {len(kits)} kits at {per_second:g} sittings a second", err=True)
    try:
        sent = simulator.publish(
            kits, host=host, port=port, per_second=per_second, duration=duration, seed=seed
        )
    except KeyboardInterrupt:
        sent = 0
    typer.echo(f"published {sent} sittings", err=True)


@app.command()
def sweep() -> None:
    """Raise missed-reading alerts for readings the patients' schedules expected and did not get."""
    with unit_of_work() as session:
        raised = service.check_missed_readings(session)
    typer.echo(f"{raised} missed-reading alerts raised or changed")


@app.command()
def alerts(
    username: str = AS_USER,
    ward: str = typer.Option(None, help="One ward (team id)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON list."),
) -> None:
    """Open alerts on the caseloads this user sees (their access is checked and audited)."""
    with unit_of_work() as session:
        found = service.list_alerts(session, actor=actor_named(session, username), ward_id=ward)
    if as_json:
        typer.echo(json.dumps([a.model_dump(mode="json") for a in found]))
        return
    table = Table("severity", "status", "ward", "NHS number", "rule", "message")
    for a in found:
        table.add_row(a.severity, a.status, a.ward_id, a.nhs_number, a.rule_id, a.message)
    Console().print(table)


@app.command()
def rejected(
    limit: int = typer.Option(50, help="How many."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON list."),
) -> None:
    """The latest readings refused at the door, with the reason each was refused."""
    with unit_of_work() as session:
        rows = [
            (r.received_at.isoformat(), r.channel, r.device or "", r.reason)
            for r in service.list_rejections(session, limit=limit)
        ]
    if as_json:
        typer.echo(
            json.dumps(
                [dict(zip(("received_at", "channel", "device", "reason"), r, strict=True)) for r in rows]
            )
        )
        return
    table = Table("received", "channel", "device", "reason")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@app.command()
def replay(
    rules: Path = typer.Option(..., "--rules", help="A rule set (TOML); sections left out are the current."),
    first: datetime = typer.Option(..., "--from", formats=["%Y-%m-%d"], help="First day (UTC), YYYY-MM-DD."),
    last: datetime = typer.Option(..., "--to", formats=["%Y-%m-%d"], help="Last day (UTC), inclusive."),
    username: str = typer.Option(
        "demo-analyst", "--as", help="The joinedup user running the replay (checked and audited)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Re-run a proposed rule set over the stored readings, raising nothing: the alerts it would have raised
    per day, team and nurse, beside the current rules and the alerts actually raised."""
    try:
        text = rules.read_text(encoding="utf-8")
    except OSError as exc:
        raise Invalid(f"cannot read rule set {rules}: {exc.strerror or exc}") from None
    proposed = rule_replay.proposed_rule_set(text)
    with unit_of_work() as session:
        report = rule_replay.replay_rules(
            session,
            actor=actor_named(session, username),
            proposed=proposed,
            first=first.date(),
            last=last.date(),
        )
    if as_json:
        typer.echo(report.model_dump_json())
        return
    console = Console()
    console.print(f"[bold]{report.note}[/bold]")
    console.print(
        f"{report.first} to {report.last}: {report.readings} readings of {report.stays} stays; "
        f"proposed {report.proposed.version_id} vs current {report.current.version_id}"
    )
    for warning in report.warnings:
        console.print(f"[red]warning:[/red] {warning}")
    for title, rows in (
        ("day", report.by_day),
        ("team", report.by_team),
        ("nurse", report.by_nurse),
        ("rule", report.by_rule),
    ):
        table = Table(title, "live", "current (replayed)", "proposed (replayed)", title=f"alerts by {title}")
        for row in [*rows, report.totals]:
            table.add_row(row.name or row.key, str(row.live), str(row.current), str(row.proposed))
        console.print(table)


@app.command("alerts-report")
def alerts_report(
    username: str = typer.Option(
        "demo-analyst", "--as", help="The joinedup user asking (checked and audited)."
    ),
    first: datetime = typer.Option(None, "--from", formats=["%Y-%m-%d"], help="First day (UTC)."),
    last: datetime = typer.Option(None, "--to", formats=["%Y-%m-%d"], help="Last day (UTC), inclusive."),
    ward: str = typer.Option(None, help="One ward (team id)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Time from alert raised to acknowledged, per team and day: median, 90th centile, still waiting."""
    with unit_of_work() as session:
        report = alert_report.alerts_report(
            session,
            actor=actor_named(session, username),
            first=first.date() if first else None,
            last=last.date() if last else None,
            ward_id=ward,
        )
    if as_json:
        typer.echo(report.model_dump_json())
        return
    table = Table(
        "ward", "day", "raised", "acknowledged", "median min", "p90 min", "waiting", "longest wait min"
    )
    for row in report.rows:
        table.add_row(
            row.ward_name or row.ward_id,
            row.day.isoformat() if row.day else "all days",
            str(row.raised),
            str(row.acknowledged),
            "–" if row.median_minutes is None else f"{row.median_minutes:g}",
            "–" if row.p90_minutes is None else f"{row.p90_minutes:g}",
            str(row.not_acknowledged),
            "–" if row.longest_wait_minutes is None else f"{row.longest_wait_minutes:g}",
        )
    Console().print(table)


@app.command()
def rules(as_json: bool = typer.Option(False, "--json", help="Print one JSON document.")) -> None:
    """The rule set in force (`data/rules/current.toml`): version id, content digest and thresholds; exit 1
    when alerts were raised under the same version id with different thresholds (give it a new version)."""
    current = default_rule_set()
    with unit_of_work() as session:
        drift = rule_versions.drift(session, current)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "version_id": current.version_id,
                    "content_sha256": current.content_digest,
                    "rules": current.to_mapping(),
                    "drift": drift,
                }
            )
        )
    else:
        typer.echo(f"{current.version_id} (sha256 {current.content_digest})")
        for section, values in current.to_mapping().items():
            if isinstance(values, dict):
                shown = ", ".join(f"{k}={v}" for k, v in values.items() if k != "source")
                typer.echo(f"  {section}: {shown}")
    if drift:
        typer.echo(f"error: {drift}", err=True)
        raise typer.Exit(1)
