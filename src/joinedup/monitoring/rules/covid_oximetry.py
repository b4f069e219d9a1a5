"""COVID-19 home oximetry: SpO2 thresholds for people monitored at home with a pulse oximeter.

Source: NHS England. Novel coronavirus (COVID-19) standard operating procedure: COVID Oximetry @home
(updated 9 September 2021): SpO2 of 92% or less needs urgent face-to-face assessment (999 or A&E);
93-94% needs clinical review; 95% or more, carry on monitoring. The SOP's thresholds are for people
without chronic lung disease; a patient with a lower usual SpO2 gets per-patient overrides. The fall of
3 points from the patient's resting baseline is an assumption borrowed from the SOP's exertional
desaturation test. Thresholds are data in the rule set (`covid_oximetry.*`).
"""

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from joinedup.monitoring.rules import Finding, Reading, Severity, sorted_readings
from joinedup.monitoring.rules.thresholds import RuleSet


def evaluate(
    spo2_percent: Sequence[Reading], rules: RuleSet, baseline_spo2: float | None = None
) -> list[Finding]:
    """Findings for the latest SpO2; the baseline is the patient's recorded one, else their first reading."""
    readings = sorted_readings(spo2_percent, "SpO2")
    if not readings:
        return []
    for taken_at, value in readings:
        if not 0 <= value <= 100:
            raise ValueError(f"SpO2 reading at {taken_at.isoformat()} must be 0-100%, not {value}")
    if baseline_spo2 is not None and not 0 <= baseline_spo2 <= 100:
        raise ValueError(f"baseline SpO2 must be 0-100%, not {baseline_spo2}")
    thresholds = rules.covid_oximetry
    latest = readings[-1]
    spo2 = _as_displayed(latest[1])
    findings: list[Finding] = []

    def add(rule_id: str, severity: Severity, message: str) -> None:
        findings.append(Finding(rule_id, severity, message, latest[0], rules.version_id, (latest,)))

    if spo2 <= thresholds.emergency_spo2_max:
        add(
            "covid_oximetry.spo2_low",
            "emergency",
            f"SpO2 {spo2}% (at or below {thresholds.emergency_spo2_max}%): advise the patient to call 999 "
            "or go to A&E now",
        )
    elif spo2 <= thresholds.review_spo2_max:
        add(
            "covid_oximetry.spo2_borderline",
            "review",
            f"SpO2 {spo2}% ({thresholds.emergency_spo2_max + 1}-{thresholds.review_spo2_max}%): "
            "clinical review today",
        )
    baseline = _as_displayed(readings[0][1] if baseline_spo2 is None else baseline_spo2)
    if baseline - spo2 >= thresholds.fall_from_baseline:
        add(
            "covid_oximetry.spo2_fall_from_baseline",
            "review",
            f"SpO2 {spo2}% has fallen {baseline - spo2} points from the patient's baseline of "
            f"{baseline}%: clinical review today",
        )
    return findings


def _as_displayed(percent: float) -> int:
    """SpO2 as an oximeter shows it: a whole percentage, halves rounded up."""
    return int(Decimal(str(percent)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
