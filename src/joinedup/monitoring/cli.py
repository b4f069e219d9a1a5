"""`joinedup monitoring`: the MQTT gateway, the demo device simulator, the missed-readings sweep, and the
alerts and rejected readings as they stand. `--json` prints one JSON document on stdout."""

from __future__ import annotations

import json
import random
import signal
import time

import typer
from rich.console import Console
from rich.table import Table

from joinedup.db import create_engine, session_factory
from joinedup.monitoring import service, simulator
from joinedup.monitoring.gateway import READINGS_TOPIC, Gateway
from joinedup.settings import get_settings
from joinedup.wards.cli import AS_USER, actor_named, unit_of_work

app = typer.Typer(help="Remote monitoring: readings in over MQTT, alerts out.", no_args_is_help=True)
HOST = typer.Option("127.0.0.1", help="MQTT broker address.")
PORT = typer.Option(1883, help="MQTT broker port.")


@app.command()
def gateway(
    host: str = HOST,
    port: int = PORT,
    topic: str = typer.Option(READINGS_TOPIC, help="Topic filter."),
    max_batch: int = typer.Option(500, help="Most readings stored in one transaction."),
    sweep_every: float = typer.Option(300.0, help="Seconds between missed-readings sweeps."),
) -> None:
    """Subscribe to device readings over MQTT and store each through the monitoring service."""
    engine = create_engine(get_settings().database_url)
    gate = Gateway(session_factory(engine), host=host, port=port, topic=topic, max_batch=max_batch)
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
