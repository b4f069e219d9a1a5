"""NEWS2 clinical response thresholds for every virtual-ward pathway (frailty adds its own baseline rule).

Source: Royal College of Physicians. National Early Warning Score (NEWS) 2. London: RCP, 2017, chart 3:
an aggregate of 7 or more needs an emergency response; 5-6 an urgent response; a score of 3 in any one
parameter an urgent ward-based response. A partial set is judged on its subtotal, which the full score can
only exceed, so a missing parameter never silences a finding. Thresholds come from the rule set (`news2`).
"""

from datetime import datetime

from joinedup.monitoring.news2 import News2Score, PartialNews2Score
from joinedup.monitoring.rules import Finding, Severity
from joinedup.monitoring.rules.thresholds import RuleSet


def evaluate(taken_at: datetime, scored: News2Score | PartialNews2Score, rules: RuleSet) -> list[Finding]:
    """Findings for one set of observations taken at `taken_at` (full or partial)."""
    if taken_at.tzinfo is None or taken_at.utcoffset() is None:
        raise ValueError(f"NEWS2 set at {taken_at.isoformat()} has no time zone; use UTC")
    missing: tuple[str, ...]
    if isinstance(scored, News2Score):
        at_least, missing = scored.total, ()
    else:
        at_least, missing = scored.subtotal, scored.missing
    has_three = 3 in scored.components.values()
    shown = (
        f"NEWS2 {at_least}"
        if not missing
        else f"NEWS2 at least {at_least} (partial: missing {', '.join(missing)})"
    )
    evidence = ((taken_at, float(at_least)),)

    def finding(rule_id: str, severity: Severity, advice: str) -> list[Finding]:
        return [Finding(rule_id, severity, f"{shown}: {advice}", taken_at, rules.version_id, evidence)]

    if at_least >= rules.news2.emergency_total:
        return finding("news2.emergency", "emergency", "emergency response (RCP NEWS2 chart 3)")
    if at_least >= rules.news2.urgent_total:
        return finding("news2.urgent", "urgent", "urgent clinical response (RCP NEWS2 chart 3)")
    if has_three:
        return finding("news2.single_parameter", "urgent", "a 3 in one parameter: urgent response")
    return []
