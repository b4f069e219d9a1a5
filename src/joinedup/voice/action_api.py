"""JSON API of "you said, we did" under /api/voice/actions: Healthwatch staff (or an administrator) record
actions on themes and concerns, move them along, and tie and read their measures. The public reads
published actions at /voice/you-said-we-did.json."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from joinedup.access.service import Principal, Role
from joinedup.voice import service
from joinedup.voice.action_schemas import (
    ActionCreate,
    ActionRead,
    ActionUpdateCreate,
    MeasureCreate,
    ReadingCreate,
)
from joinedup.web.auth import require_role
from joinedup.web.deps import DbSession


class ErrorRead(BaseModel):
    detail: str


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    said = {
        401: "No token or session", 403: "Not Healthwatch staff or an administrator", 404: "No such action",
        409: "The action cannot go there from where it is, or it is already done",
        422: "Something sent is missing, out of range, or not known to the registry or the planner",
    }  # fmt: skip
    return {code: {"model": ErrorRead, "description": said[code]} for code in codes}


router = APIRouter(tags=["you said, we did (Healthwatch staff)"], responses=_errors(401, 403))
Editor = Annotated[Principal, Depends(require_role(Role.HEALTHWATCH_STAFF, Role.ADMINISTRATOR))]


@router.get("", response_model=list[ActionRead])
def list_actions(session: DbSession, editor: Editor, open_only: bool = False) -> list[ActionRead]:
    """Every action (only planned and in-progress ones with `open_only=true`), soonest due first."""
    return service.list_actions(session, actor=editor, only_open=open_only)


@router.post("", status_code=201, response_model=ActionRead, responses=_errors(422))
def create_action(body: ActionCreate, session: DbSession, editor: Editor) -> ActionRead:
    """Record an action on a theme or concern, with its owner, due date and, if given, its measure."""
    return service.create_action(session, create=body, actor=editor)


@router.get("/{action_id}", response_model=ActionRead, responses=_errors(404, 422))
def get_action(action_id: int, session: DbSession, editor: Editor) -> ActionRead:
    """One action with every update and its measure's readings."""
    return service.get_action(session, action_id, actor=editor)


@router.post("/{action_id}/updates", response_model=ActionRead, responses=_errors(404, 409, 422))
def update_action(action_id: int, body: ActionUpdateCreate, session: DbSession, editor: Editor) -> ActionRead:
    """A dated step: a new status (409 if the action cannot go there), a new due date, a note."""
    return service.update_action(session, action_id, update=body, actor=editor)


@router.post("/{action_id}/publish", response_model=ActionRead, responses=_errors(404, 409, 422))
def publish_action(action_id: int, session: DbSession, editor: Editor) -> ActionRead:
    """Show the action on the public "you said, we did" page."""
    return service.publish_action(session, action_id, actor=editor)


@router.put("/{action_id}/measure", response_model=ActionRead, responses=_errors(404, 409, 422))
def set_measure(action_id: int, body: MeasureCreate, session: DbSession, editor: Editor) -> ActionRead:
    """Tie a measure (registry, planner or waiting figure) to an action that has none, with its baseline."""
    return service.set_measure(session, action_id, create=body, actor=editor)


@router.post("/{action_id}/measure/readings", response_model=ActionRead, responses=_errors(404, 422))
def add_reading(action_id: int, body: ReadingCreate, session: DbSession, editor: Editor) -> ActionRead:
    """Take one more reading of the action's measure (it becomes the current value)."""
    return service.add_reading(session, action_id, reading=body, actor=editor)
