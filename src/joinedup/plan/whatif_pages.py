"""What-if page: a forecast from today's census as a fan chart per site and system, with OPEL levels."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from joinedup.capacity import opel
from joinedup.errors import Invalid
from joinedup.plan import whatif, whatif_service
from joinedup.plan.whatif_api import Planner
from joinedup.web.deps import DbSession
from joinedup.web.templating import render

router = APIRouter(tags=["planner pages"], include_in_schema=False)


@router.get("/plan/whatif", response_class=HTMLResponse)
def whatif_page(
    request: Request,
    session: DbSession,
    user: Planner,
    from_census: str | None = Query(None),
    changes: str | None = Query(None),
    days: str | None = Query(None),
    replications: str | None = Query(None),
    seed: str | None = Query(None),
) -> HTMLResponse:
    """Forecast every pool from the census of a day (default today), with changes, as fan charts."""
    form = {
        "from_census": from_census or date.today().isoformat(),
        "changes": changes or "",
        "days": days or str(whatif.DEFAULT_DAYS),
        "replications": replications or str(whatif_service.DEFAULT_REPLICATIONS),
        "seed": seed or "1",
    }
    document, error = None, None
    try:
        document = whatif_service.run_whatif(session, **_parsed(form))
    except Invalid as exc:
        error = exc.detail
    return render(
        request,
        "plan/whatif.html",
        {
            "form": form,
            "error": error,
            "forecast": document,
            "chart": _chart_data(document) if document else None,
            "labels": opel.LABELS,
            "max_replications": whatif_service.MAX_WEB_REPLICATIONS,
        },
        status_code=422 if error else 200,
    )


def _parsed(form: dict[str, str]) -> dict[str, Any]:
    try:
        on = date.fromisoformat(form["from_census"].strip())
    except ValueError:
        raise Invalid(f"Census day: {form['from_census']!r} is not a date (YYYY-MM-DD)") from None
    numbers = {}
    for name, label in (("days", "Days"), ("replications", "Replications"), ("seed", "Seed")):
        try:
            numbers[name] = int(form[name].strip())
        except ValueError:
            raise Invalid(f"{label}: {form[name]!r} is not a whole number") from None
    if numbers["replications"] > whatif_service.MAX_WEB_REPLICATIONS:
        raise Invalid(f"Replications: at most {whatif_service.MAX_WEB_REPLICATIONS} from the browser")
    whatif_service.check_web_size(numbers["days"], numbers["replications"])
    changes = [line.strip() for line in form["changes"].splitlines() if line.strip()]
    return {"on": on, "changes": changes, **numbers}


def _chart_data(document: dict[str, Any]) -> dict[str, Any]:
    """What the charts draw: occupancy bands, blocking (%) and levels per day for the system and each site."""
    groups = [document["system"], *document["sites"]]
    return {
        "dates": document["dates"],
        "groups": [
            {
                "id": g["id"],
                "name": g["name"],
                "beds": g["beds"],
                "start": g["start"],
                "bands": {k: [_percent(v) for v in values] for k, values in g["occupancy_bands"].items()},
                "level": g["level"],
                "blocked": {k: [_percent(v) for v in values] for k, values in g["blocked_daily"].items()},
            }
            for g in groups
        ],
    }


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 2)
