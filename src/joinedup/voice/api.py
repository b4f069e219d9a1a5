"""Public voice JSON API under /api/voice: the open door for stories and consultation views, and the
Healthwatch staff's moderation, themes, replies, trends and board reports."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from joinedup.access.service import Principal, Role
from joinedup.errors import NotFound
from joinedup.voice import service
from joinedup.voice.schemas import (
    BoardReport,
    CommentCreate,
    CommentRead,
    ConsultationCreate,
    ConsultationRead,
    FeedbackCreate,
    FeedbackRead,
    ModerationRead,
    PrivateDetailsRead,
    PublicTextUpdate,
    RejectRequest,
    ReplyCreate,
    ThemesConfirm,
    TrendRow,
)
from joinedup.web.auth import client_address, require_role
from joinedup.web.deps import DbSession


class ErrorRead(BaseModel):
    detail: str


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    said = {
        401: "No token or session", 403: "Not Healthwatch staff", 404: "No such story, place or consultation",
        409: "Already done", 422: "Something sent is missing, too long or not in the registry",
        429: "Too many messages from one connection in a short time",
    }  # fmt: skip
    return {code: {"model": ErrorRead, "description": said[code]} for code in codes}


public_router = APIRouter(tags=["public voice"])
router = APIRouter(tags=["public voice (Healthwatch staff)"], responses=_errors(401, 403))
Staff = Annotated[Principal, Depends(require_role(Role.HEALTHWATCH_STAFF))]


def sender_of(request: Request) -> str:
    """The keyed hash of the caller's address that flood limits count (the address itself is not kept)."""
    return service.sender_key(client_address(request), request.app.state.settings.signing_key)


@public_router.post("/feedback", status_code=201, response_model=FeedbackRead, responses=_errors(422, 429))
def give_feedback(feedback: FeedbackCreate, request: Request, session: DbSession) -> FeedbackRead:
    """Give feedback or raise a concern about a place (no login); answered with the stored, redacted story."""
    return service.submit_feedback(session, feedback=feedback, sender=sender_of(request))


@public_router.get("/stories", response_model=list[FeedbackRead], responses=_errors(422))
def published_stories(
    session: DbSession,
    place: str | None = None,
    organisation: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[FeedbackRead]:
    """Published stories, newest first, with the provider's reply; `place` is a site, service or organisation
    id, `organisation` a registry organisation id."""
    return service.list_published(
        session, place_id=place, organisation_id=organisation, limit=limit, offset=offset
    )


@public_router.get("/stories/{reference}", response_model=FeedbackRead, responses=_errors(404))
def published_story(reference: str, session: DbSession) -> FeedbackRead:
    """One published story with the provider's reply."""
    return service.get_feedback(session, reference)


@public_router.get("/consultations", response_model=list[ConsultationRead])
def consultations(session: DbSession) -> list[ConsultationRead]:
    """Every consultation with each change's public tally and published comments."""
    return service.list_consultations(session)


@public_router.get(
    "/consultations/{consultation_id}", response_model=ConsultationRead, responses=_errors(404)
)
def consultation(consultation_id: str, session: DbSession) -> ConsultationRead:
    """One consultation: its changes, the public tally of views on each, and the published comments."""
    return service.get_consultation(session, consultation_id)


@public_router.get(
    "/consultations/{consultation_id}/export.csv", response_class=Response, responses=_errors(404)
)
def consultation_csv(consultation_id: str, session: DbSession) -> Response:
    """The consultation's tally and published comments as CSV, one row per change, for the board."""
    body = service.export_consultation_csv(session, consultation_id)
    headers = {"Content-Disposition": f'attachment; filename="{consultation_id}-consultation.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@public_router.post(
    "/consultations/{consultation_id}/changes/{change_id}/comments",
    status_code=201,
    response_model=CommentRead,
    responses=_errors(404, 422, 429),
)
def comment(
    consultation_id: str, change_id: int, body: CommentCreate, request: Request, session: DbSession
) -> CommentRead:
    """Give a view on one change of an open consultation (no login); words are shown once moderated."""
    return service.comment_on_change(
        session, consultation_id=consultation_id, change_id=change_id, comment=body, sender=sender_of(request)
    )


@router.get("/moderation", response_model=list[ModerationRead])
def moderation_queue(session: DbSession, staff: Staff) -> list[ModerationRead]:
    """Stories waiting for a decision, held ones first."""
    return service.moderation_queue(session, actor=staff)


@router.get("/feedback/{reference}", response_model=ModerationRead, responses=_errors(404))
def story_for_staff(reference: str, session: DbSession, staff: Staff) -> ModerationRead:
    """Any story, in whatever state, with suggested and confirmed themes."""
    return service.get_for_moderation(session, reference, actor=staff)


@router.post("/feedback/{reference}/publish", response_model=FeedbackRead, responses=_errors(404, 422))
def publish(reference: str, session: DbSession, staff: Staff) -> FeedbackRead:
    """Publish a story."""
    return service.publish(session, reference, actor=staff)


@router.post("/feedback/{reference}/reject", response_model=ModerationRead, responses=_errors(404, 422))
def reject(reference: str, body: RejectRequest, session: DbSession, staff: Staff) -> ModerationRead:
    """Reject a story, saying why."""
    return service.reject(session, reference, reason=body.reason, actor=staff)


@router.post("/feedback/{reference}/text", response_model=ModerationRead, responses=_errors(404, 422))
def rewrite(reference: str, body: PublicTextUpdate, session: DbSession, staff: Staff) -> ModerationRead:
    """Replace the public text (to take out what redaction missed); it is redacted again."""
    return service.rewrite_public_text(session, reference, text=body.text, actor=staff)


@router.post(
    "/feedback/{reference}/request-response", response_model=ModerationRead, responses=_errors(404, 422)
)
def ask_provider(reference: str, session: DbSession, staff: Staff) -> ModerationRead:
    """Ask the provider that runs the place to respond."""
    return service.request_response(session, reference, actor=staff)


@router.post("/feedback/{reference}/reply", response_model=FeedbackRead, responses=_errors(404, 422))
def reply(reference: str, body: ReplyCreate, session: DbSession, staff: Staff) -> FeedbackRead:
    """Publish the provider's reply beside a published story."""
    return service.record_reply(session, reference, reply=body, actor=staff)


@router.put("/feedback/{reference}/themes", response_model=ModerationRead, responses=_errors(404, 422))
def confirm_themes(reference: str, body: ThemesConfirm, session: DbSession, staff: Staff) -> ModerationRead:
    """Confirm a story's themes and their polarity (replacing any confirmed before)."""
    return service.confirm_themes(session, reference, choices=body.themes, actor=staff)


@router.get("/feedback/{reference}/private", response_model=PrivateDetailsRead | None, responses=_errors(404))
def private_details(reference: str, session: DbSession, staff: Staff) -> PrivateDetailsRead | None:
    """Contact details (null if none were given); every look is audited."""
    return service.private_details(session, reference, actor=staff)


@router.delete("/feedback/{reference}/private", status_code=204, responses=_errors(404))
def erase_private_details(reference: str, session: DbSession, staff: Staff) -> Response:
    """Erase a story's contact details on the person's request."""
    if not service.erase_private_details(session, reference, actor=staff):
        raise NotFound(f"story {reference} has no private details")
    return Response(status_code=204)


@router.get("/trends", response_model=list[TrendRow], responses=_errors(422))
def trends(
    session: DbSession,
    staff: Staff,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    organisation: str | None = None,
) -> list[TrendRow]:
    """Stories per organisation and month, with sentiment and mean rating."""
    return service.trends(session, start=start, end=end, organisation_id=organisation)


@router.get("/report", response_model=BoardReport, responses=_errors(404, 422))
def board_report(
    session: DbSession,
    staff: Staff,
    org: str,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
) -> BoardReport:
    """The board report for an organisation (ODS code) and period, as data."""
    return service.board_report(session, ods_code=org, start=start, end=end)


@router.post(
    "/consultations", status_code=201, response_model=ConsultationRead, responses=_errors(404, 409, 422)
)
def publish_consultation(body: ConsultationCreate, session: DbSession, staff: Staff) -> ConsultationRead:
    """Put a bundled planner scenario out for consultation, one question per dated change."""
    return service.publish_consultation(session, create=body, actor=staff)


@router.post("/comments/{reference}/publish", response_model=CommentRead, responses=_errors(404, 422))
def publish_comment(reference: str, session: DbSession, staff: Staff) -> CommentRead:
    """Publish a consultation comment's words."""
    return service.moderate_comment(session, reference, publish=True, actor=staff)


@router.post("/comments/{reference}/reject", response_model=CommentRead, responses=_errors(404))
def reject_comment(reference: str, session: DbSession, staff: Staff) -> CommentRead:
    """Reject a consultation comment (it no longer counts in the tally)."""
    return service.moderate_comment(session, reference, publish=False, actor=staff)
