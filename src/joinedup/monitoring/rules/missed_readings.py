"""Missed readings: a reading the patient's schedule expected has not arrived, so nobody is reassured by
silence. Also says when a reading is too old to show as current.

Source: remote monitoring services alert on missing readings as well as abnormal ones (Luscii's
missed-measurement alerts); no national standard sets the interval, so the defaults in the rule set
(`missed_readings.*`) are assumptions and the patient's care plan may set its own schedule.
"""

from datetime import datetime, timedelta

from joinedup.monitoring.rules import Finding
from joinedup.monitoring.rules.thresholds import RuleSet


def evaluate(
    measure: str,
    last_reading_at: datetime | None,
    monitored_since: datetime,
    now: datetime,
    rules: RuleSet,
    expected_every_hours: float | None = None,
) -> list[Finding]:
    """A finding when no `measure` reading has arrived within the expected interval plus the grace.

    `expected_every_hours` is the patient's own schedule; the rule set's default applies without one.
    """
    _check_aware(last_reading_at, monitored_since, now)
    if last_reading_at is not None and last_reading_at > now:
        raise ValueError(f"last {measure} reading at {last_reading_at.isoformat()} is in the future")
    if monitored_since > now:
        raise ValueError(f"monitoring of {measure} starts in the future ({monitored_since.isoformat()})")
    thresholds = rules.missed_readings
    every_hours = thresholds.expected_every_hours if expected_every_hours is None else expected_every_hours
    if not 0 < every_hours <= 24 * 7:
        raise ValueError(f"expected_every_hours must be more than 0 and at most 168, not {every_hours}")
    every = timedelta(hours=every_hours)
    since = monitored_since if last_reading_at is None else max(last_reading_at, monitored_since)
    waited = now - since
    if waited <= every + timedelta(hours=thresholds.grace_hours):
        return []
    missed = int(waited / every)
    last = "no reading yet" if last_reading_at is None else f"last at {last_reading_at.isoformat()}"
    message = (
        f"No {measure} reading for {_hours(waited)} h ({last}; expected every {every_hours:g} h): "
        f"{missed} missed, contact the patient"
    )
    evidence = () if last_reading_at is None else ((last_reading_at, waited.total_seconds() / 3600),)
    return [Finding(f"missed_readings.{measure}", "review", message, now, rules.version_id, evidence)]


def is_stale(taken_at: datetime, now: datetime, max_age_hours: float) -> bool:
    """True when a reading taken at `taken_at` is older than `max_age_hours` and must be shown as stale."""
    _check_aware(taken_at, now)
    if max_age_hours <= 0:
        raise ValueError(f"max_age_hours must be more than 0, not {max_age_hours}")
    return now - taken_at > timedelta(hours=max_age_hours)


def _hours(duration: timedelta) -> str:
    return f"{duration.total_seconds() / 3600:.1f}"


def _check_aware(*instants: datetime | None) -> None:
    for instant in instants:
        if instant is not None and (instant.tzinfo is None or instant.utcoffset() is None):
            raise ValueError(f"{instant.isoformat()} has no time zone; use UTC")
