"""`joinedup audit verify`: walk the audit log's hash chain; exit 0 when intact, 1 at the first break."""

from __future__ import annotations

import json

import typer

from joinedup.access import service
from joinedup.db import unit_of_work

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@app.callback()
def audit() -> None:
    """The hash-chained audit log."""


@app.command("verify")
def verify(as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")) -> None:
    """Check every entry's hash and link; report the first edited, deleted or reordered entry."""
    with unit_of_work(writes=False) as session:  # a long read: the server's writers go on meanwhile
        report = service.verify_audit_log(session)
    if as_json:
        entry = {k: str(v) for k, v in report.entry.items()} if report.entry else None
        typer.echo(json.dumps({"intact": report.is_intact, "entries": report.entries,
                               "last_hash": report.last_hash, "broken_seq": report.broken_seq,
                               "problem": report.problem, "entry": entry}))  # fmt: skip
    elif report.is_intact:
        typer.echo(f"audit log intact: {report.entries} entries, last hash {report.last_hash}")
    else:
        typer.echo(f"audit log broken: {report.problem}", err=True)
        if report.entry:
            e = report.entry
            what = " ".join(str(e[k]) for k in ("action", "resource_type", "resource_id") if e[k])
            typer.echo(
                f"  entry {e['seq']} recorded {e['recorded_at']} by {e['username']}: {what}, "
                f"patient {e['patient_nhs_number'] or '-'} ({e['outcome']}: {e['reason']})",
                err=True,
            )
    if not report.is_intact:
        # SystemExit, not typer.Exit: `joinedup.cli.main` runs click without standalone mode, which turns
        # typer.Exit into a return value and so into exit status 0.
        raise SystemExit(1)
