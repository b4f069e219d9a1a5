"""The rule set row alerts are raised under: kept once, found again without a query, redone after rollback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from joinedup.monitoring import rule_versions
from joinedup.monitoring.models import RuleSetVersion
from joinedup.monitoring.rules.thresholds import default_rule_set

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _statements(session: Session) -> list[str]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(session.connection(), "before_cursor_execute", note)
    return seen


def _stored(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(RuleSetVersion)) or 0)


def test_later_alerts_of_a_session_find_the_row_without_a_query(session: Session) -> None:
    current = default_rule_set()
    rule_versions.record_current(session, current.version_id, now=NOW)
    assert _stored(session) == 1
    assert session.scalar(select(RuleSetVersion.content_sha256)) == current.content_digest
    seen = _statements(session)
    for _ in range(5):
        rule_versions.record_current(session, f"{current.version_id}+patient-ab12", now=NOW)
    assert seen == []
    assert _stored(session) == 1


def test_a_rolled_back_insert_is_made_again_by_the_next_alert(session: Session) -> None:
    current = default_rule_set()
    nested = session.begin_nested()
    rule_versions.record_current(session, current.version_id, now=NOW)
    assert _stored(session) == 1
    nested.rollback()
    assert _stored(session) == 0
    rule_versions.record_current(session, current.version_id, now=NOW)
    assert _stored(session) == 1


def test_another_rule_set_is_not_recorded_as_the_current_one(session: Session) -> None:
    rule_versions.record_current(session, "someone-else@9", now=NOW)
    assert _stored(session) == 0
