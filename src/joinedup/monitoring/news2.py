"""NEWS2, the National Early Warning Score 2, scored exactly as the Royal College of Physicians' chart.

Source: Royal College of Physicians. National Early Warning Score (NEWS) 2: Standardising the assessment
of acute-illness severity in the NHS. London: RCP, 2017 (chart 1, the scoring system; chart 2, SpO2
scale 2; chart 3, the clinical response thresholds).
"""

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Risk = Literal["low", "low-medium", "medium", "high"]
Consciousness = Literal["A", "C", "V", "P", "U"]

PARAMETERS: tuple[str, ...] = (
    "respiration_rate",
    "spo2",
    "air_or_oxygen",
    "systolic_bp",
    "pulse",
    "consciousness",
    "temperature",
)
"""The seven NEWS2 parameters, in the chart's order; the keys of every `components` dict."""

RISK_ORDER: tuple[Risk, ...] = ("low", "low-medium", "medium", "high")
"""Clinical risk from least to most urgent (RCP chart 3)."""

ACVPU: tuple[Consciousness, ...] = ("A", "C", "V", "P", "U")
"""Alert, new Confusion, responds to Voice, responds to Pain, Unresponsive."""

# Body temperatures beyond these cannot be a living person in degrees Celsius; a value above the upper
# limit is almost always a Fahrenheit reading. Assumption: limits of recorded human survival, rounded out.
TEMPERATURE_LIMITS_CEL = (10.0, 47.0)


@dataclass(frozen=True)
class News2Score:
    """A full NEWS2 score: every parameter present, so `total` and `risk` may be acted on as they stand."""

    total: int
    components: dict[str, int]
    risk: Risk
    spo2_scale: int = 1
    has_single_parameter_of_3: bool = False


@dataclass(frozen=True)
class PartialNews2Score:
    """A score from an incomplete set: the sum of what is present, what is missing, and the least risk.

    `subtotal` is never a NEWS2 total: a missing parameter can only add points, so `minimum_risk` is the
    lowest risk the complete set could have. `score` is the full score only when nothing is missing.
    """

    subtotal: int
    components: dict[str, int]
    missing: tuple[str, ...]
    minimum_risk: Risk
    score: News2Score | None
    spo2_scale: int = 1

    @property
    def is_complete(self) -> bool:
        """True when all seven parameters were present and `score` is a full NEWS2 score."""
        return not self.missing

    def describe(self) -> str:
        """How the score should be shown: the full total, or the subtotal marked as partial."""
        if self.score is not None:
            return f"NEWS2 {self.score.total} ({self.score.risk})"
        return f"NEWS2 at least {self.subtotal}, partial: missing {', '.join(self.missing)}"


def score(
    respiration_rate: float,
    spo2: float,
    on_oxygen: bool,
    systolic_bp: float,
    pulse: float,
    consciousness: str,
    temperature: float,
    spo2_scale: int = 1,
) -> News2Score:
    """Score a complete set of observations on the RCP NEWS2 chart; ValueError on impossible input."""
    _check_scale(spo2_scale)
    if not isinstance(on_oxygen, bool):
        raise ValueError(f"on_oxygen must be True or False, not {on_oxygen!r}")
    components = {
        "respiration_rate": score_respiration_rate(respiration_rate),
        "spo2": score_spo2(spo2, on_oxygen, spo2_scale),
        "air_or_oxygen": score_air_or_oxygen(on_oxygen),
        "systolic_bp": score_systolic_bp(systolic_bp),
        "pulse": score_pulse(pulse),
        "consciousness": score_consciousness(consciousness),
        "temperature": score_temperature(temperature),
    }
    total = sum(components.values())
    has_three = 3 in components.values()
    return News2Score(total, components, risk_for(total, has_three), spo2_scale, has_three)


def partial_score(
    respiration_rate: float | None = None,
    spo2: float | None = None,
    on_oxygen: bool | None = None,
    systolic_bp: float | None = None,
    pulse: float | None = None,
    consciousness: str | None = None,
    temperature: float | None = None,
    spo2_scale: int = 1,
) -> PartialNews2Score:
    """Score whatever is present (None = not measured) without ever passing a subtotal off as a total.

    On scale 2, SpO2 of 93% or more scores only when the patient is on oxygen; if air or oxygen is not
    recorded, SpO2 cannot be scored and is listed as missing too.
    """
    _check_scale(spo2_scale)
    if on_oxygen is not None and not isinstance(on_oxygen, bool):
        raise ValueError(f"on_oxygen must be True, False or None, not {on_oxygen!r}")
    scorers: dict[str, Callable[[], int] | None] = {
        "respiration_rate": _maybe(score_respiration_rate, respiration_rate),
        "spo2": _spo2_scorer(spo2, on_oxygen, spo2_scale),
        "air_or_oxygen": None if on_oxygen is None else (lambda: score_air_or_oxygen(bool(on_oxygen))),
        "systolic_bp": _maybe(score_systolic_bp, systolic_bp),
        "pulse": _maybe(score_pulse, pulse),
        "consciousness": None if consciousness is None else (lambda: score_consciousness(consciousness)),
        "temperature": _maybe(score_temperature, temperature),
    }
    components = {name: scorer() for name, scorer in scorers.items() if scorer is not None}
    missing = tuple(name for name in PARAMETERS if name not in components)
    subtotal = sum(components.values())
    has_three = 3 in components.values()
    full = None
    if not missing:
        full = News2Score(subtotal, components, risk_for(subtotal, has_three), spo2_scale, has_three)
    minimum_risk = risk_for(subtotal, has_three)
    return PartialNews2Score(subtotal, components, missing, minimum_risk, full, spo2_scale)


def risk_for(total: int, has_single_parameter_of_3: bool) -> Risk:
    """RCP chart 3: 7+ high; 5-6 medium; a 3 in any one parameter low-medium; otherwise 0-4 low."""
    if total >= 7:
        return "high"
    if total >= 5:
        return "medium"
    if has_single_parameter_of_3:
        return "low-medium"
    return "low"


_remembered = functools.lru_cache(maxsize=4096, typed=True)
"""Each band score is a pure function of a value that devices send again and again, worked out in Decimal
to round as the chart does; a batch of readings re-scores every patient's set. `typed`: True, 1 and 1.0 are
told apart (a bool is refused, never scored as 1)."""


@_remembered
def score_respiration_rate(breaths_per_min: float) -> int:
    """<=8: 3; 9-11: 1; 12-20: 0; 21-24: 2; >=25: 3."""
    rate = _chart_value("respiration_rate", breaths_per_min, places=0)
    _check_not_negative("respiration_rate", rate)
    return _band(rate, ((8, 3), (11, 1), (20, 0), (24, 2)), above=3)


@_remembered
def score_spo2(percent: float, on_oxygen: bool, spo2_scale: int = 1) -> int:
    """Scale 1: <=91: 3; 92-93: 2; 94-95: 1; >=96: 0. Scale 2: see `_score_spo2_scale_2`."""
    _check_scale(spo2_scale)
    value = _chart_value("spo2", percent, places=0)
    if not Decimal(0) <= value <= Decimal(100):
        raise ValueError(f"spo2 must be a percentage from 0 to 100, not {percent}")
    if spo2_scale == 2:
        return _score_spo2_scale_2(value, on_oxygen)
    return _band(value, ((91, 3), (93, 2), (95, 1)), above=0)


def _score_spo2_scale_2(value: Decimal, on_oxygen: bool) -> int:
    """Scale 2 (target 88-92%, hypercapnic respiratory failure): <=83: 3; 84-85: 2; 86-87: 1; 88-92: 0;
    >=93 on air: 0; on oxygen 93-94: 1, 95-96: 2, >=97: 3."""
    if value <= 92:
        return _band(value, ((83, 3), (85, 2), (87, 1)), above=0)
    if not on_oxygen:
        return 0
    return _band(value, ((94, 1), (96, 2)), above=3)


def score_air_or_oxygen(on_oxygen: bool) -> int:
    """Air: 0; supplemental oxygen: 2."""
    return 2 if on_oxygen else 0


@_remembered
def score_systolic_bp(mm_hg: float) -> int:
    """<=90: 3; 91-100: 2; 101-110: 1; 111-219: 0; >=220: 3."""
    value = _chart_value("systolic_bp", mm_hg, places=0)
    _check_not_negative("systolic_bp", value)
    return _band(value, ((90, 3), (100, 2), (110, 1), (219, 0)), above=3)


@_remembered
def score_pulse(beats_per_min: float) -> int:
    """<=40: 3; 41-50: 1; 51-90: 0; 91-110: 1; 111-130: 2; >=131: 3."""
    value = _chart_value("pulse", beats_per_min, places=0)
    _check_not_negative("pulse", value)
    return _band(value, ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2)), above=3)


def score_consciousness(acvpu: str) -> int:
    """Alert: 0; new Confusion, Voice, Pain or Unresponsive: 3."""
    if acvpu not in ACVPU:
        raise ValueError(f"consciousness must be one of A, C, V, P, U (ACVPU), not {acvpu!r}")
    return 0 if acvpu == "A" else 3


@_remembered
def score_temperature(celsius: float) -> int:
    """<=35.0: 3; 35.1-36.0: 1; 36.1-38.0: 0; 38.1-39.0: 1; >=39.1: 2."""
    value = _chart_value("temperature", celsius, places=1)
    low, high = TEMPERATURE_LIMITS_CEL
    if not Decimal(str(low)) <= value <= Decimal(str(high)):
        raise ValueError(
            f"temperature {celsius} is outside {low}-{high} Cel: NEWS2 takes degrees Celsius "
            "(was it recorded in Fahrenheit?)"
        )
    bands = ((Decimal("35.0"), 3), (Decimal("36.0"), 1), (Decimal("38.0"), 0), (Decimal("39.0"), 1))
    return _band(value, bands, above=2)


def _band(value: Decimal, upper_limits: tuple[tuple[int | Decimal, int], ...], above: int) -> int:
    """The points of the first band whose inclusive upper limit holds `value`, else `above`."""
    for upper, points in upper_limits:
        if value <= upper:
            return points
    return above


def _chart_value(name: str, value: float, places: int) -> Decimal:
    """The value as written on the chart: rounded half up to whole numbers (temperature to 0.1)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value}")
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _check_not_negative(name: str, value: Decimal) -> None:
    if value < 0:
        raise ValueError(f"{name} cannot be negative, not {value}")


def _check_scale(spo2_scale: int) -> None:
    if isinstance(spo2_scale, bool) or spo2_scale not in (1, 2):
        raise ValueError(f"spo2_scale must be 1 or 2, not {spo2_scale!r}")


def _maybe(scorer: Callable[[float], int], value: float | None) -> Callable[[], int] | None:
    return None if value is None else (lambda: scorer(value))


def _spo2_scorer(spo2: float | None, on_oxygen: bool | None, spo2_scale: int) -> Callable[[], int] | None:
    """Scorer for SpO2 in a partial set, or None when it cannot be scored without air/oxygen."""
    if spo2 is None:
        return None
    if on_oxygen is not None:
        return lambda: score_spo2(spo2, on_oxygen, spo2_scale)
    # The scale-1 SpO2 bands and scale-2 values of 92% or less do not depend on air or oxygen.
    value_score = score_spo2(spo2, False, spo2_scale)
    if spo2_scale == 2 and _chart_value("spo2", spo2, places=0) >= 93:
        return None
    return lambda: value_score
