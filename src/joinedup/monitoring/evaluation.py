"""Which rules judge a patient, by pathway, and what they find in the latest readings. Pure.

Every pathway is judged on NEWS2 (RCP 2017 chart 3; frailty against the patient's own baseline as well);
heart failure adds weight gain (ESC 2021), COVID-19 adds home oximetry (NHS England COVID Oximetry @home).
Missed readings are found by the sweep (`missed_readings`), not here: they depend on time, not a reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from joinedup.monitoring.news2_set import HonestNews2, Latest, honest_news2
from joinedup.monitoring.rules import Finding, Reading, covid_oximetry, frailty, heart_failure, news2_response
from joinedup.monitoring.rules.thresholds import RuleSet

FAMILIES: dict[str, tuple[str, ...]] = {
    "heart-failure": ("news2.", "heart_failure."),
    "frailty": ("frailty.",),
    "covid-19": ("news2.", "covid_oximetry."),
    "respiratory": ("news2.",),
}
"""The rule-id prefixes each pathway is judged on when a reading arrives (findings outside them persist)."""


@dataclass(frozen=True)
class PatientReadings:
    """What the rules need about one patient: plan, thresholds and the recent scored readings."""

    pathway: str
    rules: RuleSet
    on_oxygen: bool | None
    spo2_scale: int
    baseline_spo2: float | None
    baseline_news2: int | None
    expected_every_hours: float
    latest: Latest
    weights_kg: tuple[Reading, ...] = ()
    spo2_percent: tuple[Reading, ...] = ()


def evaluate(patient: PatientReadings, now: datetime) -> tuple[HonestNews2 | None, list[Finding]]:
    """The patient's honest NEWS2 and every finding of the rules of their pathway."""
    max_age = patient.expected_every_hours + patient.rules.missed_readings.grace_hours
    news2 = honest_news2(
        patient.latest,
        on_oxygen=patient.on_oxygen,
        spo2_scale=patient.spo2_scale,
        now=now,
        max_age_hours=max_age,
    )
    findings: list[Finding] = []
    if news2 is not None:
        if patient.pathway == "frailty":
            scored = [(news2.taken_at, news2.scored)]
            findings += frailty.evaluate(scored, patient.rules, baseline_news2=patient.baseline_news2)
        else:
            findings += news2_response.evaluate(news2.taken_at, news2.scored, patient.rules)
    if patient.pathway == "heart-failure":
        findings += heart_failure.evaluate(patient.weights_kg, patient.rules)
    if patient.pathway == "covid-19":
        findings += covid_oximetry.evaluate(
            patient.spo2_percent, patient.rules, baseline_spo2=patient.baseline_spo2
        )
    return news2, findings


NEWS2_RULES = ("news2.", "frailty.news2_")
"""Rules judged on the NEWS2 of the latest set."""


def is_judged_by(pathway: str, rule_id: str, news2: HonestNews2 | None = None) -> bool:
    """True when a reading re-judges this rule for this pathway (so a finding gone quiet has cleared).

    A NEWS2 rule is re-judged only by a complete, current set: a partial or stale set can raise a NEWS2
    alert (on what it has) but is never the reason one goes quiet.
    """
    if rule_id.startswith(NEWS2_RULES) and (news2 is None or news2.is_partial or news2.is_stale):
        return False
    return rule_id.startswith(FAMILIES.get(pathway, ("news2.",)))
