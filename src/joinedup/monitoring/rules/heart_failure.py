"""Heart failure: rapid weight gain from daily home weighing, a sign of fluid building up.

Source: McDonagh TA, Metra M, et al. 2021 ESC Guidelines for the diagnosis and treatment of acute and
chronic heart failure. Eur Heart J 2021;42:3599-3726 (self-care: act on a sudden unexpected weight gain
of more than 2 kg in 3 days). NICE NG106 (2018) asks for self-monitoring support but sets no number.
The threshold and window are data in the rule set (`heart_failure.weight_gain_kg`, `window_days`).
"""

from collections.abc import Sequence
from datetime import timedelta

from joinedup.monitoring.rules import Finding, Reading, sorted_readings
from joinedup.monitoring.rules.thresholds import RuleSet


def evaluate(weights_kg: Sequence[Reading], rules: RuleSet) -> list[Finding]:
    """Findings for the latest weight: a gain over the window, or over a gap longer than the window.

    The gain is measured from the lowest weight in the window (any calendar day from `window_days`
    before the latest reading's day), so a missed day neither hides a gain nor invents one.
    """
    readings = sorted_readings(weights_kg, "body weight")
    if len(readings) < 2:
        return []
    thresholds = rules.heart_failure
    latest_at, latest_kg = readings[-1]
    first_day = latest_at.date() - timedelta(days=thresholds.window_days)
    earlier = readings[:-1]
    in_window = [reading for reading in earlier if reading[0].date() >= first_day]
    if in_window:
        lowest = min(in_window, key=lambda reading: reading[1])
        gain = round(latest_kg - lowest[1], 2)
        if gain <= thresholds.weight_gain_kg:
            return []
        message = (
            f"Weight up {gain:.1f} kg to {latest_kg:.1f} kg within {thresholds.window_days} days "
            f"(more than {thresholds.weight_gain_kg:g} kg): review diuretics and fluid status today"
        )
        return [_finding("heart_failure.weight_gain", message, readings[-1], lowest, rules)]
    previous = earlier[-1]
    gain = round(latest_kg - previous[1], 2)
    if gain <= thresholds.weight_gain_kg:
        return []
    days = (latest_at.date() - previous[0].date()).days
    message = (
        f"Weight up {gain:.1f} kg to {latest_kg:.1f} kg since the last reading {days} days ago; "
        f"no weight was recorded in the {thresholds.window_days} days before, so a rapid gain cannot be "
        "ruled out: review today"
    )
    return [_finding("heart_failure.weight_gain_across_gap", message, readings[-1], previous, rules)]


def _finding(rule_id: str, message: str, latest: Reading, compared: Reading, rules: RuleSet) -> Finding:
    return Finding(rule_id, "review", message, latest[0], rules.version_id, (compared, latest))
