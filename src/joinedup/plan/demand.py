"""Demand: arrivals by pathway from population by age band x age-specific rates x growth, and day profiles.

Arrivals per day on a pathway are Σ_band people(band, year) · admissions_per_1000(band) / 1000 / 365.25.
Weekday and season profiles are multipliers normalised to a mean of 1, so they shape arrivals over the
year without changing their total; the engine samples the resulting non-homogeneous Poisson process by
thinning (Lewis and Shedler, 1979).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

DAYS_PER_YEAR = 365.25
POPULATION_FOLDER = Path(__file__).resolve().parents[1] / "data" / "population"


@dataclass(frozen=True)
class AgeBand:
    """People in one age band in the base year and how fast the band grows each year."""

    id: str
    people: float
    growth_per_year: float
    source: str


@dataclass(frozen=True)
class Population:
    """A resident population by age band, projectable to other years."""

    id: str
    name: str
    base_year: int
    bands: tuple[AgeBand, ...]
    source: str

    @property
    def band_ids(self) -> tuple[str, ...]:
        return tuple(band.id for band in self.bands)

    def people(self, band_id: str, year: int) -> float:
        """People in `band_id` in `year`, compounding the band's yearly growth from the base year."""
        band = next((b for b in self.bands if b.id == band_id), None)
        if band is None:
            raise KeyError(f"population {self.id!r} has no age band {band_id!r}")
        return band.people * (1.0 + band.growth_per_year) ** (year - self.base_year)


def population_ids() -> list[str]:
    """Ids of the bundled populations (files in joinedup/data/population)."""
    return sorted(path.stem for path in POPULATION_FOLDER.glob("*.toml"))


def load_population(population_id: str) -> Population:
    """Read a bundled population file; a band's forecast fixes its yearly growth rate."""
    if population_id not in population_ids():
        raise KeyError(f"unknown population {population_id!r} (known: {', '.join(population_ids())})")
    document = tomllib.loads((POPULATION_FOLDER / f"{population_id}.toml").read_text(encoding="utf-8"))
    base_year = int(document["base_year"])
    bands = tuple(_band(entry, base_year) for entry in document["bands"])
    return Population(
        id=population_id,
        name=str(document["name"]),
        base_year=base_year,
        bands=bands,
        source=str(document["source"]),
    )


def _band(entry: Mapping[str, Any], base_year: int) -> AgeBand:
    growth = float(entry.get("growth_per_year", 0.0))
    source = str(entry["source"])
    forecasts = entry.get("forecasts") or []
    if forecasts:
        forecast = forecasts[0]
        years = int(forecast["to_year"]) - base_year
        growth = (1.0 + float(forecast["change"])) ** (1.0 / years) - 1.0
        source = f"{source}; growth from forecast: {forecast['source']}"
    return AgeBand(id=str(entry["id"]), people=float(entry["people"]), growth_per_year=growth, source=source)


def arrivals_by_age_band(
    population: Population, admissions_per_1000: Mapping[str, float], year: int
) -> dict[str, float]:
    """Arrivals per day from each age band: people in the band that year x admissions per 1,000 a year."""
    return {
        band: population.people(band, year) * rate / 1000.0 / DAYS_PER_YEAR
        for band, rate in admissions_per_1000.items()
    }


def arrivals_per_day(population: Population, admissions_per_1000: Mapping[str, float], year: int) -> float:
    """Total arrivals per day on a pathway whose demand is given per 1,000 people by age band."""
    return sum(arrivals_by_age_band(population, admissions_per_1000, year).values())


def normalised(profile: Sequence[float] | None, length: int) -> npt.NDArray[np.float64]:
    """A profile scaled to a mean of 1 (flat when absent or all zero)."""
    if profile is None:
        return np.ones(length)
    values = np.asarray(profile, dtype=np.float64)
    mean = float(values.mean())
    return values / mean if mean > 0 else np.ones(length)


def day_profile(
    first_day: date, days: int, weekday: Sequence[float] | None, season: Sequence[float] | None
) -> npt.NDArray[np.float64]:
    """Arrival multiplier for each of `days` days from `first_day`: weekday (Monday first) x month."""
    by_weekday = normalised(weekday, 7)
    by_month = normalised(season, 12)
    dates = [first_day + timedelta(days=k) for k in range(days)]
    return np.array([by_weekday[d.weekday()] * by_month[d.month - 1] for d in dates], dtype=np.float64)


def calibration_factor(target_occupied_beds: float, offered_bed_days_per_day: float) -> float:
    """Scale on admission rates making the offered load equal a target occupancy (Little's law, L = λW)."""
    if offered_bed_days_per_day <= 0:
        raise ValueError("offered_bed_days_per_day must be above 0")
    return target_occupied_beds / offered_bed_days_per_day
