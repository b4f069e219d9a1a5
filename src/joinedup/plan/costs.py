"""Money in the planner: what a scenario's beds, contacts and care outside the pools cost.

Pure. A pool's cost in a replication is its simulated bed-days x its setting's cost of a bed-day plus
its admissions x the cost of a contact; care outside the pools (a CHC cut's home care) is its expected
person-days and contacts at its setting's costs; a CHC cut's saving counts as a negative cost. Unit costs
are whole pence as the scenario states them; computed costs are floats in pence (expectations and means
across replications need not be whole pence); a year is 365 days. Unit costs as a method: PSSRU,
Unit Costs of Health and Social Care (annual); NHS England, National Cost Collection (reference costs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from joinedup.plan import chc
from joinedup.plan.scenario import Cost, Scenario, ScenarioInvalid
from joinedup.plan.workforce import known_settings, pool_settings

FloatArray = npt.NDArray[np.float64]
DAYS_A_YEAR = 365.0


def check_costs(scenario: Scenario, file: str) -> None:
    """ScenarioInvalid for the first cost row naming an unknown setting or a setting given twice."""
    settings = known_settings(scenario)
    seen: set[str] = set()
    for i, row in enumerate(scenario.costs):
        if row.setting not in settings:
            raise ScenarioInvalid(
                file,
                f"costs[{i}].setting",
                row.setting,
                f"is not a setting of this scenario ({', '.join(settings)})",
            )
        if row.setting in seen:
            raise ScenarioInvalid(file, f"costs[{i}].setting", row.setting, "is given twice")
        seen.add(row.setting)


def by_setting(scenario: Scenario) -> dict[str, Cost]:
    return {row.setting: row for row in scenario.costs}


def pool_rates(scenario: Scenario, pool_ids: Sequence[str]) -> tuple[FloatArray, FloatArray]:
    """Per pool, the cost of a bed-day and of a contact in pence (0 where the scenario gives none)."""
    settings, rows = pool_settings(scenario), by_setting(scenario)
    bed_day = np.zeros(len(pool_ids))
    contact = np.zeros(len(pool_ids))
    for n, pool_id in enumerate(pool_ids):
        row = rows.get(settings.get(pool_id, ""))
        if row is not None:
            bed_day[n] = row.per_bed_day_pence or 0
            contact[n] = row.per_contact_pence or 0
    return bed_day, contact


def pool_costs(
    scenario: Scenario, pool_ids: Sequence[str], bed_days: FloatArray, admissions: FloatArray
) -> FloatArray:
    """Cost of each pool in each replication (replications x pools), in pence over the horizon."""
    bed_day, contact = pool_rates(scenario, pool_ids)
    return np.nan_to_num(bed_days) * bed_day[None, :] + np.nan_to_num(admissions) * contact[None, :]


@dataclass(frozen=True)
class CareLine:
    """A cost outside the simulated pools over the horizon (the same in every replication)."""

    setting: str
    what: str
    cost_pence: float
    source: str | None


def care_lines(scenario: Scenario) -> list[CareLine]:
    """Care outside the pools that CHC cuts send people to, and the CHC packages the cuts save."""
    rows = by_setting(scenario)
    lines = []
    for d in chc.destinations(scenario):
        if d.kind != "setting":
            continue
        row = rows.get(d.to)
        cost = 0.0
        if row is not None:
            cost = d.person_days * (row.per_bed_day_pence or 0) + d.contacts * (row.per_contact_pence or 0)
        what = f"{d.people:.0f} people no longer funded by CHC from {d.on}: {d.person_days:.0f} person-days"
        lines.append(CareLine(d.to, what, cost, d.source))
    changes = scenario.changes
    for i, saving in chc.savings_pence(scenario):
        change = changes[i]
        lines.append(CareLine("chc-package", f"CHC packages saved from {change.on}", -saving, change.source))
    return lines


def per_year(cost_pence: float | FloatArray, horizon_days: int) -> float | FloatArray:
    """A cost over the horizon as a cost a year (pence)."""
    return cost_pence * DAYS_A_YEAR / horizon_days
