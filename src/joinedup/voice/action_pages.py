"""Pages of "you said, we did": the public page (what was said, what was done, whether the measure moved), its
JSON, and the pages where Healthwatch staff or an administrator record and update actions. Forms work
without JavaScript and carry the CSRF token like every other form."""

from __future__ import annotations

from typing import Annotated, get_args
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from joinedup.access.service import Principal, Role
from joinedup.errors import Conflict, Invalid
from joinedup.voice import progress, service
from joinedup.voice.action_schemas import (
    ActionCreate,
    ActionUpdateCreate,
    MeasureCreate,
    PlannerFigure,
    ReadingCreate,
    YouSaidWeDid,
)
from joinedup.voice.actions import TRANSITIONS
from joinedup.voice.themes import THEMES
from joinedup.web.auth import require_role
from joinedup.web.deps import DbSession
from joinedup.web.templating import render

public_router = APIRouter(tags=["you said, we did pages"], include_in_schema=False)
router = APIRouter(tags=["you said, we did staff pages"], include_in_schema=False)
Editor = Annotated[Principal, Depends(require_role(Role.HEALTHWATCH_STAFF, Role.ADMINISTRATOR))]
STEPS = ("update", "publish", "measure", "reading")


@public_router.get("/voice/you-said-we-did", response_class=HTMLResponse)
def you_said_we_did(request: Request, session: DbSession) -> Response:
    """What people said, what was done about it, and whether it made a difference (published only)."""
    page = service.you_said_we_did(session)
    return render(request, "voice/you_said_we_did.html", {"page": page, "shown": progress.format_value})


@public_router.get("/voice/you-said-we-did.json", response_model=YouSaidWeDid)
def you_said_we_did_data(session: DbSession) -> YouSaidWeDid:
    """The public page as data: published stories' themes and published actions with their measures."""
    return service.you_said_we_did(session)


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else str(e["msg"])
            for e in exc.errors()
        )
    return exc.detail if isinstance(exc, Invalid | Conflict) else str(exc)


def _filled(values: dict[str, str]) -> dict[str, str]:
    return {k: v.strip() for k, v in values.items() if k != "csrf_token" and v.strip()}


def _list(
    request: Request, session: DbSession, editor: Principal, values: dict[str, str], error: str
) -> Response:
    context = {
        "actions": service.list_actions(session, actor=editor), "themes": THEMES, "values": values,
        "error": error,
    }  # fmt: skip
    return render(request, "voice/actions.html", context, status_code=422 if error else 200)


@router.get("/voice/actions", response_class=HTMLResponse)
def actions(request: Request, session: DbSession, editor: Editor) -> Response:
    """Every action, and a form to record one."""
    return _list(request, session, editor, {}, "")


@router.post("/voice/actions", response_class=HTMLResponse)
async def record_action(request: Request, session: DbSession, editor: Editor) -> Response:
    """Record an action from the form, or show what to put right."""
    values = _filled({k: str(v) for k, v in (await request.form()).items()})
    try:
        create = ActionCreate.model_validate({**values, "publish": values.get("publish") == "yes"})
        created = service.create_action(session, create=create, actor=editor)
    except (Invalid, Conflict, ValidationError) as exc:
        return _list(request, session, editor, values, _problem(exc))
    return RedirectResponse(f"/voice/actions/{created.id}?done=recorded", status_code=303)


@router.get("/voice/actions/{action_id}", response_class=HTMLResponse)
def action(
    request: Request, session: DbSession, editor: Editor, action_id: int, done: str = "", error: str = ""
) -> Response:
    """One action: its updates and measure, and forms to move it along."""
    found = service.get_action(session, action_id, actor=editor)
    return render(request, "voice/action.html", {
        "action": found, "next_statuses": TRANSITIONS[found.status], "figures": get_args(PlannerFigure),
        "shown": progress.format_value, "done": done, "error": error,
    })  # fmt: skip


@router.post("/voice/actions/{action_id}/{step}")
async def act(request: Request, session: DbSession, editor: Editor, action_id: int, step: str) -> Response:
    """Record progress, publish, tie a measure or take a reading; problems come back on the action's page."""
    if step not in STEPS:
        raise Invalid(f"unknown step {step!r}; steps are {', '.join(STEPS)}")
    values = _filled({k: str(v) for k, v in (await request.form()).items()})
    try:
        _apply(session, editor, action_id, step, values)
    except (Invalid, Conflict, ValidationError) as exc:
        # No fragment: the error summary at the top takes focus on load and links on to #steps.
        url = f"/voice/actions/{action_id}?error={quote(_problem(exc)[:300])}"
        return RedirectResponse(url, status_code=303)
    return RedirectResponse(f"/voice/actions/{action_id}?done={step}", status_code=303)


def _apply(session: DbSession, editor: Principal, action_id: int, step: str, values: dict[str, str]) -> None:
    if step == "publish":
        service.publish_action(session, action_id, actor=editor)
    elif step == "update":
        update = ActionUpdateCreate.model_validate({
            "status": values.get("status"), "due_on": values.get("due_on"), "note": values.get("note"),
            "public": values.get("internal") != "yes",
        })  # fmt: skip
        service.update_action(session, action_id, update=update, actor=editor)
    elif step == "reading":
        reading = ReadingCreate.model_validate(values)
        service.add_reading(session, action_id, reading=reading, actor=editor)
    else:
        baseline = {k.removeprefix("baseline_"): v for k, v in values.items() if k.startswith("baseline_")}
        fields = {k: v for k, v in values.items() if not k.startswith("baseline_")}
        measure = MeasureCreate.model_validate({**fields, "baseline": baseline})
        service.set_measure(session, action_id, create=measure, actor=editor)
