"""Discharge pages: delays by site, a receiving team's queue, a site's delayed list, a referral with its
history and the forms that move it on, and the form that raises one. Each patient shown is access-checked."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from joinedup.discharge import service, workflow
from joinedup.discharge.api import actor_of
from joinedup.discharge.schemas import CancelCreate, CloseCreate, ReferralCreate, StepCreate, UpdateCreate
from joinedup.errors import Conflict, Forbidden, Invalid, JoinedupError
from joinedup.record import nhs_number as nhs
from joinedup.registry import service as registry
from joinedup.web.auth import Access, AccessContext
from joinedup.web.deps import DbSession
from joinedup.web.templating import render

router = APIRouter(tags=["discharge pages"], include_in_schema=False)
M = TypeVar("M", bound=BaseModel)
HOSPITAL_SETTINGS = ("acute", "community", "mental health", "maternity")


def _names(session: Session) -> dict[str, Any]:
    today = date.today()
    return {
        "site_names": {s.id: s.name for s in registry.list_sites(session, on=today)},
        "team_names": {t.id: t.name for t in registry.list_teams(session, on=today)},
        "pool_names": {p.id: p.name for p in registry.list_bed_pools(session, on=today)},
        "kinds": workflow.KINDS,
        "outcomes": workflow.OUTCOMES,
        "format_nhs": nhs.format_,
    }


@router.get("/discharge", response_class=HTMLResponse)
def discharge_page(request: Request, session: DbSession, access: Access) -> HTMLResponse:
    """Delayed patients and bed-days by site today, and the caller's team queues."""
    delayed = service.delayed_list(session)
    sites: dict[str, list[Any]] = {}
    for pool in delayed.pools:
        sites.setdefault(pool.site_id, []).append(pool)
    context = {"delayed": delayed, "sites": sites, "my_teams": sorted(access.principal.team_ids)}
    return render(request, "discharge/index.html", {**_names(session), **context})


@router.get("/discharge/teams/{team_id}", response_class=HTMLResponse)
def team_queue(team_id: str, request: Request, session: DbSession, access: Access) -> HTMLResponse:
    """A receiving team's open referrals, oldest first, with the days each patient has waited."""
    rows = service.list_referrals(session, actor=actor_of(access), team_id=team_id, open_only=True)
    context = {"team_id": team_id, "referrals": rows}
    return render(request, "discharge/team.html", {**_names(session), **context})


@router.get("/discharge/sites/{site_id}", response_class=HTMLResponse)
def site_delays(site_id: str, request: Request, session: DbSession, access: Access) -> HTMLResponse:
    """A hospital site's patients waiting to leave, longest wait first."""
    rows = service.list_referrals(session, actor=actor_of(access), site_id=site_id, open_only=True)
    rows.sort(key=lambda r: (-r.days_waited, r.raised_at))
    context = {"site_id": site_id, "referrals": rows, "bed_days": _bed_days(rows)}
    return render(request, "discharge/site.html", {**_names(session), **context})


def _bed_days(rows: list[Any]) -> int:
    """One bed per patient, with their longest wait (as the delayed list counts it)."""
    longest: dict[str, int] = {}
    for r in rows:
        longest[r.nhs_number] = max(longest.get(r.nhs_number, 0), r.days_waited)
    return sum(longest.values())


Problems = dict[str, dict[str, str]]  # form field id -> {"text": what to put right, "href": "#field id"}
# What to tell the person about each form field when it is missing, not one we know, or too long.
RAISE_SAYS: dict[str, dict[str, str]] = {
    "nhs_number": {
        "missing": "Enter the patient's NHS number",
        "invalid": "Enter a valid 10-digit NHS number",
    },
    "pool_id": {
        "missing": "Choose where the patient is",
        "invalid": "Choose where the patient is from the list",
    },
    "kind": {
        "missing": "Choose what the patient needs to leave hospital",
        "invalid": "Choose what the patient needs to leave hospital from the list",
    },
    "team_id": {"missing": "Choose the receiving team", "invalid": "Choose a receiving team from the list"},
    "medically_fit_on": {
        "invalid": "Enter the date the patient was medically fit as a real date, YYYY-MM-DD"
    },
    "note": {"invalid": "What the team needs to know must be 1,000 characters or fewer"},
}
NOTE_TOO_LONG = "The note must be 1,000 characters or fewer"
# Each step's form on the referral page: model field -> (form field id, what to say).
STEP_SAYS: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
    "accept": {"note": ("accept-note", {"invalid": NOTE_TOO_LONG})},
    "update": {
        "note": ("update-note", {"missing": "Enter a progress note", "invalid": NOTE_TOO_LONG}),
    },
    "close": {
        "outcome": ("outcome", {"invalid": "Choose how the referral ended"}),
        "note": ("close-note", {"invalid": NOTE_TOO_LONG}),
    },
    "cancel": {
        "reason": (
            "cancel-reason",
            {
                "missing": "Enter why the referral is no longer needed",
                "invalid": "The reason must be 1,000 characters or fewer",
            },
        ),
    },
}
# A step that clashes with where the referral has got to since the page was shown.
STEP_CONFLICTS = {
    "accept": "This referral cannot be accepted now: it is {status}",
    "update": "A note can be added once the receiving team has accepted the referral: it is {status}",
    "close": "Only a referral the receiving team has accepted can be closed: it is {status}",
    "cancel": "This referral cannot be cancelled now: it is {status}",
}
STEP_VERBS = {"accept": "accept", "update": "add a note to", "close": "close", "cancel": "cancel"}


def _problem(field_id: str, text: str) -> dict[str, str]:
    return {"text": text[:1].upper() + text[1:], "href": f"#{field_id}"}


def _checked(
    model: type[M], data: dict[str, Any], says: dict[str, tuple[str, dict[str, str]]]
) -> tuple[M | None, Problems]:
    """The form's values as `model`, or every field's problem in words for people (in form order)."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        found: Problems = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            field_id, words = says.get(field, (field, {}))
            why = "missing" if not str(data.get(field) or "").strip() else "invalid"
            text = words.get(why) or words.get("invalid") or str(error["msg"]).removeprefix("Value error, ")
            found.setdefault(field_id, _problem(field_id, text))
        order = [field_id for field_id, _ in says.values()]
        return None, dict(sorted(found.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99))


def _form_context(session: Session, values: dict[str, str], errors: Problems) -> dict[str, Any]:
    pools = [p for p in registry.list_bed_pools(session, on=date.today()) if p.setting in HOSPITAL_SETTINGS]
    teams = registry.list_teams(session, on=date.today())
    return {**_names(session), "pools": pools, "teams": teams, "values": values, "errors": errors}


@router.get("/discharge/referrals/new", response_class=HTMLResponse)
def new_referral_form(
    request: Request, session: DbSession, access: Access, nhs_number: str = "", pool: str = "", team: str = ""
) -> HTMLResponse:
    """The form a ward uses to raise a referral."""
    values = {"nhs_number": nhs_number, "pool_id": pool, "team_id": team, "kind": "", "note": ""}
    values["medically_fit_on"] = date.today().isoformat()
    return render(request, "discharge/new.html", _form_context(session, values, {}))


@router.post("/discharge/referrals/new", response_class=HTMLResponse)
def raise_referral_form(
    request: Request,
    session: DbSession,
    access: Access,
    nhs_number: Annotated[str, Form()] = "",
    pool_id: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    team_id: Annotated[str, Form()] = "",
    medically_fit_on: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Raise the referral, then show it; a problem (invalid, a duplicate, refused) is shown on the form."""
    values = {"nhs_number": nhs_number, "pool_id": pool_id, "kind": kind, "team_id": team_id,
              "medically_fit_on": medically_fit_on, "note": note}  # fmt: skip
    says = {field: (field, words) for field, words in RAISE_SAYS.items()}
    data, errors = _checked(ReferralCreate, {**values, "medically_fit_on": medically_fit_on or None}, says)
    status, existing = 422, None
    if data is not None:
        try:
            raised = service.raise_referral(session, actor=actor_of(access), referral=data)
        except (Invalid, Conflict, Forbidden) as exc:
            session.rollback()  # nothing of a refused referral is kept (refusals stay in the audit log)
            status, errors = exc.status, _raise_problems(exc, data, _names(session)["site_names"])
            existing = _existing_referral(exc)
        else:
            return RedirectResponse(f"/discharge/referrals/{raised.id}", status_code=303)
    context = {**_form_context(session, values, errors), "existing": existing}
    return render(request, "discharge/new.html", context, status_code=status)


def _existing_referral(exc: JoinedupError) -> str | None:
    """The id of the open referral a duplicate clashes with (the service names it in brackets)."""
    found = re.search(r"\(([0-9a-f-]{36})\)$", exc.detail) if isinstance(exc, Conflict) else None
    return found.group(1) if found else None


def _raise_problems(exc: JoinedupError, data: ReferralCreate, site_names: dict[str, str]) -> Problems:
    """What the service refused, in words for people, on the field to put right."""
    if isinstance(exc, Forbidden):
        return {
            "nhs_number": _problem(
                "nhs_number", f"You may not raise a referral for this patient: {exc.detail}"
            )
        }
    if isinstance(exc, Conflict):
        need = workflow.KINDS.get(data.kind, data.kind)
        return {"kind": _problem("kind", f"This patient already has an open referral for {need.lower()}")}
    field, _, text = exc.detail.partition(": ")
    if field == "nhs_number" and "not in hospital" in text:
        at = re.search(r"at site '([^']*)'", text)
        site = site_names.get(at.group(1), at.group(1)) if at else "the site chosen"
        text = (
            f"The patient is not in hospital at {site}: the shared care record has no open inpatient stay "
            "for them there"
        )
    elif field == "nhs_number":
        text = f"There is no patient with NHS number {nhs.format_(data.nhs_number)} in the shared care record"
    elif field == "medically_fit_on" and "future" in text:
        text = "The date the patient was medically fit must be today or in the past"
    elif field == "medically_fit_on" and (admitted := re.search(r"admission \((\d{4}-\d{2}-\d{2})\)", text)):
        day = date.fromisoformat(admitted.group(1)).strftime("%-d %B %Y")
        text = f"The date the patient was medically fit must be on or after their admission on {day}"
    elif field in ("pool_id", "team_id"):
        text = RAISE_SAYS[field]["invalid"]
    elif field not in RAISE_SAYS:
        field, text = "nhs_number", exc.detail
    return {field: _problem(field, text)}


def _forms(status: str, is_receiving_team: bool) -> list[str]:
    """The steps whose forms the referral page shows for this referral and user."""
    shown = ["accept"] if status == "raised" and is_receiving_team else []
    if status in ("accepted", "in-progress"):
        shown += ["update", "close"]
    return [*shown, "cancel"] if workflow.is_open(status) else shown


def _referral_context(session: Session, access: AccessContext, referral_id: str) -> dict[str, Any]:
    found = service.get_referral(session, actor=actor_of(access), referral_id=referral_id)
    receiving = found.team_id in access.principal.team_ids
    context = {"r": found, "is_receiving_team": receiving, "forms": _forms(found.status, receiving)}
    return {**_names(session), **context, "values": {}, "errors": {}, "field_errors": {}}


@router.get("/discharge/referrals/{referral_id}", response_class=HTMLResponse)
def referral_page(referral_id: str, request: Request, session: DbSession, access: Access) -> HTMLResponse:
    """One referral: who, where, what for, days waited, its history, and the next steps."""
    return render(request, "discharge/referral.html", _referral_context(session, access, referral_id))


def _step(
    request: Request,
    session: Session,
    access: AccessContext,
    referral_id: str,
    step: str,
    model: type[M],
    data: dict[str, str],
    do: Callable[[M], object],
) -> Response:
    """Take the step and go back to the referral; otherwise show the referral again with what to put right."""
    says = STEP_SAYS[step]
    checked, errors = _checked(model, {k: v.strip() if k != "outcome" else v for k, v in data.items()}, says)
    status, refusal = 422, None
    if checked is not None:
        try:
            do(checked)
        except (Invalid, Conflict, Forbidden) as exc:
            session.rollback()  # nothing of a refused step is kept (refusals stay in the audit log)
            status, refusal = exc.status, exc
        else:
            return _back(referral_id)
    context = _referral_context(session, access, referral_id)
    first = next(iter(says.values()))[0]
    if refusal is not None:
        if isinstance(refusal, Conflict):
            text = STEP_CONFLICTS[step].format(status=context["r"].status.replace("-", " "))
        elif isinstance(refusal, Forbidden):
            text = f"You may not {STEP_VERBS[step]} this referral: {refusal.detail}"
        else:
            text = refusal.detail
        errors = {first: _problem(first, text)}
    if step not in context["forms"]:  # the form has gone (the referral moved on): no field to point at
        errors = _field_errors(errors)
    values = {says[field][0]: value for field, value in data.items()}
    shown = {"values": values, "errors": errors, "field_errors": _field_errors(errors)}
    return render(request, "discharge/referral.html", {**context, **shown}, status_code=status)


def _field_errors(errors: Problems) -> dict[str, dict[str, str]]:
    """Each field's error message, as the NHS.UK form components take it."""
    return {field: {"text": problem["text"]} for field, problem in errors.items()}


def _back(referral_id: str) -> RedirectResponse:
    return RedirectResponse(f"/discharge/referrals/{referral_id}", status_code=303)


@router.post("/discharge/referrals/{referral_id}/accept")
def accept_form(
    referral_id: str, request: Request, session: DbSession, access: Access, note: Annotated[str, Form()] = ""
) -> Response:
    """The receiving team accepts the referral."""

    def accept(step: StepCreate) -> object:
        return service.accept_referral(session, actor=actor_of(access), referral_id=referral_id, step=step)

    return _step(request, session, access, referral_id, "accept", StepCreate, {"note": note}, accept)


@router.post("/discharge/referrals/{referral_id}/update")
def update_form(
    referral_id: str, request: Request, session: DbSession, access: Access, note: Annotated[str, Form()] = ""
) -> Response:
    """Add a progress note."""

    def update(note: UpdateCreate) -> object:
        return service.update_referral(session, actor=actor_of(access), referral_id=referral_id, update=note)

    return _step(request, session, access, referral_id, "update", UpdateCreate, {"note": note}, update)


@router.post("/discharge/referrals/{referral_id}/close")
def close_form(
    referral_id: str,
    request: Request,
    session: DbSession,
    access: Access,
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Close the referral with where the patient went."""

    def close(close: CloseCreate) -> object:
        return service.close_referral(session, actor=actor_of(access), referral_id=referral_id, close=close)

    data = {"outcome": outcome, "note": note}
    return _step(request, session, access, referral_id, "close", CloseCreate, data, close)


@router.post("/discharge/referrals/{referral_id}/cancel")
def cancel_form(
    referral_id: str,
    request: Request,
    session: DbSession,
    access: Access,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Cancel the referral, saying why."""

    def cancel(cancel: CancelCreate) -> object:
        return service.cancel_referral(
            session, actor=actor_of(access), referral_id=referral_id, cancel=cancel
        )

    return _step(request, session, access, referral_id, "cancel", CancelCreate, {"reason": reason}, cancel)
