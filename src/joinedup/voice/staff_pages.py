"""Public voice pages for Healthwatch staff: the moderation queue and each story's actions, trends by
organisation and month, the printable board report, and publishing a plan for consultation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from joinedup.access.service import Principal, Role
from joinedup.errors import Invalid
from joinedup.voice import charts, service
from joinedup.voice.report_page import report_context
from joinedup.voice.schemas import ConsultationCreate, ReplyCreate, ThemeChoice
from joinedup.voice.themes import THEMES
from joinedup.web.auth import require_role
from joinedup.web.deps import DbSession
from joinedup.web.templating import render

router = APIRouter(tags=["public voice staff pages"], include_in_schema=False)
Staff = Annotated[Principal, Depends(require_role(Role.HEALTHWATCH_STAFF))]
From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]


def _back(reference: str, done: str) -> Response:
    return RedirectResponse(f"/voice/moderation/{reference}?done={done}", status_code=303)


@router.get("/voice/moderation", response_class=HTMLResponse)
def queue(request: Request, session: DbSession, staff: Staff) -> Response:
    """Stories and consultation comments waiting for a decision."""
    return render(request, "voice/moderation.html", {
        "stories": service.moderation_queue(session, actor=staff),
        "comments": service.list_comments_awaiting(session, actor=staff),
    })  # fmt: skip


@router.get("/voice/moderation/{reference}", response_class=HTMLResponse)
def story(
    request: Request, session: DbSession, staff: Staff, reference: str, done: str = "", error: str = ""
) -> Response:
    """One story with everything a moderator may do to it."""
    return render(request, "voice/moderation_story.html", {
        "story": service.get_for_moderation(session, reference, actor=staff), "themes": THEMES, "done": done,
        "error": error,
    })  # fmt: skip


@router.get("/voice/moderation/{reference}/private", response_class=HTMLResponse)
def private(request: Request, session: DbSession, staff: Staff, reference: str) -> Response:
    """The story's contact details (each look is audited)."""
    details = service.private_details(session, reference, actor=staff)
    return render(request, "voice/private.html", {"reference": reference.upper(), "details": details})


@router.post("/voice/moderation/{reference}/{action}")
async def act(request: Request, session: DbSession, staff: Staff, reference: str, action: str) -> Response:
    """Publish, reject, rewrite, ask the provider, record a reply, confirm themes or erase contact details."""
    form = await request.form()
    value = {k: str(v) for k, v in form.items()}
    try:
        done = _apply(session, staff, reference, action, value, [str(t) for t in form.getlist("theme")])
    except (Invalid, ValidationError) as exc:
        problem = exc.detail if isinstance(exc, Invalid) else "; ".join(str(e["msg"]) for e in exc.errors())
        return RedirectResponse(f"/voice/moderation/{reference}?error={problem[:300]}", status_code=303)
    return _back(reference, done)


def _apply(
    session: DbSession,
    staff: Principal,
    reference: str,
    action: str,
    value: dict[str, str],
    themes: list[str],
) -> str:
    if action == "publish":
        service.publish(session, reference, actor=staff)
    elif action == "reject":
        service.reject(
            session, reference, reason=value.get("reason", "").strip() or _missing("a reason"), actor=staff
        )
    elif action == "text":
        service.rewrite_public_text(session, reference, text=value.get("text", ""), actor=staff)
    elif action == "request-response":
        service.request_response(session, reference, actor=staff)
    elif action == "reply":
        body = ReplyCreate.model_validate(
            {"responder": value.get("responder", ""), "text": value.get("text", "")}
        )
        service.record_reply(session, reference, reply=body, actor=staff)
    elif action == "themes":
        choices = [
            ThemeChoice.model_validate({"theme": t, "polarity": value.get(f"polarity-{t}", "neutral")})
            for t in themes
        ]
        service.confirm_themes(session, reference, choices=choices, actor=staff)
    elif action == "erase":
        service.erase_private_details(session, reference, actor=staff)
    else:
        raise Invalid(f"unknown action {action!r}")
    return action


def _missing(what: str) -> str:
    raise Invalid(f"give {what}")


@router.post("/voice/moderation/comments/{reference}/{decision}")
def comment(session: DbSession, staff: Staff, reference: str, decision: str) -> Response:
    """Publish or reject a consultation comment's words."""
    if decision not in ("publish", "reject"):
        raise Invalid(f"unknown decision {decision!r}")
    service.moderate_comment(session, reference, publish=decision == "publish", actor=staff)
    return RedirectResponse("/voice/moderation", status_code=303)


@router.post("/voice/consultations")
def publish_consultation(session: DbSession, staff: Staff, scenario: Annotated[str, Form()] = "") -> Response:
    """Put a bundled planner scenario out for consultation."""
    try:
        create = ConsultationCreate(scenario=scenario)
    except ValidationError:
        raise Invalid(
            f"scenario: {scenario!r} is not the name of a bundled scenario (e.g. llr-stp-2016)"
        ) from None
    created = service.publish_consultation(session, create=create, actor=staff)
    return RedirectResponse(f"/voice/consultations/{created.id}", status_code=303)


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or date.today()
    return start or (end - timedelta(days=365)), end


@router.get("/voice/trends", response_class=HTMLResponse)
def trends(
    request: Request,
    session: DbSession,
    staff: Staff,
    start: From = None,
    end: To = None,
    organisation: str = "",
) -> Response:
    """Stories by organisation and month, as a chart and a table."""
    start, end = _period(start, end)
    rows = service.trends(session, start=start, end=end, organisation_id=organisation or None)
    organisations = sorted({(r.organisation_id, r.organisation_name) for r in rows}, key=lambda o: o[1])
    return render(request, "voice/trends.html", {
        "rows": rows, "start": start, "end": end, "organisation": organisation,
        "organisations": organisations,
        "figure": charts.trend_figure(rows),
    })  # fmt: skip


@router.get("/voice/report", response_class=HTMLResponse)
def board_report(
    request: Request, session: DbSession, staff: Staff, org: str = "", start: From = None, end: To = None
) -> Response:
    """The board report for an organisation and period: one printable page."""
    start, end = _period(start, end)
    if not org.strip():
        return render(request, "voice/report_choose.html", {"start": start, "end": end})
    report = service.board_report(session, ods_code=org, start=start, end=end)
    return render(request, "voice/report.html", report_context(report, inline_plotly=False))
