"""The FastAPI app factory: routers from the router table, static assets, one error handler per edge."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from joinedup import __version__
from joinedup.db import create_engine, session_factory
from joinedup.errors import JoinedupError
from joinedup.heap import settle_after_start_up
from joinedup.settings import Settings, get_settings, require_secret
from joinedup.web import auth, routes
from joinedup.web.navigation import PARTS
from joinedup.web.templating import render

STATIC = Path(__file__).resolve().parent / "static"


def _edge(path: str) -> str:
    if path.startswith("/fhir"):
        return "fhir"
    if path.startswith("/api") or path in ("/healthz", "/openapi.json"):
        return "api"
    return "page"


def operation_outcome(status: int, code: str, detail: str) -> JSONResponse:
    """A FHIR OperationOutcome carrying one issue."""
    severity = "error" if status < 500 else "fatal"
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": detail}],
    }
    return JSONResponse(body, status_code=status, media_type="application/fhir+json")


def error_response(request: Request, status: int, code: str, detail: str) -> Response:
    """Answer an error in the dialect of the edge it happened at."""
    edge = _edge(request.url.path)
    if edge == "fhir":
        return operation_outcome(status, code, detail)
    if edge == "api":
        return JSONResponse({"detail": detail}, status_code=status)
    heading = {401: "Please log in", 403: "You cannot see this page", 404: "Page not found"}.get(
        status, "There is a problem"
    )
    return render(request, "error.html", {"heading": heading, "detail": detail}, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    async def on_joinedup_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, JoinedupError)
        return error_response(request, exc.status, exc.code, exc.detail)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return error_response(request, 422, "invalid", "; ".join(parts) or "invalid request")

    async def on_not_found(request: Request, exc: Exception) -> Response:
        detail = getattr(exc, "detail", "Not found")
        return error_response(request, 404, "not-found", str(detail))

    app.add_exception_handler(JoinedupError, on_joinedup_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(404, on_not_found)


def _served_paths(app: FastAPI) -> set[str]:
    # Included routers are nested; walk every route context, not just the top level.
    return {str(r.path) for r in iter_route_contexts(app.routes) if isinstance(r.original_route, APIRoute)}


def serving_app() -> FastAPI:
    """The app as `joinedup serve` runs it, in each worker process: built from JOINEDUP_*, then its
    start-up objects frozen out of the garbage collector's full passes (see `joinedup.heap`)."""
    app = create_app(get_settings())
    settle_after_start_up()
    return app


def create_app(settings: Settings | None = None, sessions: sessionmaker[Session] | None = None) -> FastAPI:
    """Build the joinedup web app over the database in `settings` (or the given session factory)."""
    settings = settings or get_settings()
    require_secret(settings)
    app = FastAPI(
        title="joinedup",
        version=__version__,
        description="The digital backbone of an NHS integrated care system.",
    )
    app.state.settings = settings
    app.state.sessions = sessions or session_factory(create_engine(settings.database_url))
    for mount in routes.MOUNTS:
        app.include_router(routes.load(mount))
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    served = _served_paths(app)
    app.state.nav = [item for item in PARTS if item.href in served]
    _install_error_handlers(app)
    auth.install(app)
    return app
