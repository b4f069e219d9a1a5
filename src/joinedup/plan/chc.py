"""NHS Continuing Healthcare (CHC) cuts as demand elsewhere: where the people no longer funded go.

Pure. A `cut_chc` change stops funding `share` of a `caseload` from its date. Each destination takes a
share of those people: into the beds of a pool (a new pathway whose arrivals start on the cut's date, at
`admissions_per_person_year` a person) or onto care outside the simulated pools (home care, costed per
person-day). People in no destination are not costed (self-funded or cared for by family). CHC itself:
National Framework for NHS Continuing Healthcare and NHS-funded Nursing Care (DHSC, 2018).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from joinedup.plan.scenario import CutChc, Pathway, Scenario, ScenarioInvalid
from joinedup.plan.workforce import known_settings, pool_settings

DAYS_A_YEAR = 365.0
SHARE_SLACK = 1e-9


def people_cut(change: CutChc) -> float:
    """People whose CHC funding stops: the caseload times the share cut."""
    return change.caseload * change.share


def pathway_id(i: int, j: int, pool: str) -> str:
    """The id of the pathway a cut's pool destination becomes (change i, destination j)."""
    return f"chc-cut-{i}-{j}-{pool}"


def cuts(scenario: Scenario) -> list[tuple[int, CutChc]]:
    """Each cut_chc change with its index among the scenario's changes."""
    return [(i, c) for i, c in enumerate(scenario.changes) if isinstance(c, CutChc)]


def check_chc(scenario: Scenario, file: str) -> None:
    """ScenarioInvalid for the first cut whose destinations share more than everyone, name an unknown pool
    or setting, or whose saving cannot be worked out."""
    pools, settings = set(pool_settings(scenario)), known_settings(scenario)
    pathways = {p.id for p in scenario.pathways}
    costed = {c.setting for c in scenario.costs if c.per_bed_day_pence is not None}
    for i, change in cuts(scenario):
        where = f"changes[{i}]"
        total = sum(d.share for d in change.destinations)
        if total > 1.0 + SHARE_SLACK:
            raise ScenarioInvalid(
                file, f"{where}.destinations", round(total, 9), "shares add up to more than 1 (everyone)"
            )
        if change.saving_pence is None and "chc-package" not in costed:
            raise ScenarioInvalid(
                file,
                f"{where}.saving_pence",
                None,
                'is required unless [[costs]] gives setting "chc-package" a per_bed_day_pence',
            )
        for j, destination in enumerate(change.destinations):
            at = f"{where}.destinations[{j}]"
            for field in ("pool", "divert_to"):
                value = getattr(destination, field)
                if value is not None and value not in pools:
                    known = ", ".join(sorted(pools))
                    raise ScenarioInvalid(
                        file, f"{at}.{field}", value, f"is not a pool in this scenario (pools: {known})"
                    )
            if destination.setting is not None and destination.setting not in settings:
                raise ScenarioInvalid(
                    file, f"{at}.setting", destination.setting, f"is not a setting ({', '.join(settings)})"
                )
            if destination.pool is not None and pathway_id(i, j, destination.pool) in pathways:
                raise ScenarioInvalid(
                    file,
                    f"{at}.pool",
                    destination.pool,
                    "its pathway id is already a pathway of the scenario",
                )


def with_chc_demand(scenario: Scenario) -> Scenario:
    """The scenario with one pathway for each cut's pool destination, its arrivals starting on the cut."""
    extra = []
    for i, change in cuts(scenario):
        for j, d in enumerate(change.destinations):
            if d.pool is None or d.stay is None or d.admissions_per_person_year is None:
                continue
            extra.append(
                Pathway.model_validate(
                    {
                        "id": pathway_id(i, j, d.pool),
                        "arrivals_per_day": people_cut(change)
                        * d.share
                        * d.admissions_per_person_year
                        / DAYS_A_YEAR,
                        "stay": d.stay,
                        "route": [d.pool],
                        "when_full": d.when_full,
                        "max_wait_days": d.max_wait_days,
                        "divert_to": d.divert_to,
                        "starts_on": change.on,
                        "source": d.source or change.source,
                    }
                )
            )
    if not extra:
        return scenario
    return scenario.model_copy(update={"pathways": [*scenario.pathways, *extra]})


@dataclass(frozen=True)
class Destination:
    """Where a share of the people cut go, and what that is expected to cost over the horizon."""

    change: int
    on: date
    to: str
    kind: str
    share: float
    people: float
    admissions_a_year: float | None
    person_days: float
    contacts: float
    source: str | None


def destinations(scenario: Scenario) -> list[Destination]:
    """Every destination of every cut, with its people and (outside the pools) person-days in the horizon.

    For a pool destination person_days are the expected bed-days (admissions x mean stay); the simulated
    bed-days and their cost are in the pool's figures.
    """
    end = scenario.start_date + timedelta(days=scenario.horizon_days)
    found = []
    for i, change in cuts(scenario):
        days = max(0, (end - change.on).days)
        for d in change.destinations:
            people = people_cut(change) * d.share
            if d.pool is not None and d.stay is not None and d.admissions_per_person_year is not None:
                a_year = people * d.admissions_per_person_year
                bed_days = a_year * days / DAYS_A_YEAR * d.stay.mean()
                found.append(
                    Destination(
                        i, change.on, d.pool, "pool", d.share, people, a_year, bed_days, 0.0, d.source
                    )
                )
            else:
                person_days = people * days
                found.append(
                    Destination(
                        i,
                        change.on,
                        d.setting or "",
                        "setting",
                        d.share,
                        people,
                        None,
                        person_days,
                        person_days * d.contacts_per_person_day,
                        d.source,
                    )
                )
    return found


def savings_pence(scenario: Scenario) -> list[tuple[int, float]]:
    """What each cut saves on CHC packages over the horizon, in pence: its yearly saving pro rata to the
    days it runs, or else the people cut x days x the chc-package cost of a day."""
    end = scenario.start_date + timedelta(days=scenario.horizon_days)
    per_day = {c.setting: c.per_bed_day_pence for c in scenario.costs}.get("chc-package")
    found = []
    for i, change in cuts(scenario):
        days = max(0, (end - change.on).days)
        if change.saving_pence is not None:
            found.append((i, change.saving_pence * days / DAYS_A_YEAR))
        else:
            found.append((i, people_cut(change) * days * float(per_day or 0)))
    return found
