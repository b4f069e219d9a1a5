"""Planner use cases for the web: scenarios on offer, runs started from the browser, their results."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from joinedup.db import transaction
from joinedup.errors import Invalid, NotFound
from joinedup.plan import loading, report, results, runner, scenario_cache
from joinedup.plan.compiled import compile_scenario
from joinedup.plan.models import PlanRun
from joinedup.plan.scenario import Scenario, ScenarioInvalid
from joinedup.registry import service as registry

MAX_WEB_REPLICATIONS = 500


@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    title: str
    description: str
    horizon_days: int
    pools: int
    pathways: int
    changes: int


def registry_lookup(session: Session) -> loading.RegistryLookup:
    """Bed pools as the registry had them on a date (for scenarios with `pools_from_registry`)."""
    return lambda on: registry.list_bed_pools(session, on=on)


def load(session: Session, name: str) -> Scenario:
    """A bundled scenario, validated (kept until its files change); an unknown or broken one is Invalid."""
    if name not in loading.bundled_scenarios():
        raise NotFound(f"no bundled scenario called {name!r} (try: {', '.join(loading.bundled_scenarios())})")
    try:
        return scenario_cache.BUNDLED.load(name, registry=registry_lookup(session))
    except ScenarioInvalid as exc:
        raise Invalid(str(exc)) from exc


def list_scenarios(session: Session) -> list[ScenarioInfo]:
    """Every bundled scenario with its size, for the scenarios page."""
    infos = []
    for name in loading.bundled_scenarios():
        scenario = load(session, name)
        infos.append(
            ScenarioInfo(
                name=name,
                title=scenario.name,
                description=getattr(scenario, "description", "") or "",
                horizon_days=scenario.horizon_days,
                pools=len(scenario.pools),
                pathways=len(scenario.pathways),
                changes=len(getattr(scenario, "changes", []) or []),
            )
        )
    return infos


def start_run(session: Session, *, scenario: str, replications: int, seed: int, created_by: str) -> PlanRun:
    """Queue a run of a bundled scenario (checked now, so a broken one is refused before it is queued)."""
    if not 1 <= replications <= MAX_WEB_REPLICATIONS:
        raise Invalid(f"replications: must be between 1 and {MAX_WEB_REPLICATIONS} (got {replications})")
    if not 0 <= seed < 2**31:
        raise Invalid(f"seed: must be between 0 and {2**31 - 1} (got {seed})")
    load(session, scenario)
    run = PlanRun(
        id=str(uuid.uuid4()),
        scenario=scenario,
        replications=replications,
        seed=seed,
        status="queued",
        done_replications=0,
        created_by=created_by,
        created_at=datetime.now(UTC),
    )
    session.add(run)
    session.flush()
    return run


def get_run_or_raise(session: Session, run_id: str) -> PlanRun:
    run = session.get(PlanRun, run_id)
    if run is None:
        raise NotFound(f"no planner run {run_id!r}")
    return run


def list_runs(session: Session, *, limit: int = 20) -> list[PlanRun]:
    return list(session.scalars(select(PlanRun).order_by(PlanRun.created_at.desc()).limit(limit)))


def execute_run(sessions: sessionmaker[Session], run_id: str, *, dask_address: str | None = None) -> None:
    """Run a queued run to the end, writing progress as it goes; a failure is stored, never lost."""
    with transaction(sessions, writes=True) as session:
        run = get_run_or_raise(session, run_id)
        run.status = "running"
        name, replications, seed = run.scenario, run.replications, run.seed
        scenario = load(session, name)

    def progress(done: int, _total: int) -> None:
        # The runner reports once per block of replications (at most a few dozen times a run).
        with transaction(sessions, writes=True) as s:
            get_run_or_raise(s, run_id).done_replications = done

    try:
        compiled = compile_scenario(scenario)
        outcome = runner.run(
            compiled, replications, seed, workers=1, dask_address=dask_address, progress=progress
        )
        summary = results.summary(outcome)
        report_html = render_report(outcome)
    except Exception as exc:  # the run's page must say why it stopped
        with transaction(sessions, writes=True) as session:
            failed = get_run_or_raise(session, run_id)
            failed.status, failed.error, failed.finished_at = "failed", str(exc), datetime.now(UTC)
        return
    with transaction(sessions, writes=True) as session:
        done = get_run_or_raise(session, run_id)
        done.status, done.summary, done.report_html = "done", summary, report_html
        done.done_replications, done.finished_at = replications, datetime.now(UTC)


def render_report(outcome: results.Run) -> str:
    """The self-contained HTML report of a run."""
    return report.render(outcome)


def compare_summaries(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Pool by pool, A's and B's beds, occupancy and blocking side by side (pools in either run)."""
    pools_a = {p["id"]: p for p in a.get("pools", [])}
    pools_b = {p["id"]: p for p in b.get("pools", [])}
    rows = []
    for pool_id in sorted(set(pools_a) | set(pools_b)):
        pa, pb = pools_a.get(pool_id), pools_b.get(pool_id)
        rows.append({"id": pool_id, "a": pa, "b": pb})
    return rows
