"""Taking a reading of a measure: a registry fact on a date (through the registry's service), a planner figure
(through the planner's service and pure modules: a bundled scenario simulated now, or a finished run), or a
waiting figure as entered. Reads only; the caller stores what it gets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from joinedup.errors import Invalid, NotFound
from joinedup.plan import results as plan_results
from joinedup.plan import runner as plan_runner
from joinedup.plan import service as plan
from joinedup.plan.compiled import compile_scenario
from joinedup.registry import service as registry
from joinedup.voice.action_schemas import PLANNER_UNITS, MeasureCreate, ReadingCreate


@dataclass(frozen=True)
class Subject:
    """What a measure follows, as stored on it."""

    kind: str
    pool_id: str | None
    service_id: str | None
    scenario: str | None
    figure: str | None


@dataclass(frozen=True)
class Taken:
    """One reading, ready to store."""

    on: date
    value: float
    low: float | None
    high: float | None
    source: str


def subject_of(create: MeasureCreate) -> Subject:
    return Subject(create.kind, create.pool, create.service, create.scenario, create.figure)


def unit_of(create: MeasureCreate) -> str:
    """The unit a measure's values are in: beds, a service running or not, a planner figure's, or as given."""
    if create.kind == "registry":
        return "beds" if create.pool else "service running"
    if create.kind == "planner":
        return PLANNER_UNITS[create.figure or "occupancy"]
    return create.unit or ""


def check_subject(session: Session, subject: Subject) -> None:
    """Refuse a measure whose pool, service or scenario the registry or planner does not know (422)."""
    if subject.kind == "registry" and subject.pool_id is not None:
        _bed_steps(session, subject.pool_id)
    elif subject.kind == "registry" and subject.service_id is not None:
        _service_site(session, subject.service_id)
    elif subject.kind == "planner":
        _scenario_with_pool(session, subject.scenario or "", subject.pool_id or "")


def describe(session: Session, subject: Subject) -> str:
    """What a measure follows, in words for the public page."""
    if subject.kind == "registry" and subject.pool_id:
        return f"beds in bed pool {subject.pool_id}, as the registry records them"
    if subject.kind == "registry":
        place = registry.resolve_place(session, subject.service_id or "")
        return f"whether {place.name if place else subject.service_id} is running, as the registry records it"
    if subject.kind == "planner":
        figure = (subject.figure or "").replace("_", " ")
        return f"the planner's {figure} of bed pool {subject.pool_id} (a forecast with its 95% interval)"
    return "a figure entered with its source"


def take(session: Session, subject: Subject, reading: ReadingCreate, *, today: date) -> Taken:
    """One reading of the measure; bad input (a figure dated in the future, a value where none belongs)
    is Invalid."""
    on = reading.on or today
    if subject.kind == "waiting":
        return _waiting(reading, on, today)
    if reading.value is not None or reading.source is not None:
        raise Invalid(f"a {subject.kind} reading is read by joinedup: do not give value or source")
    if subject.kind == "registry":
        if reading.scenario or reading.run:
            raise Invalid("a registry reading takes only a date (on)")
        return _registry(session, subject, on)
    if on > today:
        raise Invalid(f"on: a planner reading is dated the day it is taken or earlier, not {on}")
    return _planner(session, subject, reading, on)


def _waiting(reading: ReadingCreate, on: date, today: date) -> Taken:
    if reading.value is None or reading.source is None:
        raise Invalid("a waiting figure needs its value and its source")
    if reading.scenario or reading.run:
        raise Invalid("a waiting figure is entered: scenario and run belong to planner readings")
    if on > today:
        raise Invalid(f"on: a waiting figure is for a day that has come, not {on}")
    return Taken(on, reading.value, None, None, reading.source)


def _bed_steps(session: Session, pool_id: str) -> list[registry.CapacityStep]:
    try:
        return registry.bed_history(session, pool_id=pool_id)
    except NotFound:
        raise Invalid(f"pool: the registry has no bed pool {pool_id!r}") from None


def _service_site(session: Session, service_id: str) -> str:
    place = registry.resolve_place(session, service_id)
    if place is None or place.kind != "service":
        raise Invalid(f"service: the registry has no service {service_id!r}")
    return place.id


def _registry(session: Session, subject: Subject, on: date) -> Taken:
    if subject.pool_id is not None:
        steps = [
            s for s in _bed_steps(session, subject.pool_id) if (s.start is None or s.start <= on)
            and (s.end is None or on < s.end)
        ]  # fmt: skip
        beds = sum(s.beds for s in steps)
        said = "; ".join(s.source for s in steps) or "no beds recorded that day"
        return Taken(on, float(beds), None, None, f"registry: pool {subject.pool_id} on {on} ({said})")
    service_id = _service_site(session, subject.service_id or "")
    running = any(
        service.id == service_id
        for site in registry.snapshot(session, on=on).sites
        for service in site.services
    )
    state = "running" if running else "not running"
    return Taken(on, 1.0 if running else 0.0, None, None, f"registry: service {service_id} {state} on {on}")


def _scenario_with_pool(session: Session, name: str, pool_id: str) -> None:
    try:
        scenario = plan.load(session, name)
    except NotFound as exc:
        raise Invalid(f"scenario: {exc.detail}") from None
    pools = [p.id for p in scenario.pools]
    if pool_id not in pools:
        raise Invalid(f"pool: scenario {name!r} has no bed pool {pool_id!r} (it has {', '.join(pools)})")


def _planner(session: Session, subject: Subject, reading: ReadingCreate, on: date) -> Taken:
    pool_id, figure = subject.pool_id or "", subject.figure or "occupancy"
    if reading.run:
        return _from_run(session, reading.run, pool_id, figure, on)
    name = reading.scenario or subject.scenario or ""
    _scenario_with_pool(session, name, pool_id)
    compiled = compile_scenario(plan.load(session, name))
    outcome = plan_runner.run(compiled, reading.replications, reading.seed, workers=1)
    found = plan_results.interval(outcome.figure(pool_id, figure), floor=0.0)
    source = (
        f"planner: scenario {name} ({compiled.name}), {reading.replications} replications, seed "
        f"{reading.seed}; a forecast, not an observed figure"
    )
    return _figure(found, on, source, f"scenario {name!r}", pool_id, figure)


def _from_run(session: Session, run_id: str, pool_id: str, figure: str, on: date) -> Taken:
    try:
        run = plan.get_run_or_raise(session, run_id)
    except NotFound:
        raise Invalid(f"run: no planner run {run_id!r}") from None
    if run.status != "done" or not run.summary:
        raise Invalid(f"run: planner run {run_id!r} is {run.status}, not done")
    pools = {p["id"]: p for p in run.summary.get("pools", [])}
    if pool_id not in pools:
        raise Invalid(f"pool: planner run {run_id!r} has no bed pool {pool_id!r}")
    source = (
        f"planner: run {run_id} of scenario {run.scenario}, {run.replications} replications, "
        f"seed {run.seed}; "
        "a forecast, not an observed figure"
    )
    return _figure(pools[pool_id].get(figure) or {}, on, source, f"run {run_id!r}", pool_id, figure)


def _figure(
    found: dict[str, float | None], on: date, source: str, where: str, pool_id: str, figure: str
) -> Taken:
    mean = found.get("mean")
    if mean is None:
        raise Invalid(f"pool: the planner gives no {figure} for {pool_id!r} under {where} (has it any beds?)")
    return Taken(on, float(mean), found.get("low"), found.get("high"), source)
