"""`joinedup db`: database schema commands."""

from __future__ import annotations

import typer

from joinedup.db import create_engine, upgrade
from joinedup.settings import get_settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Apply every migration to the database at JOINEDUP_DATABASE_URL."""
    engine = create_engine(get_settings().database_url)
    upgrade(engine)
    typer.echo("database is at the newest schema", err=True)
