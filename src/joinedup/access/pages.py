"""Access pages: log in and out, user admin, the break-glass review queue, the audit search, and the page
where a patient sees who looked at their record."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from joinedup.access import service as access
from joinedup.access.policy import PatientContext, Principal, Role
from joinedup.access.schemas import AuditQuery, BreakGlassReview, PatientAccessRead
from joinedup.errors import Conflict, Forbidden, Invalid
from joinedup.settings import Settings
from joinedup.web.auth import (
    SESSION_COOKIE,
    CurrentUser,
    client_address,
    request_id,
    require_role,
    session_claims,
    session_cookie_settings,
)
from joinedup.web.deps import DbSession
from joinedup.web.templating import render

public_router = APIRouter(tags=["access pages"], include_in_schema=False)
router = APIRouter(tags=["access pages"], include_in_schema=False)

Administrator = Annotated[Principal, Depends(require_role(Role.ADMINISTRATOR))]
PrivacyOfficer = Annotated[Principal, Depends(require_role(Role.PRIVACY_OFFICER))]
Patient = Annotated[Principal, Depends(require_role(Role.PATIENT))]
LANDING = {
    Role.PATIENT: "/my-record/access",
    Role.PRIVACY_OFFICER: "/access/break-glass",
    Role.ADMINISTRATOR: "/access/users",
}
USER_FIELDS = ("username", "display_name", "role", "organisation_ods", "team_ids", "nhs_number", "password")


def safe_next(target: str | None) -> str:
    """A local path to return to after log-in; anything that could leave the site becomes ''."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return ""
    return target


def _error(field: str, text: str) -> dict[str, dict[str, str]]:
    return {field: {"text": text, "href": f"#{field}"}}


@public_router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "", signed_out: bool = False) -> Response:
    """The log-in form."""
    context = {"next": safe_next(next), "errors": {}, "username": "", "signed_out": signed_out}
    return render(request, "access/login.html", context)


@public_router.post("/login", response_class=HTMLResponse)
def log_in(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the username and password (throttled after repeated failures) and start a session."""
    errors: dict[str, dict[str, str]] = {}
    if not username.strip():
        errors |= _error("username", "Enter your username")
    if not password:
        errors |= _error("password", "Enter your password")
    context = {"next": safe_next(next), "username": username, "signed_out": False}
    if errors:
        return render(request, "access/login.html", {**context, "errors": errors}, status_code=422)
    settings: Settings = request.app.state.settings
    outcome = access.log_in(
        session, username=username, password=password, source_address=client_address(request),
        secret=settings.signing_key, request_id=request_id(request),
    )  # fmt: skip
    if outcome.cookie is None or outcome.user is None:
        errors = _error("username", outcome.problem or "You could not be logged in")
        return render(request, "access/login.html", {**context, "errors": errors}, status_code=outcome.status)
    target = safe_next(next) or LANDING.get(Role(outcome.user.role), "/")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, outcome.cookie, expires=outcome.expires_at, **session_cookie_settings(settings)
    )
    return response


@router.post("/logout")
def log_out(request: Request, session: DbSession, principal: CurrentUser) -> Response:
    """End this browser's session."""
    claims = session_claims(request)
    if claims is not None:
        access.log_out(session, claims=claims, request_id=request_id(request))
    response = RedirectResponse("/login?signed_out=true", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/access/users", response_class=HTMLResponse)
def users_page(request: Request, session: DbSession, admin: Administrator, added: str = "") -> Response:
    """Every user, and a form to add one (administrators only)."""
    return _users_page(request, session, form=dict.fromkeys(USER_FIELDS, ""), errors={}, added=added)


def _users_page(
    request: Request, session: DbSession, *, form: dict[str, str], errors: dict[str, Any], added: str = ""
) -> Response:
    context = {
        "users": access.list_users(session),
        "roles": [role.value for role in Role],
        "form": form,
        "errors": errors,
        "added": added,
    }
    return render(request, "access/users.html", context, status_code=422 if errors else 200)


@router.post("/access/users", response_class=HTMLResponse)
def add_user(
    request: Request,
    session: DbSession,
    admin: Administrator,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    organisation_ods: Annotated[str, Form()] = "",
    team_ids: Annotated[str, Form()] = "",
    nhs_number: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Add a user; the organisation must be in the registry (administrators only)."""
    form = {
        "username": username, "display_name": display_name, "role": role,
        "organisation_ods": organisation_ods, "team_ids": team_ids, "nhs_number": nhs_number, "password": "",
    }  # fmt: skip
    data = {
        "username": username, "display_name": display_name or None, "role": role,
        "organisation_ods": organisation_ods or None, "nhs_number": nhs_number or None,
        "password": password or None, "team_ids": [t for t in team_ids.split(",") if t.strip()],
    }  # fmt: skip
    try:
        user = access.create_user(session, data, actor=admin, request_id=request_id(request))
    except (Invalid, Conflict) as exc:
        field, _, text = exc.detail.partition(": ")
        if field not in USER_FIELDS:
            field, text = "username", exc.detail
        return _users_page(request, session, form=form, errors=_error(field, text[:1].upper() + text[1:]))
    return RedirectResponse(f"/access/users?added={user.username}", status_code=303)


@router.get("/access/break-glass", response_class=HTMLResponse)
def break_glass_page(
    request: Request, session: DbSession, officer: PrivacyOfficer, reviewed: str = ""
) -> Response:
    """The privacy officer's queue of break-glass access waiting for review."""
    access.authorise(
        session, principal=officer, action="search", resource_type="AuditEvent",
        request_id=request_id(request), source_address=client_address(request),
    )  # fmt: skip
    context = {
        "pending": access.list_break_glass(session, status="pending"),
        "reviewed_grants": [g for g in access.list_break_glass(session, status=None, limit=50)
                            if g.review_status != "pending"][:20],
        "reviewed": reviewed,
    }  # fmt: skip
    return render(request, "access/break_glass.html", context)


@router.get("/access/break-glass/new", response_class=HTMLResponse)
def break_glass_form(
    request: Request, principal: CurrentUser, nhs_number: str = "", next: str = ""
) -> Response:
    """Ask a clinician why they must open a record they have no relationship with."""
    if not principal.is_clinical:
        raise Forbidden("break-glass is for clinical roles only")
    context = {"nhs_number": nhs_number, "next": safe_next(next), "reason": "", "errors": {}}
    return render(request, "access/break_glass_new.html", context)


@router.post("/access/break-glass/new", response_class=HTMLResponse)
def break_glass(
    request: Request,
    session: DbSession,
    principal: CurrentUser,
    nhs_number: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Open a 4-hour break-glass grant for one patient, then go back to the record."""
    try:
        access.break_glass(
            session, principal=principal, nhs_number=nhs_number, reason=reason,
            request_id=request_id(request), source_address=client_address(request),
        )  # fmt: skip
    except Invalid as exc:
        field, _, text = exc.detail.partition(": ")
        context = {"nhs_number": nhs_number, "next": safe_next(next), "reason": reason,
                   "errors": _error(field, text[:1].upper() + text[1:])}  # fmt: skip
        return render(request, "access/break_glass_new.html", context, status_code=422)
    return RedirectResponse(safe_next(next) or "/", status_code=303)


@router.post("/access/break-glass/{grant_id}")
def review_break_glass(
    request: Request,
    session: DbSession,
    officer: PrivacyOfficer,
    grant_id: int,
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Record the privacy officer's finding on one break-glass grant."""
    try:
        review = BreakGlassReview(outcome=outcome, note=note or None)
    except ValidationError as exc:
        raise Invalid("outcome: choose 'Accept as justified' or 'Refer for investigation'") from exc
    access.review_break_glass(
        session, grant_id=grant_id, reviewer=officer, review=review, request_id=request_id(request)
    )
    return RedirectResponse(f"/access/break-glass?reviewed={grant_id}", status_code=303)


@router.get("/access/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: DbSession,
    officer: PrivacyOfficer,
    username: str = "",
    nhs_number: str = "",
    date_from: str = "",
    date_to: str = "",
    outcome: str = "",
) -> Response:
    """Search the audit log by user, patient, date and outcome (privacy officer)."""
    form = {"username": username, "nhs_number": nhs_number, "date_from": date_from, "date_to": date_to,
            "outcome": outcome}  # fmt: skip
    errors: dict[str, Any] = {}
    dates: dict[str, date | None] = {}
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        try:
            dates[name] = date.fromisoformat(value) if value else None
        except ValueError:
            errors |= _error(name, "Enter a real date, for example 2026-03-31")
    digits = nhs_number.replace(" ", "")
    if digits and not (digits.isascii() and digits.isdigit() and len(digits) == 10):
        errors |= _error("nhs_number", "An NHS number has 10 digits")
    if outcome not in ("", "allowed", "refused"):
        errors |= _error("outcome", "Choose allowed, refused or any")
    if errors:
        return render(request, "access/audit.html", {"form": form, "errors": errors, "page": None}, 422)
    query = AuditQuery(
        username=username or None, nhs_number=digits or None, outcome=outcome or None,
        limit=200, **dates,
    )  # fmt: skip
    access.authorise(
        session, principal=officer, action="search", resource_type="AuditEvent",
        patient=PatientContext(nhs_number=digits) if digits else None,
        request_id=request_id(request), source_address=client_address(request),
    )  # fmt: skip
    page = access.search_audit(session, query)
    return render(request, "access/audit.html", {"form": form, "errors": {}, "page": page})


def describe(entry: PatientAccessRead) -> str:
    """A plain-English line for what someone did to the record."""
    verbs = {"read": "Opened", "search": "Looked through", "create": "Added to", "update": "Changed",
             "delete": "Removed part of"}  # fmt: skip
    verb = verbs.get(entry.action)
    if verb is None:
        return entry.action.replace("-", " ").capitalize()
    what = {"Patient": "your details", "AuditEvent": "this access log"}.get(
        entry.resource_type or "", f"your record ({entry.resource_type})"
    )
    return f"{verb} {what}"


@router.get("/my-record/access", response_class=HTMLResponse)
def my_record_access(request: Request, session: DbSession, patient: Patient) -> Response:
    """Who looked at my record, when and why, including emergency (break-glass) access."""
    nhs_number = patient.nhs_number or ""
    access.authorise(
        session, principal=patient, action="search", resource_type="AuditEvent",
        patient=PatientContext(nhs_number=nhs_number), request_id=request_id(request),
        source_address=client_address(request),
    )  # fmt: skip
    entries = [
        e for e in access.patient_access_log(session, nhs_number)
        if not (e.username == patient.username and e.resource_type == "AuditEvent")
    ]  # fmt: skip
    return render(request, "access/my_access.html", {"entries": entries, "describe": describe})
