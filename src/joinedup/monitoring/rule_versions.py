"""The rule sets alerts are raised under, kept as data: each `name@version` with its content digest and its
whole document, so an alert names the exact thresholds that raised it and they can be replayed later.
Called by monitoring.alerts and the replay; adds and flushes, never commits.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from joinedup.monitoring.models import RuleSetVersion
from joinedup.monitoring.rules.thresholds import RuleSet, default_rule_set


def base_version_id(version_id: str) -> str:
    """`name@version` without a patient's overrides (`x@1+patient-ab12` → `x@1`)."""
    return version_id.split("+", 1)[0]


def record_current(session: Session, version_id: str, *, now: datetime) -> None:
    """Keep the rule set in force the first time an alert is raised under it (a no-op after that).

    Never refuses: an alert must be raised even when the stored document differs (see `drift`).
    """
    current = default_rule_set()
    if base_version_id(version_id) != current.version_id:
        return
    # The session keeps a strong reference to the row it found or added, so later alerts of the same
    # session find it in the identity map (no query, no flush); a rolled-back insert leaves the identity
    # map, so the next call looks again. The look-up needs no flush: rows added here are flushed at once.
    held: dict[str, RuleSetVersion] = session.info.setdefault(_HELD, {})
    with session.no_autoflush:
        found = session.get(RuleSetVersion, current.version_id)
    if found is None:
        session.flush()  # the batch's own pending rows, so only this insert's clash is caught below
        # Two writers may raise the first alert at once: the loser keeps the winner's row, never fails.
        row = _row(current, now)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            with session.no_autoflush:
                found = session.get(RuleSetVersion, current.version_id)
        else:
            found = row
    if found is not None:
        held[current.version_id] = found


_HELD = "joinedup.monitoring.rule_versions"
"""`session.info` key of the rule set rows a session has seen, kept so the identity map keeps them."""


def _row(rule_set: RuleSet, now: datetime) -> RuleSetVersion:
    return RuleSetVersion(
        version_id=rule_set.version_id,
        name=rule_set.name,
        version=rule_set.version,
        content_sha256=rule_set.content_digest,
        document=json.dumps(rule_set.to_mapping(), sort_keys=True),
        first_used_at=now,
    )


def drift(session: Session, rule_set: RuleSet) -> str | None:
    """Why `rule_set` cannot be told apart from one already used under the same version id, or None.

    Two documents under one `name@version` would make the version in an alert meaningless: bump the
    version whenever a threshold changes.
    """
    stored = session.get(RuleSetVersion, rule_set.version_id)
    if stored is None or stored.content_sha256 == rule_set.content_digest:
        return None
    return (
        f"rule set {rule_set.version_id} differs from the one alerts were raised under "
        f"(digest {rule_set.content_digest[:12]}, stored {stored.content_sha256[:12]}): give it a new version"
    )


def stored_rule_set_document(session: Session, version_id: str) -> dict[str, object] | None:
    """The document of a rule set alerts were raised under, or None when it was never used."""
    stored = session.get(RuleSetVersion, base_version_id(version_id))
    return None if stored is None else dict(json.loads(stored.document))
