"""Cross-reference checks on a scenario: every id it uses exists, every date is in the horizon, beds add up.

Pydantic checks each table on its own; these checks need the whole scenario. The first problem found is
raised as ScenarioInvalid naming the file, the field and the value.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta

from joinedup.plan import chc, costs, demand, workforce
from joinedup.plan.scenario import (
    ChangeBase,
    CloseBeds,
    Delay,
    MoveService,
    OpenBeds,
    OpenVirtualWard,
    Pathway,
    Scenario,
    ScenarioInvalid,
    SetBeds,
    ShiftActivity,
    Step,
)

PROBABILITY_SLACK = 1e-9


def pool_ids(scenario: Scenario) -> list[str]:
    """Every pool in the scenario: those listed, then virtual wards that changes open."""
    ids = [pool.id for pool in scenario.pools]
    for change in scenario.changes:
        if isinstance(change, OpenVirtualWard) and change.pool not in ids:
            ids.append(change.pool)
    return ids


def end_date(scenario: Scenario) -> date:
    """The first day after the horizon."""
    return scenario.start_date + timedelta(days=scenario.horizon_days)


def check_references(scenario: Scenario, file: str) -> None:
    """Raise ScenarioInvalid for the first unknown id, out-of-horizon date or impossible bed count."""
    _check_unique(file, "pools", [pool.id for pool in scenario.pools])
    _check_unique(file, "pathways", [pathway.id for pathway in scenario.pathways])
    known = set(pool_ids(scenario))
    for i, pathway in enumerate(scenario.pathways):
        where = f"pathways[{i}]"
        _check_route(file, f"{where}.route", pathway.route, known)
        _check_delays(file, f"{where}.delays", pathway.delays)
        if pathway.divert_to is not None and pathway.divert_to not in known:
            raise _unknown_pool(file, f"{where}.divert_to", pathway.divert_to, known)
        _check_demand(file, where, pathway, scenario)
    for i, change in enumerate(scenario.changes):
        _check_change(file, f"changes[{i}]", change, scenario, known)
    capacity_schedule(scenario, file)
    workforce.check_workforce(scenario, file)
    costs.check_costs(scenario, file)
    chc.check_chc(scenario, file)


def capacity_schedule(scenario: Scenario, file: str = "scenario") -> dict[str, list[tuple[date, int]]]:
    """Beds in each pool from each date on: (start_date, baseline beds) then one entry per bed change."""
    beds = {pool.id: pool.beds for pool in scenario.pools}
    schedule = {pool_id: [(scenario.start_date, beds.get(pool_id, 0))] for pool_id in pool_ids(scenario)}
    ordered = sorted(enumerate(scenario.changes), key=lambda item: (item[1].on, item[0]))
    for i, change in ordered:
        if not isinstance(change, CloseBeds | OpenBeds | SetBeds | OpenVirtualWard):
            continue
        current = schedule[change.pool][-1][1]
        if isinstance(change, CloseBeds) and change.beds > current:
            raise ScenarioInvalid(
                file,
                f"changes[{i}].beds",
                change.beds,
                f"cannot close more beds than pool {change.pool!r} has on {change.on} ({current})",
            )
        after = change.beds
        if isinstance(change, CloseBeds):
            after = current - change.beds
        elif isinstance(change, OpenBeds):
            after = current + change.beds
        schedule[change.pool].append((change.on, after))
    return schedule


def _check_unique(file: str, field: str, ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for i, item in enumerate(ids):
        if item in seen:
            raise ScenarioInvalid(file, f"{field}[{i}].id", item, "is used twice; ids must be unique")
        seen.add(item)


def _unknown_pool(file: str, field: str, value: str, known: set[str]) -> ScenarioInvalid:
    return ScenarioInvalid(
        file, field, value, f"is not a pool in this scenario (pools: {', '.join(sorted(known))})"
    )


def _unknown_pathway(file: str, field: str, value: str, scenario: Scenario) -> ScenarioInvalid:
    names = ", ".join(p.id for p in scenario.pathways)
    return ScenarioInvalid(file, field, value, f"is not a pathway in this scenario (pathways: {names})")


def _route_steps(route: list[list[Step]]) -> Iterator[tuple[str, Step]]:
    for j, stage in enumerate(route):
        for k, step in enumerate(stage):
            yield f"[{j}][{k}]", step


def _check_route(file: str, field: str, route: list[list[Step]], known: set[str]) -> None:
    for where, step in _route_steps(route):
        if step.pool not in known:
            raise _unknown_pool(file, f"{field}{where}.pool", step.pool, known)
        if step.divert_to is not None and step.divert_to not in known:
            raise _unknown_pool(file, f"{field}{where}.divert_to", step.divert_to, known)
        _check_delays(file, f"{field}{where}.delays", step.delays or [])
    for j, stage in enumerate(route):
        total = sum(step.probability for step in stage)
        if total > 1.0 + PROBABILITY_SLACK:
            raise ScenarioInvalid(
                file,
                f"{field}[{j}]",
                round(total, 9),
                "probabilities of a stage's options add up to more than 1",
            )
        if j == 0 and abs(total - 1.0) > PROBABILITY_SLACK:
            raise ScenarioInvalid(
                file,
                f"{field}[0]",
                round(total, 9),
                "the first stage's probabilities must add up to 1 (every arrival goes somewhere)",
            )


def _check_delays(file: str, field: str, delays: Sequence[Delay]) -> None:
    total = sum(delay.probability for delay in delays)
    if total > 1.0 + PROBABILITY_SLACK:
        raise ScenarioInvalid(
            file, field, round(total, 9), "probabilities of delayed discharge add up to more than 1"
        )


def _check_demand(file: str, where: str, pathway: Pathway, scenario: Scenario) -> None:
    if pathway.admissions_per_1000 is None:
        return
    if scenario.population is None:
        raise ScenarioInvalid(
            file,
            f"{where}.admissions_per_1000",
            None,
            'needs the scenario\'s population (e.g. population = "llr")',
        )
    if scenario.population not in demand.population_ids():
        raise ScenarioInvalid(
            file,
            "population",
            scenario.population,
            f"is not a bundled population (known: {', '.join(demand.population_ids())})",
        )
    bands = demand.load_population(scenario.population).band_ids
    for band in pathway.admissions_per_1000:
        if band not in bands:
            raise ScenarioInvalid(
                file,
                f"{where}.admissions_per_1000",
                band,
                f"is not an age band of population {scenario.population!r} ({', '.join(bands)})",
            )


def _check_change(file: str, where: str, change: ChangeBase, scenario: Scenario, known: set[str]) -> None:
    if not scenario.start_date <= change.on < end_date(scenario):
        raise ScenarioInvalid(
            file,
            f"{where}.on",
            change.on,
            f"is outside the horizon ({scenario.start_date} to {end_date(scenario) - timedelta(days=1)})",
        )
    for field in ("pool", "from_pool", "to_pool"):
        value = getattr(change, field, None)
        if value is not None and value not in known:
            raise _unknown_pool(file, f"{where}.{field}", value, known)
    pathway_id = getattr(change, "pathway", None)
    pathways = {p.id: p for p in scenario.pathways}
    if pathway_id is not None and pathway_id not in pathways:
        raise _unknown_pathway(file, f"{where}.pathway", pathway_id, scenario)
    if isinstance(change, MoveService):
        _check_move(file, where, change, scenario)
    if isinstance(change, ShiftActivity):
        _check_route(file, f"{where}.route", change.route, known)


def _check_move(file: str, where: str, change: MoveService, scenario: Scenario) -> None:
    users = {p.id for p in scenario.pathways if change.pathway in (None, p.id)}
    routes = [p.route for p in scenario.pathways if p.id in users]
    routes += [c.route for c in scenario.changes if isinstance(c, ShiftActivity) and c.pathway in users]
    diverts = {p.divert_to for p in scenario.pathways if p.id in users}
    uses = change.from_pool in diverts or any(
        step.pool == change.from_pool or step.divert_to == change.from_pool
        for route in routes
        for _, step in _route_steps(route)
    )
    if not uses:
        subject = f"pathway {change.pathway!r}" if change.pathway else "no pathway"
        raise ScenarioInvalid(file, f"{where}.from_pool", change.from_pool, f"{subject} uses this pool")
