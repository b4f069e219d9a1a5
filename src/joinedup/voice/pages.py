"""Public voice pages anyone may use: the feedback form at /voice, published stories with the provider's
reply, and consultations with their public tally. Forms work without JavaScript."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from joinedup.errors import Invalid, NotFound, TooManyRequests
from joinedup.voice import service
from joinedup.voice.api import sender_of
from joinedup.voice.places import place_choices
from joinedup.voice.schemas import MAX_COMMENT, MAX_TEXT, CommentCreate, ContactCreate, FeedbackCreate
from joinedup.web.deps import DbSession
from joinedup.web.templating import render

public_router = APIRouter(tags=["public voice pages"], include_in_schema=False)

# The order fields appear on the form, so the error summary lists problems in that order.
FORM_FIELDS = ("about", "kind", "text", "rating", "contact_email", "contact_phone")
MESSAGES = {
    ("about", "missing"): "Select the hospital, service or organisation your feedback is about",
    ("text", "missing"): "Enter your feedback",
    ("text", "string_too_long"): f"Your feedback must be {MAX_TEXT:,} characters or fewer",
    ("rating", "invalid"): "Select a rating from 1 to 5, or leave it blank",
    ("contact_email", "invalid"): "Enter an email address in the correct format, like name@example.com",
    ("contact_phone", "invalid"): "Enter a phone number, like 0116 496 0000",
    ("contact_email", "unreachable"): "Enter an email address or a phone number, or leave your name blank",
}


def _form_context(
    request: Request, session: DbSession, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    ordered = [(field, errors[field]) for field in (*FORM_FIELDS, "form") if field in errors]
    return {
        "places": place_choices(session, on=date.today()), "values": values, "errors": errors,
        "error_list": ordered, "max_text": MAX_TEXT,
    }  # fmt: skip


@public_router.get("/voice", response_class=HTMLResponse)
def feedback_form(request: Request, session: DbSession, about: str = "") -> Response:
    """The feedback form: choose a place, tell us what happened, and (if you like) how to reach you."""
    return render(request, "voice/form.html", _form_context(request, session, {"about": about}, {}))


def _errors_from(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        field = "contact_" + loc[1] if loc[0] == "contact" and len(loc) > 1 else loc[0]
        if loc == ["contact"]:
            field, kind = "contact_email", "unreachable"
        elif field == "text":
            kind = "string_too_long" if error["type"] == "string_too_long" else "missing"
        elif field == "about":
            kind = "missing"
        else:
            kind = "invalid"
        errors.setdefault(field, MESSAGES.get((field, kind), str(error["msg"])))
    return errors


def _feedback_from(values: dict[str, str]) -> FeedbackCreate:
    has_contact = any(values.get(f, "").strip() for f in ("contact_name", "contact_email", "contact_phone"))
    contact = None
    if has_contact:
        contact = ContactCreate.model_validate({
            "name": values.get("contact_name") or None, "email": values.get("contact_email") or None,
            "phone": values.get("contact_phone") or None, "wants_reply": True,
        })  # fmt: skip
    return FeedbackCreate.model_validate({
        "text": values.get("text", ""), "about": values.get("about", ""),
        "kind": values.get("kind") or "feedback",
        "rating": values.get("rating") or None, "contact": contact,
    })  # fmt: skip


@public_router.post("/voice", response_class=HTMLResponse)
def give_feedback(
    request: Request,
    session: DbSession,
    about: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    rating: Annotated[str, Form()] = "",
    contact_name: Annotated[str, Form()] = "",
    contact_email: Annotated[str, Form()] = "",
    contact_phone: Annotated[str, Form()] = "",
    website: Annotated[str, Form()] = "",
) -> Response:
    """Store the story (personal data removed) and thank the person, or show what to put right."""
    values = {
        "about": about,
        "kind": kind,
        "text": text,
        "rating": rating,
        "contact_name": contact_name,
        "contact_email": contact_email,
        "contact_phone": contact_phone,
    }
    errors: dict[str, str] = {}
    try:
        feedback = _feedback_from(values)
        stored = service.submit_feedback(
            session, feedback=feedback, sender=sender_of(request), is_suspected_spam=bool(website.strip())
        )
    except ValidationError as exc:
        errors = _errors_from(exc)
    except Invalid as exc:
        errors = (
            {"about": MESSAGES[("about", "missing")]}
            if exc.detail.startswith("about")
            else {"form": exc.detail}
        )
    except TooManyRequests as exc:
        context = _form_context(request, session, values, {"form": exc.detail})
        return render(request, "voice/form.html", context, status_code=429)
    if errors:
        return render(
            request, "voice/form.html", _form_context(request, session, values, errors), status_code=422
        )
    return render(
        request, "voice/thanks.html", {"story": stored, "had_contact": feedback.contact is not None}
    )


@public_router.get("/voice/stories", response_class=HTMLResponse)
def stories(request: Request, session: DbSession, place: str = "") -> Response:
    """Published stories, newest first, with the provider's reply; filtered to one place if asked."""
    chosen = place.strip() or None
    found = service.list_published(session, place_id=chosen, limit=100)
    return render(request, "voice/stories.html", {
        "stories": found, "place": chosen or "", "places": place_choices(session, on=date.today()),
    })  # fmt: skip


@public_router.get("/voice/stories/{reference}", response_class=HTMLResponse)
def story(request: Request, session: DbSession, reference: str) -> Response:
    """One published story and the provider's reply."""
    return render(request, "voice/story.html", {"story": service.get_feedback(session, reference)})


@public_router.get("/voice/consultations", response_class=HTMLResponse)
def consultations(request: Request, session: DbSession) -> Response:
    """Plans put to the public, with how many people support or oppose each change."""
    return render(request, "voice/consultations.html", {"consultations": service.list_consultations(session)})


@public_router.get("/voice/consultations/{consultation_id}", response_class=HTMLResponse)
def consultation(request: Request, session: DbSession, consultation_id: str, sent: str = "") -> Response:
    """One consultation: each dated change, the public tally, published comments and a form to give a view."""
    context = {
        "consultation": service.get_consultation(session, consultation_id),
        "sent": sent,
        "errors": {},
        "max_comment": MAX_COMMENT,
    }
    return render(request, "voice/consultation.html", context)


@public_router.post("/voice/consultations/{consultation_id}/changes/{change_id}", response_class=HTMLResponse)
def comment(
    request: Request,
    session: DbSession,
    consultation_id: str,
    change_id: int,
    stance: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    website: Annotated[str, Form()] = "",
) -> Response:
    """Count a view on one change; its words are shown once a moderator has read them."""
    problem = None
    try:
        body = CommentCreate.model_validate({"stance": stance, "text": text})
        service.comment_on_change(
            session,
            consultation_id=consultation_id,
            change_id=change_id,
            comment=body,
            sender=sender_of(request),
            is_suspected_spam=bool(website.strip()),
        )
    except ValidationError as exc:
        fields = {str(e["loc"][0]) for e in exc.errors()}
        problem = (
            "Select whether you support or oppose this change"
            if "stance" in fields
            else f"Your comment must be {MAX_COMMENT:,} characters or fewer"
        )
    except (Invalid, TooManyRequests) as exc:
        if isinstance(exc, NotFound):
            raise
        problem = exc.detail
    if problem is None:
        return RedirectResponse(
            f"/voice/consultations/{consultation_id}?sent={change_id}#change-{change_id}", 303
        )
    context = {
        "consultation": service.get_consultation(session, consultation_id),
        "sent": "",
        "errors": {change_id: problem},
        "values": {"stance": stance, "text": text},
        "max_comment": MAX_COMMENT,
    }
    return render(request, "voice/consultation.html", context, status_code=422)
