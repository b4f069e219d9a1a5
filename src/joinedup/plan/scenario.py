"""Scenario files: Pydantic validation of a baseline (pools, pathways, demand) plus dated changes.

A scenario is validated once, here, with plain-English messages naming the file, the field and the value
(as Ciw validates its networks); the compiled engine then trusts what it is given.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from joinedup.errors import Invalid
from joinedup.registry.vocabulary import StaffGroup

Policy = Literal["refuse", "wait", "divert"]
Distribution = Literal["lognormal", "gamma", "exponential", "empirical"]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Id = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


class Strict(BaseModel):
    """Base of every scenario table: unknown fields are errors, so a misspelt key is never ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Stay(Strict):
    """How long a patient stays in a bed, in days."""

    distribution: Distribution
    mean_days: float | None = None
    sd_days: Annotated[float, Field(gt=0.0)] | None = None
    values: list[Annotated[float, Field(ge=0.0)]] | None = None
    weights: list[Annotated[float, Field(ge=0.0)]] | None = None

    @model_validator(mode="after")
    def _complete(self) -> Stay:
        if self.distribution == "empirical":
            if not self.values:
                raise ValueError("an empirical stay needs a non-empty list of values (days)")
            if self.weights is not None and len(self.weights) != len(self.values):
                raise ValueError("weights must have one entry per value")
            if self.mean() <= 0:
                raise ValueError(f"the stay's mean must be above 0 days, got {self.mean()}")
            return self
        if self.mean_days is None:
            raise ValueError(f"a {self.distribution} stay needs mean_days")
        if not math.isfinite(self.mean_days) or self.mean_days <= 0:
            raise ValueError(f"mean_days must be above 0, got {self.mean_days}")
        if self.distribution in ("lognormal", "gamma") and self.sd_days is None:
            raise ValueError(f"a {self.distribution} stay needs sd_days")
        return self

    def mean(self) -> float:
        """Mean stay in days (for an empirical stay, the weighted mean of its values)."""
        if self.distribution != "empirical":
            return float(self.mean_days or 0.0)
        values = self.values or []
        weights = self.weights or [1.0] * len(values)
        total = sum(weights)
        return sum(v * w for v, w in zip(values, weights, strict=True)) / total if total > 0 else 0.0


DELAY_REASONS = ("housing", "social-care", "chc-assessment", "community-bed", "care-home", "other")
DelayReason = Literal["housing", "social-care", "chc-assessment", "community-bed", "care-home", "other"]


class Delay(Strict):
    """A delayed discharge: with `probability`, a patient medically fit to leave keeps the bed `days` more
    (waiting for housing, social care, a CHC assessment, a community or care-home bed)."""

    reason: DelayReason
    probability: Share
    days: Stay
    source: str | None = None


class Step(Strict):
    """One pool a patient may go to at a stage of a route, with the chance of going there."""

    pool: Id
    probability: Share = 1.0
    stay: Stay | None = None
    when_full: Policy | None = None
    max_wait_days: Annotated[float, Field(gt=0.0)] | None = None
    divert_to: Id | None = None
    delays: list[Delay] | None = None


def _stages(value: Any) -> Any:
    """Each stage of a route as a list of options: a pool id or one table stands for a one-option stage."""
    if not isinstance(value, list):
        return value
    return [
        [{"pool": stage}] if isinstance(stage, str) else [stage] if isinstance(stage, dict | Step) else stage
        for stage in value
    ]


Route = Annotated[
    list[Annotated[list[Step], Field(min_length=1)]], BeforeValidator(_stages), Field(min_length=1)
]


class Pool(Strict):
    """A pool of beds (acute, community, maternity, mental health or virtual-ward beds at one site)."""

    id: Id
    beds: Annotated[int, Field(ge=0)]
    setting: str | None = None
    site: str | None = None
    source: str | None = None


class Pathway(Strict):
    """Patients who arrive the same way and follow the same route through pools."""

    id: Id
    arrivals_per_day: Annotated[float, Field(ge=0.0)] | None = None
    admissions_per_1000: dict[str, Annotated[float, Field(ge=0.0)]] | None = None
    stay: Stay
    route: Route
    when_full: Policy = "refuse"
    max_wait_days: Annotated[float, Field(gt=0.0)] | None = None
    divert_to: Id | None = None
    weekday: Annotated[list[Annotated[float, Field(ge=0.0)]], Field(min_length=7, max_length=7)] | None = None
    season: Annotated[list[Annotated[float, Field(ge=0.0)]], Field(min_length=12, max_length=12)] | None = (
        None
    )
    starts_on: date | None = None
    delays: list[Delay] = []
    source: str | None = None

    @model_validator(mode="after")
    def _one_demand(self) -> Pathway:
        if (self.arrivals_per_day is None) == (self.admissions_per_1000 is None):
            raise ValueError("give exactly one of arrivals_per_day or admissions_per_1000")
        return self


class ChangeBase(Strict):
    """A dated change to the baseline; `source` cites the document it comes from or says `assumption`."""

    on: date
    source: str | None = None


class CloseBeds(ChangeBase):
    kind: Literal["close_beds"]
    pool: Id
    beds: Annotated[int, Field(gt=0)]


class OpenBeds(ChangeBase):
    kind: Literal["open_beds"]
    pool: Id
    beds: Annotated[int, Field(gt=0)]


class SetBeds(ChangeBase):
    kind: Literal["set_beds"]
    pool: Id
    beds: Annotated[int, Field(ge=0)]


class MoveService(ChangeBase):
    """From `on`, a pathway (every pathway if none is named) uses `to_pool` wherever it used `from_pool`."""

    kind: Literal["move_service"]
    pathway: Id | None = None
    from_pool: Id
    to_pool: Id


class OpenVirtualWard(ChangeBase):
    """A virtual ward (beds in patients' homes) opens with `beds` on `on`; a new pool unless listed."""

    kind: Literal["open_virtual_ward"]
    pool: Id
    beds: Annotated[int, Field(ge=0)]
    site: str | None = None


class ShiftActivity(ChangeBase):
    """From `on`, a share of a pathway's arrivals follows another route (another setting of care)."""

    kind: Literal["shift_activity"]
    pathway: Id
    share: Share
    route: Route
    stay: Stay | None = None


class AvoidAdmissions(ChangeBase):
    """From `on`, a share of a pathway's admissions no longer happens (an activity mitigator)."""

    kind: Literal["avoid_admissions"]
    pathway: Id
    share: Share


# Money is whole pence (STYLE.md); strict, so 12.5, 12.0 or "1250" is refused rather than rounded.
Pence = Annotated[int, Field(ge=0, strict=True)]
Fte = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]


class StaffChange(ChangeBase):
    """From `on`, `fte` more (add_staff) or fewer (cut_staff) staff of a group in a pool or a setting."""

    pool: Id | None = None
    setting: Id | None = None
    staff_group: StaffGroup
    fte: Annotated[float, Field(gt=0.0, allow_inf_nan=False)]

    @model_validator(mode="after")
    def _one_scope(self) -> StaffChange:
        if (self.pool is None) == (self.setting is None):
            raise ValueError("give exactly one of pool or setting")
        return self


class AddStaff(StaffChange):
    kind: Literal["add_staff"]


class CutStaff(StaffChange):
    kind: Literal["cut_staff"]


class ChcDestination(Strict):
    """Where a share of the people who lose Continuing Healthcare funding go: beds of a pool (new
    admissions at a rate a person a year) or care outside the simulated pools (a setting costed per day)."""

    share: Share
    pool: Id | None = None
    setting: Id | None = None
    admissions_per_person_year: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] | None = None
    stay: Stay | None = None
    when_full: Policy = "refuse"
    max_wait_days: Annotated[float, Field(gt=0.0)] | None = None
    divert_to: Id | None = None
    contacts_per_person_day: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = 0.0
    source: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> ChcDestination:
        if (self.pool is None) == (self.setting is None):
            raise ValueError("give exactly one of pool (beds) or setting (care outside the pools)")
        if self.pool is not None and (self.admissions_per_person_year is None or self.stay is None):
            raise ValueError("a pool destination needs admissions_per_person_year and stay")
        return self


class CutChc(ChangeBase):
    """From `on`, NHS Continuing Healthcare funds `share` fewer of its `caseload`; the people it no longer
    funds go where `destinations` say (the rest are not costed: self-funded or family care)."""

    kind: Literal["cut_chc"]
    caseload: Annotated[int, Field(gt=0)]
    share: Share
    saving_pence: Pence | None = None
    destinations: list[ChcDestination] = []


Change = Annotated[
    CloseBeds
    | OpenBeds
    | SetBeds
    | MoveService
    | OpenVirtualWard
    | ShiftActivity
    | AvoidAdmissions
    | AddStaff
    | CutStaff
    | CutChc,
    Field(discriminator="kind"),
]


class Staffing(Strict):
    """Staff a pool (or every pool of a setting) needs: FTE per occupied bed, or per patient on a caseload."""

    pool: Id | None = None
    setting: Id | None = None
    staff_group: StaffGroup
    fte_per_occupied_bed: Fte | None = None
    fte_per_caseload: Fte | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Staffing:
        if (self.pool is None) == (self.setting is None):
            raise ValueError("give exactly one of pool or setting")
        if (self.fte_per_occupied_bed is None) == (self.fte_per_caseload is None):
            raise ValueError("give exactly one of fte_per_occupied_bed or fte_per_caseload")
        return self

    @property
    def fte_per_patient(self) -> float:
        """FTE per occupied bed (a patient on a virtual ward's caseload occupies one of its beds)."""
        ratio = self.fte_per_occupied_bed if self.fte_per_occupied_bed is not None else self.fte_per_caseload
        return float(ratio or 0.0)


class PlannedWorkforce(Strict):
    """Staff in post (FTE) of a group in a pool or a setting on the scenario's start date."""

    pool: Id | None = None
    setting: Id | None = None
    staff_group: StaffGroup
    fte: Fte
    source: str | None = None

    @model_validator(mode="after")
    def _one_scope(self) -> PlannedWorkforce:
        if (self.pool is None) == (self.setting is None):
            raise ValueError("give exactly one of pool or setting")
        return self


class Cost(Strict):
    """What a day in a bed (or on a caseload) and a contact (an admission) cost in a setting, in pence."""

    setting: Id
    per_bed_day_pence: Pence | None = None
    per_contact_pence: Pence | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _some_cost(self) -> Cost:
        if self.per_bed_day_pence is None and self.per_contact_pence is None:
            raise ValueError("give per_bed_day_pence, per_contact_pence or both")
        return self


class RegistryPools(Strict):
    """Take the pools from the registry as they stood on a date (resolved outside the pure core)."""

    on: date


class Scenario(Strict):
    """A baseline (pools, pathways, demand) plus dated changes, simulated over a horizon after a warm-up."""

    name: Annotated[str, Field(min_length=1)]
    description: str | None = None
    start_date: date = date(2024, 4, 1)
    horizon_days: Annotated[int, Field(gt=0, le=36500)]
    warmup_days: Annotated[int, Field(ge=0, le=36500)] = 0
    population: str | None = None
    demand_year: int | None = None
    pools_from_registry: RegistryPools | None = None
    pools: list[Pool] = []
    pathways: Annotated[list[Pathway], Field(min_length=1)]
    changes: list[Change] = []
    assumptions: list[str] = []
    staffing: list[Staffing] = []
    workforce: list[PlannedWorkforce] = []
    costs: list[Cost] = []
    gap_pence: Pence | None = None
    gap_source: str | None = None


class ScenarioInvalid(Invalid):
    """A scenario file that cannot be run; the message names the file, the field and the value."""

    def __init__(self, file: str, field: str, value: object, problem: str) -> None:
        shown = f" = {_shown(value)}" if _is_scalar(value) else ""
        where = f"{field}{shown}: " if field else ""
        super().__init__(f"{file}: {where}{problem}")
        self.file, self.field, self.value, self.problem = file, field, value, problem


def validate_document(document: dict[str, Any], file: str) -> Scenario:
    """A Scenario from a parsed TOML document, or ScenarioInvalid naming the first problem found."""
    try:
        return Scenario.model_validate(document)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field, value = field_path(error["loc"]), error.get("input")
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            field, value = f"{field}.kind", error.get("ctx", {}).get("tag")
        raise ScenarioInvalid(file, field, value, _money_problem(field, error) or _problem(error)) from None


def _money_problem(field: str, error: ErrorDetails) -> str | None:
    """Money is whole pence: say so for a decimal or quoted amount and for a field still in pounds."""
    if field.endswith("_pence") and error["type"] in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number of pence (an integer, no decimal point or quotes)"
    if field.endswith("_gbp") and error["type"] == "extra_forbidden":
        return f"money is in whole pence: use {field.rsplit('.', 1)[-1].removesuffix('_gbp')}_pence"
    return None


def field_path(loc: tuple[int | str, ...]) -> str:
    """`pathways[0].stay.mean_days` from Pydantic's location tuple, leaving out the tags of change kinds."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part not in _CHANGE_KINDS:
            text += f".{part}" if text else part
    return text


_CHANGE_KINDS = {
    "close_beds",
    "open_beds",
    "set_beds",
    "move_service",
    "open_virtual_ward",
    "shift_activity",
    "avoid_admissions",
    "add_staff",
    "cut_staff",
    "cut_chc",
}


def _problem(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = {
        key: _shown(value) if isinstance(value, float) else value
        for key, value in error.get("ctx", {}).items()
    }
    messages = {
        "missing": "is required",
        "extra_forbidden": "is not a field a scenario may have (misspelt?)",
        "greater_than": f"must be above {ctx.get('gt')}",
        "greater_than_equal": f"must be {ctx.get('ge')} or more",
        "less_than_equal": f"must be {ctx.get('le')} or less",
        "too_short": f"must have at least {ctx.get('min_length')} entries",
        "too_long": f"must have at most {ctx.get('max_length')} entries",
        "literal_error": f"must be one of {ctx.get('expected')}",
        "union_tag_invalid": f"must be one of {ctx.get('expected_tags')}",
        "union_tag_not_found": "needs a kind (close_beds, open_beds, set_beds, move_service, ...)",
        "string_pattern_mismatch": "must be an id of letters, digits, '-', '_' or '.'",
        "int_parsing": "must be a whole number",
        "int_type": "must be a whole number",
        "int_from_float": "must be a whole number",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "date_parsing": "must be a date (YYYY-MM-DD)",
        "date_type": "must be a date (YYYY-MM-DD)",
        "date_from_datetime_inexact": "must be a date (YYYY-MM-DD) without a time",
    }
    if kind in messages:
        return messages[kind]
    return str(error["msg"]).removeprefix("Value error, ")


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool | date)


def _shown(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
