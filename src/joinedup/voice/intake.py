"""Taking something in from the public: short references, flood limits per sender, and redaction that
never loses what a person sent."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from joinedup.errors import TooManyRequests
from joinedup.voice import redaction
from joinedup.voice.models import Submission

log = logging.getLogger(__name__)

# At most this many submissions from one sender in each window: a family telling three stories is fine.
FLOOD_LIMITS: tuple[tuple[timedelta, int], ...] = ((timedelta(minutes=10), 5), (timedelta(days=1), 20))
_REFERENCE_LETTERS = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def sender_key(address: str, secret: str) -> str:
    """A keyed hash of a network address: floods can be counted without keeping anyone's address."""
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()


def new_reference(session: Session, column: InstrumentedAttribute[str]) -> str:
    """A short reference a person can quote on the phone (no 0/O or 1/I to confuse)."""
    while True:
        value = "".join(secrets.choice(_REFERENCE_LETTERS) for _ in range(8))
        if session.scalar(select(func.count()).where(column == value)) == 0:
            return value


def check_flood(session: Session, *, sender: str, now: datetime) -> None:
    """Refuse a sender over FLOOD_LIMITS (nothing stored); otherwise count this submission."""
    for window, limit in FLOOD_LIMITS:
        sent = (
            session.scalar(
                select(func.count()).where(Submission.sender == sender, Submission.at > now - window)
            )
            or 0
        )
        if sent >= limit:
            raise TooManyRequests(
                f"We have received {sent} messages from your connection in the last {_spoken(window)}. "
                "Please wait a while before sending more; nothing you sent before is lost."
            )
    session.add(Submission(sender=sender, at=now))


def _spoken(window: timedelta) -> str:
    minutes = int(window.total_seconds() // 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"


def safely_redacted(text: str, keep: Iterable[str]) -> redaction.RedactedText | None:
    """`text` with personal data removed, or None (logged) if redaction itself failed."""
    try:
        return redaction.redact(text, keep=keep)
    except Exception:  # redaction must never lose a story: it is held for a person to redact instead
        log.exception("automatic redaction failed; the story is held for a moderator")
        return None
