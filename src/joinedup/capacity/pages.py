"""The live capacity page: today's beds and occupancy by site, with pressure levels and a trend chart."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from joinedup.capacity import opel, service
from joinedup.web.auth import CurrentUser
from joinedup.web.deps import DbSession
from joinedup.web.templating import render

router = APIRouter(tags=["capacity pages"], include_in_schema=False)
TREND_DAYS = 28


@router.get("/capacity", response_class=HTMLResponse)
def capacity_page(
    request: Request, session: DbSession, user: CurrentUser, on: date | None = Query(None)
) -> HTMLResponse:
    """Live bed state of the whole system on a day (default today)."""
    day = on or date.today()
    state = service.live_bed_state(session, on=day)
    history = service.occupancy_history(session, start=day - timedelta(days=TREND_DAYS - 1), end=day)
    trend = [
        {
            "setting": setting,
            "days": [d.isoformat() for d, _, _ in rows],
            "occupancy": [round(100 * occ / beds, 1) if beds else None for _, occ, beds in rows],
        }
        for setting, rows in sorted(history.items())
    ]
    return render(request, "capacity/index.html", {"state": state, "trend": trend, "labels": opel.LABELS})
