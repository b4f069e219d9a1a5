"""The registry's pages: the system at a glance, the index, organisation, site and area pages, who was
responsible, and what changed. Reference data only (no patient data), so the pages are open to everyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy.orm import Session

from joinedup.errors import Invalid, NotFound
from joinedup.registry import charts, service
from joinedup.registry.days import parse_day
from joinedup.registry.system import LLR_AREAS, system_overview
from joinedup.web.deps import DbSession
from joinedup.web.templating import render

router = APIRouter(include_in_schema=False)


def _plotly_bundle() -> Path:
    spec = find_spec("plotly")
    if spec is None or spec.origin is None:
        raise RuntimeError("the plotly package is not installed")
    return Path(spec.origin).parent / "package_data" / "plotly.min.js"


PLOTLY_JS = _plotly_bundle()


@dataclass
class FormErrors:
    """Errors of a GET form, shaped for the NHS error summary and each field's error message."""

    items: list[dict[str, str]] = field(default_factory=list)
    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.items.append({"text": message, "href": f"#{name}"})
        self.by_field[name] = message

    def day(self, name: str, label: str, text: str | None) -> date | None:
        """The field's date, or None after recording a message for the person."""
        if not text:
            self.add(name, f"Enter {label}")
            return None
        try:
            return parse_day(text, label.capitalize())
        except Invalid:
            self.add(name, f"{label.capitalize()} must be a real date, like 1960-06-01")
            return None

    @property
    def status(self) -> int:
        return 422 if self.items else 200


@router.get("/static/plotly.min.js")
def plotly_js() -> FileResponse:
    """Plotly's browser bundle, served from the installed python package (never from a CDN)."""
    return FileResponse(
        PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: DbSession) -> HTMLResponse:
    """Leicester, Leicestershire and Rutland at a glance today."""
    today = date.today()
    try:
        overview = system_overview(session, areas=LLR_AREAS, on=today)
    except NotFound:
        overview = None
    figure = charts.beds_by_setting_bar(overview.beds_by_setting, today) if overview else None
    return render(request, "registry/home.html", {"overview": overview, "today": today, "figure": figure})


@router.get("/registry", response_class=HTMLResponse)
def index(request: Request, session: DbSession, on: str | None = None) -> HTMLResponse:
    """Organisations and sites in effect on a day, and every area."""
    errors = FormErrors()
    day = errors.day("on", "the date", on) if on is not None else date.today()
    shown = day or date.today()
    pools = service.list_bed_pools(session, on=shown)
    context = {
        "on": shown,
        "on_text": on if errors.items else shown.isoformat(),
        "errors": errors,
        "organisations": service.list_organisations(session, on=shown),
        "sites": service.list_sites(session, on=shown),
        "areas": service.list_areas(session),
        "beds": _beds_by_site(pools),
    }
    return render(request, "registry/index.html", context, status_code=errors.status)


def _beds_by_site(pools: list[service.BedPoolRead]) -> dict[str, int]:
    beds: dict[str, int] = {}
    for pool in pools:
        beds[pool.site_id] = beds.get(pool.site_id, 0) + pool.beds
    return beds


@router.get("/registry/organisations/{id}", response_class=HTMLResponse)
def organisation(request: Request, session: DbSession, id: str) -> HTMLResponse:
    """One organisation: what it is, what it ran, where it was responsible, what came before and after."""
    return render(request, "registry/organisation.html", {"detail": service.organisation_detail(session, id)})


@router.get("/registry/sites/{id}", response_class=HTMLResponse)
def site(request: Request, session: DbSession, id: str) -> HTMLResponse:
    """One site: its operators over time, services, bed pools and a step chart of their beds."""
    detail = service.site_detail(session, id)
    figure = charts.beds_over_time(detail.pools, date.today()) if any(p.steps for p in detail.pools) else None
    return render(request, "registry/site.html", {"detail": detail, "figure": figure})


@router.get("/registry/areas/{id}", response_class=HTMLResponse)
def area(request: Request, session: DbSession, id: str) -> HTMLResponse:
    """One area: where it sits, what it contains, and who was responsible for it over time."""
    return render(request, "registry/area.html", {"detail": service.area_detail(session, id)})


@router.get("/registry/responsible", response_class=HTMLResponse)
def responsible(
    request: Request, session: DbSession, area: str | None = None, on: str | None = None
) -> HTMLResponse:
    """Pick an area and a day; see which bodies were responsible for it."""
    errors = FormErrors()
    bodies = None
    day = None
    if area is not None or on is not None:
        if not area:
            errors.add("area", "Select an area")
        day = errors.day("on", "the date", on)
        if area and day:
            try:
                bodies = service.responsible(session, area=area, on=day)
            except (NotFound, Invalid) as exc:
                errors.add("area", exc.detail)
    context: dict[str, Any] = {
        "areas": service.list_areas(session),
        "area": area or "",
        "area_id": _area(session, area).id if bodies is not None and area else "",
        "area_name": _area(session, area).name if bodies is not None and area else "",
        "on": on or "",
        "bodies_day": day,
        "bodies": bodies,
        "errors": errors,
    }
    return render(request, "registry/responsible.html", context, status_code=errors.status)


def _area(session: Session, text: str) -> service.AreaRead:
    return service.find_area(session, text)


@router.get("/registry/diff", response_class=HTMLResponse)
def diff(
    request: Request,
    session: DbSession,
    start: str | None = Query(None, alias="from"),
    end: str | None = Query(None, alias="to"),
) -> HTMLResponse:
    """Pick two days; see what opened, closed, changed operator and changed size between them."""
    errors = FormErrors()
    found = None
    if start is not None or end is not None:
        first = errors.day("from", "the first date", start)
        second = errors.day("to", "the second date", end)
        if first and second:
            try:
                found = service.diff(session, start=first, end=second)
            except Invalid as exc:
                errors.add("to", exc.detail)
    context = {"start": start or "", "end": end or "", "found": found, "errors": errors}
    return render(request, "registry/diff.html", context, status_code=errors.status)
