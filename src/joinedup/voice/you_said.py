"""The public "you said, we did" page as data: each theme published stories raised (with counts and a few of
the stories as published), the published actions taken on it, and whether their measures moved. Reads only
published stories and published actions."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from joinedup.voice import actions
from joinedup.voice.action_schemas import PublicActionRead, QuoteRead, ThemeSaid, YouSaidWeDid
from joinedup.voice.action_views import action_read, public_read, quote_read
from joinedup.voice.models import Feedback
from joinedup.voice.themes import THEME_CODES, THEME_LABELS
from joinedup.voice.views import themes_in_force

QUOTES_PER_THEME = 2
CONCERNS = "Concerns raised with Healthwatch"


def _published_stories(session: Session) -> list[Feedback]:
    return list(
        session.scalars(
            select(Feedback)
            .where(Feedback.status == "published")
            .options(selectinload(Feedback.themes))
            .order_by(Feedback.received_at.desc(), Feedback.id.desc())
        )
    )


def _quotes(session: Session, raised: list[tuple[Feedback, str]]) -> list[QuoteRead]:
    """Stories critical of the theme first (what people asked to change), newest first within each."""
    ordered = sorted(raised, key=lambda pair: pair[1] != "negative")
    return [quote_read(session, story) for story, _ in ordered[:QUOTES_PER_THEME]]


def you_said_we_did(session: Session, *, today: date | None = None) -> YouSaidWeDid:
    """Every theme raised in published stories, most raised first, with what was done about it."""
    today = today or date.today()
    stories = _published_stories(session)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    raised: dict[str, list[tuple[Feedback, str]]] = defaultdict(list)
    for story in stories:
        for theme in themes_in_force(story.themes):
            counts[theme.theme][theme.polarity] += 1
            raised[theme.theme].append((story, theme.polarity))
    rows = actions.published_actions(session)
    concerns = {s.id: s for s in stories}
    done: dict[str | None, list[PublicActionRead]] = defaultdict(list)
    for row in rows:
        staff_view = action_read(session, row, {}, today)
        concern = concerns.get(row.feedback_id) if row.feedback_id is not None else None
        done[row.theme].append(public_read(session, staff_view, concern))
    themes = [
        ThemeSaid(
            theme=code, label=THEME_LABELS[code], stories=sum(counts[code].values()),
            positive=counts[code]["positive"], negative=counts[code]["negative"],
            neutral=counts[code]["neutral"],
            quotes=_quotes(session, raised[code]),
            actions=done.get(code, []),
        )
        for code in THEME_CODES
        if counts.get(code) or done.get(code)
    ]  # fmt: skip
    themes.sort(key=lambda t: (not t.actions, -t.stories))
    if done.get(None):
        themes.append(ThemeSaid(
            theme=None, label=CONCERNS, stories=0, positive=0, negative=0, neutral=0, quotes=[],
            actions=done[None],
        ))  # fmt: skip
    return YouSaidWeDid(generated_on=today, themes=themes)
