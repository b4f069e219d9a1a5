"""Frailty: NEWS2 against the RCP response thresholds and against the patient's own usual score.

Sources: Royal College of Physicians. National Early Warning Score (NEWS) 2. London: RCP, 2017, chart 3
(aggregate 5-6 or a 3 in any one parameter: urgent response; 7 or more: emergency response). People
living with frailty often run a raised NEWS2 for them, so a rise over their own baseline matters as
well; the size of that rise (`frailty.rise_from_baseline`) is an assumption after RESTORE2's practice of
judging NEWS2 against the person's normal. An incomplete set is never taken as reassurance.
"""

from collections.abc import Sequence
from datetime import datetime

from joinedup.monitoring.news2 import News2Score, PartialNews2Score
from joinedup.monitoring.rules import Finding, Severity
from joinedup.monitoring.rules.thresholds import RuleSet

ScoredSet = tuple[datetime, News2Score | PartialNews2Score]
"""When a set of observations was taken and its NEWS2 (full, or partial when something was missing)."""


def evaluate(scores: Sequence[ScoredSet], rules: RuleSet, baseline_news2: int | None = None) -> list[Finding]:
    """Findings for the latest set; the baseline is the patient's recorded one, else their first full score.

    A partial set is judged on its subtotal, which the full score can only exceed, so missing
    parameters never silence a finding; the set is also reported as incomplete.
    """
    for taken_at, _ in scores:
        if taken_at.tzinfo is None or taken_at.utcoffset() is None:
            raise ValueError(f"NEWS2 set at {taken_at.isoformat()} has no time zone; use UTC")
    if baseline_news2 is not None and not 0 <= baseline_news2 <= 20:
        raise ValueError(f"baseline NEWS2 must be from 0 to 20, not {baseline_news2}")
    ordered = sorted(scores, key=lambda scored: scored[0])
    if not ordered:
        return []
    taken_at, latest = ordered[-1]
    at_least, missing, has_three = _lower_bound(latest)
    findings: list[Finding] = []

    def add(rule_id: str, severity: Severity, message: str) -> None:
        evidence = ((taken_at, float(at_least)),)
        findings.append(Finding(rule_id, severity, message, taken_at, rules.version_id, evidence))

    shown = f"NEWS2 {at_least}" if not missing else f"NEWS2 at least {at_least} (partial)"
    news2 = rules.news2
    if at_least >= news2.emergency_total:
        add("frailty.news2_emergency", "emergency", f"{shown}: emergency response")
    elif at_least >= news2.urgent_total:
        add("frailty.news2_urgent", "urgent", f"{shown}: urgent clinical response")
    elif has_three:
        add("frailty.news2_single_parameter", "urgent", f"{shown} with a 3 in one parameter: urgent response")
    baseline = baseline_news2 if baseline_news2 is not None else _first_full_total(ordered)
    if baseline is not None and at_least - baseline >= rules.frailty.rise_from_baseline:
        add(
            "frailty.news2_rise_from_baseline",
            "review",
            f"{shown} is {at_least - baseline} above the patient's usual {baseline}: review today",
        )
    if missing:
        add(
            "frailty.news2_incomplete",
            "review",
            f"{shown}: missing {', '.join(missing)}; complete the observations",
        )
    return findings


def _lower_bound(scored: News2Score | PartialNews2Score) -> tuple[int, tuple[str, ...], bool]:
    """The least the full NEWS2 can be, the missing parameters, and whether any parameter scored 3."""
    if isinstance(scored, News2Score):
        return scored.total, (), 3 in scored.components.values()
    return scored.subtotal, scored.missing, 3 in scored.components.values()


def _first_full_total(ordered: Sequence[ScoredSet]) -> int | None:
    for _, scored in ordered:
        total, missing, _ = _lower_bound(scored)
        if not missing:
            return total
    return None
