"""`joinedup demo` and `joinedup serve`."""

from __future__ import annotations

import typer

from joinedup.settings import get_settings


def serve(
    port: int = typer.Option(8000, help="Port to listen on (127.0.0.1)."),
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    workers: int = typer.Option(
        1, min=1, help="Worker processes, each building the app from JOINEDUP_* (one per core in production)."
    ),
    log_level: str = typer.Option("warning", help="uvicorn's log level (info: each worker's start-up)."),
) -> None:
    """Serve the web app and APIs over the database at JOINEDUP_DATABASE_URL."""
    import uvicorn

    from joinedup.web.app import serving_app

    typer.echo(f"joinedup is serving at http://{host}:{port}/ ({workers} worker(s))", err=True)
    if workers == 1:
        uvicorn.run(serving_app(), host=host, port=port, log_level=log_level)
        return
    # Several processes share the socket; each imports the factory and builds its own app and engine. The
    # development secret is made here first, so the workers cannot race to create different ones.
    _ = get_settings().signing_key
    uvicorn.run(
        "joinedup.web.app:serving_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )


def demo(
    port: int = typer.Option(8000, help="Port to serve the demo on."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Build the demo database and stop."),
    no_devices: bool = typer.Option(False, "--no-devices", help="Do not simulate home devices over MQTT."),
) -> None:
    """Build a fresh LLR demo at JOINEDUP_DATABASE_URL (default SQLite) and serve it."""
    from joinedup.demo.build import build_demo

    settings = get_settings()
    typer.echo(f"building the LLR demo at {settings.database_url}", err=True)
    build_demo(settings.database_url, report=lambda line: typer.echo(f"  {line}", err=True))
    typer.echo(f"demo ready: http://127.0.0.1:{port}/")
    if not no_serve:
        if not no_devices:
            from joinedup.demo.devices import start_devices

            typer.echo(f"  devices: {start_devices(settings.database_url)}", err=True)
        serve(port=port, host="127.0.0.1", workers=1, log_level="warning")
