"""Planner pages: scenarios, a run started from the browser with live progress, its report, a comparison."""

from __future__ import annotations

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from joinedup.errors import Invalid
from joinedup.plan import jobs, queueing, service
from joinedup.web.auth import CurrentUser
from joinedup.web.deps import DbSession
from joinedup.web.templating import render

router = APIRouter(tags=["planner pages"], include_in_schema=False)


@router.get("/plan", response_class=HTMLResponse)
def scenarios_page(request: Request, session: DbSession, user: CurrentUser) -> HTMLResponse:
    """The bundled scenarios, a form to run one, and recent runs."""
    return render(
        request,
        "plan/index.html",
        {
            "scenarios": service.list_scenarios(session),
            "runs": service.list_runs(session),
            "max_replications": service.MAX_WEB_REPLICATIONS,
        },
    )


@router.post("/plan/runs", response_class=HTMLResponse)
def start_run_page(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    scenario: str = Form(...),
    replications: str = Form("20"),
    seed: str = Form("2016"),
) -> Response:
    """Queue a run of a scenario and go to its page, which shows its progress."""
    try:
        count, seed_value = int(replications), int(seed)
    except ValueError as exc:
        raise Invalid("replications and seed must be whole numbers") from exc
    run = service.start_run(
        session, scenario=scenario, replications=count, seed=seed_value, created_by=user.username
    )
    session.commit()
    jobs.submit(request.app.state.sessions, run.id, dask_address=request.app.state.settings.dask_scheduler)
    return RedirectResponse(f"/plan/runs/{run.id}", status_code=303)


@router.get("/plan/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str, session: DbSession, user: CurrentUser) -> HTMLResponse:
    """One run: progress while it runs, then its figures with 95% intervals and a link to the report."""
    run = service.get_run_or_raise(session, run_id)
    others = [r for r in service.list_runs(session, limit=50) if r.status == "done" and r.id != run.id]
    return render(request, "plan/run.html", {"run": run, "others": others})


@router.get("/plan/runs/{run_id}/progress", response_class=HTMLResponse)
def run_progress(request: Request, run_id: str, session: DbSession, user: CurrentUser) -> Response:
    """The progress fragment the run page polls; a finished run tells the page to reload with its figures."""
    run = service.get_run_or_raise(session, run_id)
    response = render(request, "plan/progress.html", {"run": run})
    if run.status in ("done", "failed"):
        response.headers["HX-Refresh"] = "true"
    return response


@router.get("/plan/runs/{run_id}/report", response_class=HTMLResponse)
def run_report(run_id: str, session: DbSession, user: CurrentUser) -> HTMLResponse:
    """The run's self-contained HTML report (charts and assumptions)."""
    run = service.get_run_or_raise(session, run_id)
    if run.report_html is None:
        raise Invalid(f"run {run_id} has no report yet (status: {run.status})")
    return HTMLResponse(run.report_html)


@router.get("/plan/compare", response_class=HTMLResponse)
def compare_page(
    request: Request, session: DbSession, user: CurrentUser, a: str = Query(...), b: str = Query(...)
) -> HTMLResponse:
    """Two finished runs side by side, pool by pool."""
    run_a, run_b = service.get_run_or_raise(session, a), service.get_run_or_raise(session, b)
    if run_a.summary is None or run_b.summary is None:
        raise Invalid("both runs must have finished before they can be compared")
    rows = service.compare_summaries(run_a.summary, run_b.summary)
    return render(request, "plan/compare.html", {"a": run_a, "b": run_b, "rows": rows})


@router.get("/plan/beds", response_class=HTMLResponse)
def beds_page(
    request: Request,
    user: CurrentUser,
    arrivals_per_day: str | None = Query(None),
    mean_stay_days: str | None = Query(None),
    target_blocking: str | None = Query(None),
) -> HTMLResponse:
    """How many beds a flow of patients needs for a target chance of finding no bed (Erlang B)."""
    answer, error = None, None
    given = {
        "arrivals per day": arrivals_per_day,
        "mean stay in days": mean_stay_days,
        "target chance of no bed": target_blocking,
    }
    if arrivals_per_day is not None:
        try:
            numbers = [_number(label, text) for label, text in given.items()]
            answer = queueing.beds_for_blocking(*numbers)
        except ValueError as exc:
            error = str(exc)
    return render(
        request,
        "plan/beds.html",
        {
            "answer": answer,
            "error": error,
            "form": {
                "arrivals_per_day": arrivals_per_day or "",
                "mean_stay_days": mean_stay_days or "",
                "target_blocking": target_blocking or "",
            },
        },
        status_code=422 if error else 200,
    )


def _number(label: str, text: str | None) -> float:
    try:
        return float((text or "").strip())
    except ValueError:
        raise ValueError(f"Enter the {label} as a number") from None
