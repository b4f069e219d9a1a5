"""Virtual-ward pages: the virtual hospital at a glance, a team's live caseload board (server-sent events),
a patient's monitoring page with charts, and the alert, SpO2-scale and held-reading forms."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session, sessionmaker
from sse_starlette.sse import EventSourceResponse

from joinedup.monitoring import alert_report, rule_replay
from joinedup.monitoring import service as monitoring
from joinedup.monitoring.rules.thresholds import bundled_rule_set_text
from joinedup.monitoring.schemas import (
    ESCALATION_TARGETS,
    EscalationCreate,
    HeldReadingReview,
    Spo2ScaleDecisionCreate,
)
from joinedup.record import nhs_number as nhs
from joinedup.record.service import Actor
from joinedup.wards import service
from joinedup.wards.api import actor_of
from joinedup.wards.pathways import PATHWAYS
from joinedup.wards.sparkline import sparkline_points
from joinedup.web.auth import Access
from joinedup.web.deps import DbSession
from joinedup.web.templating import render, templates

router = APIRouter(tags=["virtual ward pages"], include_in_schema=False)
BOARD_POLL_SECONDS = 0.1
"""How often a live board checks for new readings and alert steps (the board shows them within a second)."""


MEASURES = {
    "pulse": "Pulse",
    "respiration_rate": "Respiration rate",
    "spo2": "SpO2",
    "systolic_bp": "Systolic blood pressure",
    "temperature": "Temperature",
    "body_weight": "Body weight",
}


def _base(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "pathways": PATHWAYS,
        "sparkline": sparkline_points,
        "format_nhs": nhs.format_,
        "measures": MEASURES,
        **extra,
    }


@router.get("/wards", response_class=HTMLResponse)
def wards_page(request: Request, session: DbSession, access: Access) -> HTMLResponse:
    """The virtual hospital at a glance: beds and occupied by ward and pathway; this month's occupancy."""
    wards = service.list_wards(session)
    month = service.monthly_occupancy(session, month=date.today().replace(day=1))
    visible = service.visible_wards(session, access.principal)
    chart = {
        "wards": [w.name.split(": ", 1)[-1] for w in wards],
        "beds": [w.beds for w in wards],
        "pathways": [
            {"name": p.name, "occupied": [w.by_pathway.get(code, 0) for w in wards]}
            for code, p in PATHWAYS.items()
        ],
    }
    return render(
        request,
        "wards/index.html",
        _base(
            {
                "wards": wards,
                "month": month,
                "visible": visible,
                "chart": chart,
                "total_beds": sum(w.beds for w in wards),
                "total_occupied": sum(w.occupied for w in wards),
                "target": service.OCCUPANCY_TARGET,
            }
        ),
    )


@router.get("/wards/alerts-report", response_class=HTMLResponse)
def alerts_report_page(
    request: Request,
    session: DbSession,
    access: Access,
    first: date | None = Query(None, alias="from"),
    last: date | None = Query(None, alias="to"),
) -> HTMLResponse:
    """Time from alert raised to acknowledged per team and day (median, 90th centile, still waiting)."""
    report = alert_report.alerts_report(session, actor=actor_of(access), first=first, last=last)
    return render(request, "wards/alerts_report.html", _base({"report": report}))


@router.get("/wards/replay", response_class=HTMLResponse)
def replay_form_page(request: Request, access: Access) -> HTMLResponse:
    """The rule replay form: a proposed rule set (TOML) and the days to replay it over."""
    today = datetime.now(UTC).date()
    return render(
        request,
        "wards/replay.html",
        _base(
            {
                "rules_toml": bundled_rule_set_text("stricter-example.toml"),
                "first": today - timedelta(days=6),
                "last": today,
                "report": None,
            }
        ),
    )


@router.post("/wards/replay", response_class=HTMLResponse)
def replay_page(
    request: Request,
    session: DbSession,
    access: Access,
    rules_toml: str = Form(..., max_length=100_000),
    first: date = Form(..., alias="from"),
    last: date = Form(..., alias="to"),
) -> HTMLResponse:
    """Replay the proposed rule set and show what it would have raised beside the current rules and live."""
    report = rule_replay.replay_rules(
        session,
        actor=actor_of(access),
        proposed=rule_replay.proposed_rule_set(rules_toml),
        first=first,
        last=last,
    )
    context = {"rules_toml": rules_toml, "first": first, "last": last, "report": report}
    return render(request, "wards/replay.html", _base(context))


def _board(session: Session, actor: Actor, ward_id: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    team = service.get_ward_team_or_raise(session, ward_id, on=now.date())
    stays = service.open_admissions(session, ward_id=ward_id)
    rows = monitoring.caseload_rows(session, stays, now=now)
    return _base(
        {"team": team, "rows": rows, "now": now, "version": monitoring.board_version(session, ward_id)}
    )


@router.get("/wards/teams/{ward_id}", response_class=HTMLResponse)
def board_page(ward_id: str, request: Request, session: DbSession, access: Access) -> HTMLResponse:
    """A team's caseload: each patient's latest NEWS2 (partial and stale said so), trend, last reading and
    alerts, updated live as readings arrive."""
    actor = actor_of(access)
    service.check_caseload_access(session, actor=actor, ward_id=ward_id, what="caseload board")
    return render(request, "wards/board.html", _board(session, actor, ward_id))


@router.get("/wards/teams/{ward_id}/rows", response_class=HTMLResponse)
def board_rows(ward_id: str, request: Request, session: DbSession, access: Access) -> HTMLResponse:
    """The board's rows alone (what the live stream sends)."""
    actor = actor_of(access)
    service.check_caseload_access(session, actor=actor, ward_id=ward_id, what="caseload board")
    return render(request, "wards/_board_rows.html", _board(session, actor, ward_id))


@router.get("/wards/teams/{ward_id}/events")
async def board_events(ward_id: str, request: Request, access: Access) -> EventSourceResponse:
    """Server-sent events: the board's rows again whenever a reading or an alert step arrives for the ward."""
    sessions: sessionmaker[Session] = request.app.state.sessions
    actor = actor_of(access)

    def check() -> None:
        with sessions() as session:
            service.check_caseload_access(session, actor=actor, ward_id=ward_id, what="live caseload board")
            session.commit()

    await run_in_threadpool(check)
    return EventSourceResponse(_board_stream(request, sessions, actor, ward_id), ping=15)


async def _board_stream(
    request: Request, sessions: sessionmaker[Session], actor: Actor, ward_id: str
) -> AsyncIterator[dict[str, str]]:
    seen: tuple[int, int] | None = None
    template = templates.env.get_template("wards/_board_rows.html")

    def version() -> tuple[int, int]:
        with sessions() as session:
            return monitoring.board_version(session, ward_id)

    def rows() -> str:
        with sessions() as session:
            context = _board(session, actor, ward_id)
            session.commit()
        return template.render(context)

    while not await request.is_disconnected():
        current = await run_in_threadpool(version)
        if seen is not None and current != seen:
            yield {
                "event": "caseload",
                "data": await run_in_threadpool(rows),
                "id": f"{current[0]}-{current[1]}",
            }
        seen = current
        await asyncio.sleep(BOARD_POLL_SECONDS)


@router.get("/wards/patients/{nhs_number}", response_class=HTMLResponse)
def patient_page(nhs_number: str, request: Request, session: DbSession, access: Access) -> HTMLResponse:
    """A patient's stay: honest NEWS2, every measure charted, alerts and their steps, held readings."""
    view = monitoring.patient_view(session, actor=actor_of(access), nhs_number=nhs_number)
    charts = [
        {
            "parameter": s.parameter,
            "unit": s.unit,
            "x": [a.isoformat() for a, _ in s.points],
            "y": [v for _, v in s.points],
            "held_x": [a.isoformat() for a, _ in s.held],
            "held_y": [v for _, v in s.held],
        }
        for s in view.series
    ]
    news2 = [{"x": at.isoformat(), "y": value, "complete": full} for at, value, full in view.news2_history]
    return render(
        request,
        "wards/patient.html",
        _base(
            {
                "view": view,
                "charts": charts,
                "news2": news2,
                "targets": ESCALATION_TARGETS,
            }
        ),
    )


def _back(nhs_number: str) -> RedirectResponse:
    return RedirectResponse(f"/wards/patients/{nhs_number}", status_code=303)


@router.post("/wards/alerts/{alert_id}/acknowledge")
def acknowledge_form(
    alert_id: str, session: DbSession, access: Access, note: str = Form("")
) -> RedirectResponse:
    """Acknowledge an alert from the patient page."""
    alert = monitoring.acknowledge_alert(session, actor=actor_of(access), alert_id=alert_id, note=note)
    return _back(alert.nhs_number)


@router.post("/wards/alerts/{alert_id}/escalate")
def escalate_form(
    alert_id: str, session: DbSession, access: Access, to: str = Form(...), note: str = Form("")
) -> RedirectResponse:
    """Escalate an alert from the patient page."""
    escalation = EscalationCreate.model_validate({"to": to, "note": note})
    alert = monitoring.escalate_alert(
        session, actor=actor_of(access), alert_id=alert_id, escalation=escalation
    )
    return _back(alert.nhs_number)


@router.post("/wards/alerts/{alert_id}/resolve")
def resolve_form(alert_id: str, session: DbSession, access: Access, note: str = Form("")) -> RedirectResponse:
    """Resolve an alert from the patient page."""
    alert = monitoring.resolve_alert(session, actor=actor_of(access), alert_id=alert_id, note=note)
    return _back(alert.nhs_number)


@router.post("/wards/patients/{nhs_number}/spo2-scale")
def spo2_scale_form(
    nhs_number: str, session: DbSession, access: Access, spo2_scale: int = Form(...), reason: str = Form(...)
) -> RedirectResponse:
    """Record the SpO2 scale decision from the patient page."""
    decision = Spo2ScaleDecisionCreate.model_validate({"spo2_scale": spo2_scale, "reason": reason})
    monitoring.decide_spo2_scale(session, actor=actor_of(access), nhs_number=nhs_number, decision=decision)
    return _back(nhs_number)


@router.post("/wards/readings/{observation_id}/review")
def review_form(
    observation_id: str,
    session: DbSession,
    access: Access,
    nhs_number: str = Form(...),
    decision: str = Form(...),
    note: str = Form(""),
) -> RedirectResponse:
    """Release or strike out a held reading from the patient page."""
    review = HeldReadingReview.model_validate({"decision": decision, "note": note})
    monitoring.review_held_reading(
        session, actor=actor_of(access), observation_id=observation_id, review=review
    )
    return _back(nhs_number)
