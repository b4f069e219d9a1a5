"""What-if from today: a forecast of every bed pool that starts from today's occupancy, with changes.

Pure: the caller reads the live state (census and virtual-ward caseloads) and the registry's beds and
hands them in. A change is written as a sentence ("close 30 beds acute@LGH from 2027-01-01", "open 50
beds llr-virtual from 2027-01-01") and becomes one of the scenario's own change models. The forecast
runs the bundled scenario's pathways (its demand) on the registry's pools from the census day, with no
warm-up, and reports each day's occupancy and OPEL level per site and for the system. Virtual-ward beds
are pools like any other: they count as beds and as occupied beds in every site and system figure.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from joinedup.errors import Invalid
from joinedup.plan.checks import check_references
from joinedup.plan.compiled import CompiledScenario
from joinedup.plan.scenario import (
    Change,
    CloseBeds,
    OpenBeds,
    OpenVirtualWard,
    Pool,
    Scenario,
    ScenarioInvalid,
    SetBeds,
)

FloatArray = npt.NDArray[np.float64]
DEFAULT_DAYS = 28
MAX_DAYS = 366
DEMAND_SCENARIO = "llr-virtual-ward-2022"
BED_CHANGES = (CloseBeds, OpenBeds, SetBeds, OpenVirtualWard)
SYSTEM = "system"
# Quantiles across replications drawn as the fan: the 95% and 50% bands around the median.
BANDS = {"p2_5": 2.5, "p25": 25.0, "p50": 50.0, "p75": 75.0, "p97_5": 97.5}


class WhatIfInvalid(Invalid):
    """A what-if that cannot be run; the message says which input and why, in one line."""


@dataclass(frozen=True)
class PoolStart:
    """One pool as it stands when the forecast starts: beds from the registry, occupied from live state."""

    id: str
    site_id: str
    site_name: str
    setting: str
    beds: int
    occupied: int
    delayed: int | None = None
    # The mean days the delayed patients have waited so far (the delay's mean where no step has one).
    delayed_mean_days: float | None = None


@dataclass(frozen=True)
class StartState:
    """Every pool's beds and occupied beds on the census day the forecast starts from."""

    on: date
    pools: tuple[PoolStart, ...]

    def pool(self, pool_id: str) -> PoolStart | None:
        return next((p for p in self.pools if p.id == pool_id), None)


@dataclass(frozen=True)
class RegistryStep:
    """A dated change of a pool's beds that the registry already records within the forecast."""

    pool_id: str
    on: date
    beds: int


_BEDS = r"(?P<beds>\d+)\s+(?:more\s+|fewer\s+)?(?:[a-z]+\s+)?beds?"
_WHEN = r"(?:\s+(?:from|on)\s+(?P<on>\S+))?"
_PATTERNS = (
    re.compile(rf"^(?P<verb>close|open)\s+{_BEDS}\s+(?:at\s+|in\s+)?(?P<target>\S+){_WHEN}$", re.I),
    re.compile(rf"^(?P<verb>set)\s+(?P<target>\S+)\s+to\s+{_BEDS}{_WHEN}$", re.I),
)
GRAMMAR = (
    '"close N beds POOL [from YYYY-MM-DD]", "open N beds POOL [from YYYY-MM-DD]" or '
    '"set POOL to N beds [from YYYY-MM-DD]", where POOL is a pool id (llr-virtual) or '
    "setting@site (acute@LGH)"
)


def parse_change(text: str, start: StartState, days: int) -> Change:
    """One change sentence as a scenario change; WhatIfInvalid naming the sentence when it cannot be."""
    sentence = " ".join(text.split())
    match = next((m for p in _PATTERNS if (m := p.match(sentence))), None)
    if match is None:
        raise WhatIfInvalid(f'--change "{text}": not understood; write {GRAMMAR}')
    pool = resolve_pool(match["target"], start, text)
    on = _change_date(match["on"], start.on, days, text)
    beds = int(match["beds"])
    source = f"what-if: {sentence}"
    verb = match["verb"].lower()
    if verb == "set":
        return SetBeds(kind="set_beds", pool=pool, beds=beds, on=on, source=source)
    if beds <= 0:
        raise WhatIfInvalid(f'--change "{text}": the number of beds to {verb} must be 1 or more')
    if verb == "close":
        return CloseBeds(kind="close_beds", pool=pool, beds=beds, on=on, source=source)
    return OpenBeds(kind="open_beds", pool=pool, beds=beds, on=on, source=source)


def resolve_pool(target: str, start: StartState, text: str) -> str:
    """A pool id from a pool id or from `setting@site` (site by id or name, any case)."""
    wanted = target.strip().lower()
    by_id = {p.id.lower(): p.id for p in start.pools}
    if wanted in by_id:
        return by_id[wanted]
    if "@" not in wanted:
        known = ", ".join(sorted(by_id.values()))
        raise WhatIfInvalid(f'--change "{text}": no pool {target!r} today (pools: {known})')
    setting, site = (part.strip() for part in wanted.split("@", 1))
    at_site = [p for p in start.pools if site in (p.site_id.lower(), p.site_name.lower())]
    if not at_site:
        sites = ", ".join(sorted({p.site_id for p in start.pools}))
        raise WhatIfInvalid(f'--change "{text}": no site {site!r} with beds today (sites: {sites})')
    matching = [p for p in at_site if p.setting.lower() == setting]
    if len(matching) != 1:
        found = ", ".join(f"{p.id} ({p.setting})" for p in at_site)
        problem = "no" if not matching else "more than one"
        raise WhatIfInvalid(
            f'--change "{text}": {problem} {setting!r} pool at {site!r} (pools there: {found})'
        )
    return matching[0].id


def _change_date(text: str | None, first: date, days: int, change: str) -> date:
    if text is None:
        return first
    try:
        on = date.fromisoformat(text)
    except ValueError:
        raise WhatIfInvalid(f'--change "{change}": {text!r} is not a date (YYYY-MM-DD)') from None
    last = first + timedelta(days=days - 1)
    if not first <= on <= last:
        raise WhatIfInvalid(f'--change "{change}": {on} is outside the forecast ({first} to {last})')
    return on


def check_size(days: int, replications: int) -> None:
    """Refuse a forecast of no days or no replications before anything is read or run."""
    if not 1 <= days <= MAX_DAYS:
        raise WhatIfInvalid(f"--days = {days}: must be between 1 and {MAX_DAYS}")
    if replications < 1:
        raise WhatIfInvalid(f"--replications = {replications}: must be 1 or more")


def forecast_scenario(
    demand: Scenario,
    start: StartState,
    days: int,
    changes: Sequence[Change] = (),
    registry_steps: Sequence[RegistryStep] = (),
) -> Scenario:
    """The demand scenario's pathways on today's pools from the start day, no warm-up, changes applied.

    The demand scenario's own bed changes are dropped (the registry's beds are today's truth); its other
    changes (activity shifted to virtual wards, moved services, avoided admissions) dated on or before
    the start are in force from the first day, later ones keep their date. Demand is that of the start
    year from the scenario's population.
    """
    end = start.on + timedelta(days=days)
    kept: list[Change] = []
    for change in demand.changes:
        if isinstance(change, BED_CHANGES) or change.on >= end:
            continue
        kept.append(change.model_copy(update={"on": max(change.on, start.on)}))
    registry = [
        SetBeds(kind="set_beds", pool=s.pool_id, beds=s.beds, on=s.on, source="registry")
        for s in registry_steps
        if start.on < s.on < end and start.pool(s.pool_id) is not None
    ]
    pools = [
        Pool(id=p.id, beds=p.beds, setting=p.setting, site=p.site_id, source=f"registry as of {start.on}")
        for p in start.pools
    ]
    scenario = Scenario(
        name=f"What-if from {start.on}",
        description=f"{demand.name}'s demand on the registry's pools, from the occupancy of {start.on}",
        start_date=start.on,
        horizon_days=days,
        warmup_days=0,
        population=demand.population,
        demand_year=start.on.year if demand.population else demand.demand_year,
        pools=pools,
        pathways=list(demand.pathways),
        changes=[*kept, *registry, *changes],
        assumptions=[*demand.assumptions, *ASSUMPTIONS, f"Demand: the pathways of {demand.name}."],
    )
    _check(scenario, changes)
    return scenario


ASSUMPTIONS = (
    "The forecast starts from the census (and the virtual wards' caseloads) of its first day, with no "
    "warm-up; each patient already in a bed stays for a residual time drawn from the forward-recurrence "
    "distribution of the pool's stay, then goes home; patients above a pool's registry beds are not counted.",
    "Beds are the registry's on the first day, with the changes the registry dates within the forecast.",
    "Virtual-ward beds are beds like any other: they count in every site and system occupancy and "
    "OPEL level.",
    "The OPEL level of a site or the system is that of its bed-weighted occupancy (the capacity.opel "
    "thresholds).",
)


def _check(scenario: Scenario, changes: Sequence[Change]) -> None:
    first_own = len(scenario.changes) - len(changes)
    try:
        check_references(scenario, "what-if")
    except ScenarioInvalid as exc:
        match = re.match(r"changes\[(\d+)\]", exc.field)
        if match and int(match[1]) >= first_own:
            own = changes[int(match[1]) - first_own]
            text = (own.source or "").removeprefix("what-if: ")
            raise WhatIfInvalid(f'--change "{text}": {exc.problem}') from None
        raise WhatIfInvalid(str(exc)) from None


def with_start(compiled: CompiledScenario, start: StartState) -> CompiledScenario:
    """The compiled forecast with each pool holding its census patients when the clock starts, its delayed
    patients (at most the occupied beds) among them."""
    occupied = np.array([_occupied(start, pool_id) for pool_id in compiled.pool_ids], dtype=np.int64)
    pools = [start.pool(pool_id) for pool_id in compiled.pool_ids]
    delayed = np.array([(p.delayed or 0) if p else 0 for p in pools], dtype=np.int64)
    mean = np.array([(p.delayed_mean_days or 0.0) if p else 0.0 for p in pools], dtype=np.float64)
    return dataclasses.replace(
        compiled,
        initial_occupied=occupied,
        initial_delayed=np.minimum(delayed, occupied),
        initial_delay_mean=mean,
    )


def _occupied(start: StartState, pool_id: str) -> int:
    pool = start.pool(pool_id)
    return pool.occupied if pool is not None else 0


@dataclass(frozen=True)
class Group:
    """Pools reported together: one site, or the whole system."""

    id: str
    name: str
    pools: tuple[int, ...]


def groups(compiled: CompiledScenario, start: StartState) -> list[Group]:
    """The system first, then each site by name, each with the indices of its pools."""
    sites: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for n, pool_id in enumerate(compiled.pool_ids):
        pool = start.pool(pool_id)
        site = pool.site_id if pool else pool_id
        names[site] = pool.site_name if pool else pool_id
        sites.setdefault(site, []).append(n)
    system = Group(SYSTEM, "Whole system", tuple(range(len(compiled.pool_ids))))
    ordered = sorted(sites, key=lambda s: names[s])
    return [system, *(Group(s, names[s], tuple(sites[s])) for s in ordered)]
