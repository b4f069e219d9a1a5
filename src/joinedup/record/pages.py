"""Record pages: find a patient, their joined-up timeline with vital-sign charts, and their sharing choice.

Every look goes through the access policy and lands in the audit log (record.patient_record). A refusal
shows why, and lets a clinician break glass by stating a reason, which opens a time-boxed grant.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from joinedup.errors import Forbidden, Invalid, NotFound
from joinedup.record import nhs_number
from joinedup.record.charts import vital_sign_figures
from joinedup.record.patient_record import find_patients, patient_record, record_sharing_choice
from joinedup.record.service import Actor
from joinedup.record.vital_signs import VITAL_SIGNS
from joinedup.registry import service as registry
from joinedup.web.auth import CurrentUser, client_address, request_id
from joinedup.web.deps import DbSession
from joinedup.web.templating import render

router = APIRouter(tags=["record pages"], include_in_schema=False)
LATEST_OBSERVATIONS = 40


def _actor(request: Request, principal: Any, reason: str | None = None) -> Actor:
    return Actor(principal, reason, request_id(request), client_address(request))


def _refused(request: Request, principal: Any, number: str, detail: str) -> HTMLResponse:
    context = {"nhs_number": number, "detail": detail, "may_break_glass": principal.is_clinical, "errors": {}}
    return render(request, "record/refused.html", context, status_code=403)


@router.get("/record", response_class=HTMLResponse)
def find(request: Request, session: DbSession, principal: CurrentUser, q: str = "") -> Response:
    """Find a patient by NHS number or name."""
    context: dict[str, Any] = {"q": q, "patients": None, "errors": {}, "practices": {}}
    if q.strip():
        try:
            patients = find_patients(session, actor=_actor(request, principal), text=q)
        except Invalid as exc:
            context["errors"] = {"q": {"text": exc.detail, "href": "#q"}}
            return render(request, "record/find.html", context, status_code=422)
        except Forbidden as exc:
            return _refused(request, principal, q.strip().replace(" ", ""), exc.detail)
        context["patients"] = patients
        context["practices"] = _names(session, {p.practice_id for p in patients if p.practice_id})
    return render(request, "record/find.html", context)


def _names(session: Any, ids: set[str]) -> dict[str, str]:
    names = {}
    for org_id in ids:
        org = registry.get_organisation(session, org_id)
        names[org_id] = org.name if org else org_id
    return names


@router.post("/record/break-glass", response_class=HTMLResponse)
def break_glass(
    request: Request,
    session: DbSession,
    principal: CurrentUser,
    nhs_number_text: Annotated[str, Form(alias="nhs_number")],
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Open a patient's record without a legitimate relationship, stating why (flagged for review)."""
    if not reason.strip():
        context = {
            "nhs_number": nhs_number_text,
            "detail": "",
            "may_break_glass": principal.is_clinical,
            "errors": {"reason": {"text": "Enter the reason you need to see this record", "href": "#reason"}},
        }
        return render(request, "record/refused.html", context, status_code=422)
    try:
        patient_record(session, actor=_actor(request, principal, reason), nhs_number_text=nhs_number_text)
    except Forbidden as exc:
        return _refused(request, principal, nhs_number_text, exc.detail)
    except Invalid as exc:
        raise NotFound(exc.detail) from None
    return RedirectResponse(f"/record/patients/{nhs_number.normalise(nhs_number_text)}", status_code=303)


@router.get("/record/patients/{nhs_number_text}", response_class=HTMLResponse)
def patient(
    request: Request, nhs_number_text: str, session: DbSession, principal: CurrentUser, saved: str = ""
) -> Response:
    """A patient's joined-up record: timeline across providers, vital-sign charts, flags, sharing choice."""
    try:
        found = patient_record(session, actor=_actor(request, principal), nhs_number_text=nhs_number_text)
    except Forbidden as exc:
        return _refused(request, principal, nhs_number_text, exc.detail)
    except Invalid as exc:
        raise NotFound(exc.detail) from None
    providers = {e.provider_id for e in found.timeline if e.provider_id}
    if found.summary.practice_id:
        providers.add(found.summary.practice_id)
    context = {
        "record": found,
        "providers": _names(session, providers),
        "figures": vital_sign_figures(found.vital_signs),
        "observations": found.observations[:LATEST_OBSERVATIONS],
        "saved": saved,
        "sign_names": {sign.code: sign.display for sign in VITAL_SIGNS},
    }
    return render(request, "record/patient.html", context)


@router.post("/record/patients/{nhs_number_text}/consent", response_class=HTMLResponse)
def consent(
    request: Request,
    nhs_number_text: str,
    session: DbSession,
    principal: CurrentUser,
    choice: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Record the patient's choice: share their record across the ICS, or opt out (audited)."""
    if choice not in ("share", "opt-out"):
        raise Invalid("Choose whether the patient shares their record or opts out")
    try:
        record_sharing_choice(
            session,
            actor=_actor(request, principal),
            nhs_number_text=nhs_number_text,
            opt_out=choice == "opt-out",
            note=note,
        )
    except Forbidden as exc:
        return _refused(request, principal, nhs_number_text, exc.detail)
    return RedirectResponse(f"/record/patients/{nhs_number_text}?saved={choice}#sharing", status_code=303)
