"""What-if from today: read the live bed state and the registry, run the forecast, return its figures.

Reads aggregates only (beds, occupied beds and delayed patients per pool); no patient record is read
or written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from joinedup.capacity import service as capacity
from joinedup.discharge import service as discharge
from joinedup.errors import Invalid
from joinedup.plan import forecast, loading, whatif
from joinedup.plan.compiled import compile_scenario
from joinedup.plan.scenario import ScenarioInvalid
from joinedup.plan.service import registry_lookup
from joinedup.registry import service as registry

MAX_WEB_REPLICATIONS = 200
DEFAULT_REPLICATIONS = 40
MAX_CHANGES = 20
# A forecast from the web runs inside the request: at most this many replication-days (200 x 28).
MAX_WEB_WORK = 5600


def check_web_size(days: int, replications: int) -> None:
    """Refuse a forecast too long to run inside a web request (the CLI has no such limit)."""
    if days * replications > MAX_WEB_WORK:
        raise whatif.WhatIfInvalid(
            f"{days} days x {replications} replications is more than a page can wait for "
            f"(at most {MAX_WEB_WORK} replication-days); ask for fewer, or use joinedup plan whatif"
        )


def start_state(session: Session, *, on: date) -> whatif.StartState:
    """Every registry pool's beds and occupied beds on `on`: the census, and virtual wards' caseloads
    (delayed discharges from open discharge referrals).

    A pool with neither (no census on `on` or the day before, no ward) is refused: a forecast from an
    empty pool would be a forecast from a state nobody reported.
    """
    state = capacity.live_bed_state(session, on=on)
    if not state.sites:
        raise whatif.WhatIfInvalid(f"--from-census {on}: the registry has no bed pools on that day")
    if state.missing_census:
        raise whatif.WhatIfInvalid(
            f"--from-census {on}: no census on that day or the day before for "
            f"{', '.join(state.missing_census)} (record one with POST /api/capacity/census)"
        )
    delayed = {p.pool_id: p for p in discharge.delayed_list(session, on=on).pools}
    pools = tuple(
        whatif.PoolStart(
            id=pool.id,
            site_id=site.site_id,
            site_name=site.site_name,
            setting=pool.setting,
            beds=pool.beds,
            occupied=pool.occupied or 0,
            delayed=delayed[pool.id].delayed_patients if pool.id in delayed else 0,
            delayed_mean_days=_mean(delayed[pool.id].days_waited) if pool.id in delayed else None,
        )
        for site in state.sites
        for pool in site.pools
    )
    return whatif.StartState(on=on, pools=pools)


def _mean(days: list[int]) -> float | None:
    return sum(days) / len(days) if days else None


def registry_steps(session: Session, start: whatif.StartState, days: int) -> list[whatif.RegistryStep]:
    """Bed changes the registry already dates within the forecast, as (pool, day, beds from that day)."""
    end = start.on + timedelta(days=days)
    steps: list[whatif.RegistryStep] = []
    for pool in start.pools:
        history = registry.bed_history(session, pool_id=pool.id)
        edges = {s.start for s in history if s.start} | {s.end for s in history if s.end}
        for day in sorted(d for d in edges if start.on < d < end):
            beds = next((s.beds for s in history if _in_effect(s.start, s.end, day)), 0)
            steps.append(whatif.RegistryStep(pool.id, day, beds))
    return steps


def _in_effect(first: date | None, end: date | None, day: date) -> bool:
    return (first is None or first <= day) and (end is None or day < end)


def run_whatif(
    session: Session,
    *,
    on: date,
    changes: Sequence[str] = (),
    days: int = whatif.DEFAULT_DAYS,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int = 1,
    demand: str = whatif.DEMAND_SCENARIO,
) -> dict[str, Any]:
    """Forecast every pool from the live state of `on`, with the changes, as the what-if JSON document."""
    whatif.check_size(days, replications)
    if len(changes) > MAX_CHANGES:
        raise whatif.WhatIfInvalid(f"{len(changes)} changes: at most {MAX_CHANGES} in one what-if")
    if not 0 <= seed < 2**63:
        raise whatif.WhatIfInvalid(f"--seed = {seed}: must be 0 or more")
    start = start_state(session, on=on)
    parsed = [whatif.parse_change(text, start, days) for text in changes]
    try:
        demand_scenario = loading.load_scenario(demand, registry=registry_lookup(session))
    except ScenarioInvalid as exc:
        raise Invalid(str(exc)) from exc
    scenario = whatif.forecast_scenario(
        demand_scenario, start, days, parsed, registry_steps(session, start, days)
    )
    compiled = whatif.with_start(compile_scenario(scenario), start)
    outcome = forecast.simulate(compiled, start, replications, seed)
    document = forecast.summary(outcome, parsed, demand=demand_scenario.name)
    document["delayed_source"] = DELAYED_SOURCE
    return document


DELAYED_SOURCE = (
    "Delayed discharges at the start are the medically fit patients waiting on open discharge referrals "
    "(discharge.service.delayed_list, as live capacity shows them). They are among the occupied beds and "
    "each leaves after a residual of its pool's delay: the first delayed discharge of the first step using "
    "the pool in the demand scenario, or, where there is none, an exponential delay whose mean is the days "
    "the pool's delayed patients have waited so far (1 day if none has waited a day). Their days in bed "
    "count as delayed bed-days (reason other where the pool has no delay of its own)."
)
