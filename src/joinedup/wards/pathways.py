"""The clinical pathways a virtual ward admits to, and how each is monitored. Pure reference data.

Source: seed 002 (LLR's remote monitoring covers heart failure, frailty and COVID-19); NHS England,
Virtual wards operational framework (2024), which lists respiratory (including COVID-19), frailty and
heart failure among the main virtual-ward pathways. Reading schedules are assumptions for the demo.
"""

from __future__ import annotations

from dataclasses import dataclass

PATHWAY_SYSTEM = "https://fhir.joinedup.example/CodeSystem/virtual-ward-pathway"


@dataclass(frozen=True)
class Pathway:
    """A virtual-ward pathway: its code, its name, the measures patients send and how often."""

    code: str
    name: str
    measures: tuple[str, ...]
    expected_every_hours: float
    source: str


_SCHEDULE = "assumption: one set of readings at least every 24 hours, as the default rule set expects"

PATHWAYS: dict[str, Pathway] = {
    p.code: p
    for p in (
        Pathway(
            "heart-failure",
            "Heart failure",
            ("body_weight", "pulse", "systolic_bp", "spo2"),
            24.0,
            "seed 002 (CliniTouch Vie heart failure); ESC 2021 daily weighing; " + _SCHEDULE,
        ),
        Pathway(
            "frailty",
            "Frailty",
            ("pulse", "respiration_rate", "spo2", "systolic_bp", "temperature"),
            24.0,
            "seed 002 (frailty); " + _SCHEDULE,
        ),
        Pathway(
            "covid-19",
            "COVID-19",
            ("spo2", "pulse", "respiration_rate", "temperature"),
            12.0,
            "seed 002 (COVID-19); NHS England COVID Oximetry @home SOP: readings at least twice a day "
            "(the 12-hour schedule follows it)",
        ),
        Pathway(
            "respiratory",
            "Respiratory",
            ("spo2", "pulse", "respiration_rate", "temperature", "systolic_bp"),
            24.0,
            "NHS England virtual wards operational framework 2024 (acute respiratory infection); "
            + _SCHEDULE,
        ),
    )
}
"""Every pathway a virtual-ward admission may name, by code."""

ADMISSION_SOURCES = ("hospital", "gp", "community")
"""Where a referral came from: a hospital (step-down), a GP or the community (step-up)."""

DIRECTIONS = ("step-up", "step-down")
"""Step-up: admitted instead of to hospital. Step-down: home early from a hospital stay."""

DISCHARGE_OUTCOMES = ("home", "readmitted", "died")
"""How a stay ends: home (usual care), readmitted to hospital, or died."""


def get_pathway(code: str) -> Pathway | None:
    """The pathway with this code, or None."""
    return PATHWAYS.get(code)


def default_direction(source: str) -> str:
    """A referral from a hospital steps down; one from a GP or the community steps up."""
    return "step-down" if source == "hospital" else "step-up"
