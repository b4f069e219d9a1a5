"""Rule sets: every threshold the pathway rules read, as versioned data with per-patient overrides.

A rule set has a name and a version; a patient's overrides make a new rule set whose version id adds a
digest of the overrides. Findings carry that id, so any alert can be traced to, and replayed under, the
exact thresholds that raised it.
"""

import dataclasses
import hashlib
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class News2Thresholds:
    """Aggregate NEWS2 scores that call for an urgent and an emergency response."""

    urgent_total: int
    emergency_total: int
    source: str

    def check(self) -> None:
        if not 0 < self.urgent_total < self.emergency_total <= 20:
            raise ValueError("news2: need 0 < urgent_total < emergency_total <= 20")


MAX_WINDOW_DAYS = 14
"""The longest heart-failure weight window a rule set may set (judging reads weights that far back)."""


@dataclass(frozen=True)
class HeartFailureThresholds:
    """A weight gain of more than `weight_gain_kg` within `window_days` calendar days."""

    weight_gain_kg: float
    window_days: int
    source: str

    def check(self) -> None:
        if not 0 < self.weight_gain_kg <= 20:
            raise ValueError("heart_failure: weight_gain_kg must be more than 0 and at most 20")
        if not 1 <= self.window_days <= MAX_WINDOW_DAYS:
            raise ValueError(f"heart_failure: window_days must be from 1 to {MAX_WINDOW_DAYS}")


@dataclass(frozen=True)
class CovidOximetryThresholds:
    """SpO2 at or below `emergency_spo2_max` is an emergency; up to `review_spo2_max` needs review."""

    emergency_spo2_max: int
    review_spo2_max: int
    fall_from_baseline: int
    source: str

    def check(self) -> None:
        if not 50 <= self.emergency_spo2_max < self.review_spo2_max < 100:
            raise ValueError("covid_oximetry: need 50 <= emergency_spo2_max < review_spo2_max < 100")
        if not 1 <= self.fall_from_baseline <= 20:
            raise ValueError("covid_oximetry: fall_from_baseline must be from 1 to 20")


@dataclass(frozen=True)
class FrailtyThresholds:
    """A rise in NEWS2 of at least `rise_from_baseline` over the patient's own usual score."""

    rise_from_baseline: int
    source: str

    def check(self) -> None:
        if not 1 <= self.rise_from_baseline <= 20:
            raise ValueError("frailty: rise_from_baseline must be from 1 to 20")


@dataclass(frozen=True)
class MissedReadingThresholds:
    """A reading expected every `expected_every_hours` is missed once `grace_hours` more have passed."""

    expected_every_hours: float
    grace_hours: float
    source: str

    def check(self) -> None:
        if not 0 < self.expected_every_hours <= 24 * 7:
            raise ValueError("missed_readings: expected_every_hours must be more than 0 and at most 168")
        if not 0 <= self.grace_hours <= self.expected_every_hours:
            raise ValueError("missed_readings: grace_hours must be from 0 to expected_every_hours")


_SECTIONS: dict[str, type[Any]] = {
    "news2": News2Thresholds,
    "heart_failure": HeartFailureThresholds,
    "covid_oximetry": CovidOximetryThresholds,
    "frailty": FrailtyThresholds,
    "missed_readings": MissedReadingThresholds,
}

CURRENT_RULE_SET = "current.toml"
"""The rule set in force, bundled as `joinedup/data/rules/current.toml` (versioned data, not code)."""


def bundled_rule_set_text(name: str = CURRENT_RULE_SET) -> str:
    """The text of a rule set bundled in `joinedup/data/rules/` (e.g. `stricter-example.toml`)."""
    return resources.files("joinedup").joinpath("data", "rules", name).read_text(encoding="utf-8")


DEFAULT_RULE_SET_DATA: dict[str, Any] = tomllib.loads(bundled_rule_set_text())
"""The rule set used when nobody has chosen another (the bundled `current.toml`); see `default_rule_set()`."""


@dataclass(frozen=True)
class RuleSet:
    """A complete, named, versioned set of thresholds for every pathway rule."""

    name: str
    version: str
    news2: News2Thresholds
    heart_failure: HeartFailureThresholds
    covid_oximetry: CovidOximetryThresholds
    frailty: FrailtyThresholds
    missed_readings: MissedReadingThresholds
    overrides_digest: str | None = None

    @property
    def version_id(self) -> str:
        """`name@version`, plus `+patient-<digest>` when per-patient overrides are applied."""
        base = f"{self.name}@{self.version}"
        return base if self.overrides_digest is None else f"{base}+patient-{self.overrides_digest}"

    @property
    def content_digest(self) -> str:
        """SHA-256 of the thresholds and sources (not name or version): the same numbers, the same digest."""
        body = {section: dataclasses.asdict(getattr(self, section)) for section in _SECTIONS}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_mapping(self) -> dict[str, Any]:
        """The rule set as plain data (for storage, TOML or JSON); `rule_set_from_mapping` reads it back."""
        data: dict[str, Any] = {"name": self.name, "version": self.version}
        for section in _SECTIONS:
            data[section] = dataclasses.asdict(getattr(self, section))
        return data


def default_rule_set() -> RuleSet:
    """The rule set in force (`data/rules/current.toml`), built from `DEFAULT_RULE_SET_DATA`."""
    return _CURRENT


def rule_set_from_toml(text: str, base: RuleSet | None = None) -> RuleSet:
    """A rule set from a TOML document; sections or keys left out come from `base` when given.

    ValueError naming what is wrong (TOML syntax, unknown section, a threshold out of range).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"rule set: not valid TOML ({exc})") from None
    return rule_set_from_mapping(data, base=base)


def rule_set_from_mapping(data: Mapping[str, Any], base: RuleSet | None = None) -> RuleSet:
    """Read a rule set from plain data; sections or keys left out are taken from `base` when given.

    A rule set must name itself and its version, so every finding it raises can be traced back to it.
    """
    unknown = set(data) - {"name", "version", *_SECTIONS}
    if unknown:
        raise ValueError(f"rule set: unknown section(s) {', '.join(sorted(unknown))}")
    for key in ("name", "version"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ValueError(f"rule set: {key!r} must be a non-empty string")
    sections = {
        section: _read_section(section, data.get(section, {}), getattr(base, section, None))
        for section in _SECTIONS
    }
    return RuleSet(name=data["name"], version=data["version"], **sections)


def with_overrides(rule_set: RuleSet, overrides: Mapping[str, Mapping[str, float]]) -> RuleSet:
    """A patient's rule set: `overrides` replace single thresholds, e.g. {"covid_oximetry": {...}}.

    Sources, names and versions cannot be overridden; the result's version id records a digest of the
    overrides so a finding shows which patient-specific thresholds raised it.
    """
    if not overrides:
        return rule_set
    changed: dict[str, Any] = {}
    for section, values in overrides.items():
        if section not in _SECTIONS:
            raise ValueError(f"override: unknown section {section!r}")
        if "source" in values:
            raise ValueError(f"override: {section}.source cannot be overridden")
        current = getattr(rule_set, section)
        changed[section] = _read_section(section, values, current)
    canonical = json.dumps({s: dict(v) for s, v in overrides.items()}, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:12]
    if rule_set.overrides_digest is not None:
        digest = hashlib.sha256(f"{rule_set.overrides_digest}+{digest}".encode()).hexdigest()[:12]
    return dataclasses.replace(rule_set, overrides_digest=digest, **changed)


def _read_section(section: str, values: Mapping[str, Any], base: Any) -> Any:
    """One section's thresholds from `values`, filling gaps from `base`, type-checked and range-checked."""
    cls = _SECTIONS[section]
    if not isinstance(values, Mapping):
        raise ValueError(f"rule set: section {section!r} must be a table of thresholds")
    fields = {field.name: field for field in dataclasses.fields(cls)}
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"rule set: unknown threshold(s) {', '.join(sorted(unknown))} in {section!r}")
    merged: dict[str, Any] = {} if base is None else dataclasses.asdict(base)
    for name, value in values.items():
        merged[name] = _typed(f"{section}.{name}", value, fields[name].type)
    missing = set(fields) - set(merged)
    if missing:
        raise ValueError(f"rule set: {section!r} is missing {', '.join(sorted(missing))}")
    thresholds = cls(**merged)
    thresholds.check()
    return thresholds


def _typed(name: str, value: Any, expected: Any) -> Any:
    """`value` as the field's type (int, float or str); ValueError naming the field otherwise."""
    if expected in (int, "int"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"rule set: {name} must be a whole number, not {value!r}")
        return value
    if expected in (float, "float"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"rule set: {name} must be a number, not {value!r}")
        return float(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"rule set: {name} must be a non-empty string, not {value!r}")
    return value


_CURRENT = rule_set_from_mapping(DEFAULT_RULE_SET_DATA)
