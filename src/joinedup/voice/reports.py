"""What the public said, counted: trends by organisation and month, and the board report for one
organisation and period (read only)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from statistics import mean

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from joinedup.errors import Invalid, NotFound
from joinedup.registry import service as registry
from joinedup.voice.actions import open_actions
from joinedup.voice.models import Feedback
from joinedup.voice.places import organisation_named, places_named
from joinedup.voice.schemas import BoardReport, FeedbackRead, PlaceRef, ThemeCount, TrendRow
from joinedup.voice.themes import THEME_CODES, THEME_LABELS
from joinedup.voice.views import feedback_read, themes_in_force

# Stories held as suspected spam or rejected are not the public's voice and are not counted.
COUNTED = ("received", "published")
EXAMPLES_EACH_WAY = 3


def _instant(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _stories(session: Session, *, start: date, end: date, organisation_id: str | None) -> list[Feedback]:
    """Stories received from `start` to `end` inclusive, themes and replies loaded."""
    if end < start:
        raise Invalid(f"the period ends ({end}) before it starts ({start})")
    query = (
        select(Feedback)
        .where(
            Feedback.received_at >= _instant(start), Feedback.received_at < _instant(end + timedelta(days=1))
        )
        .options(selectinload(Feedback.themes), selectinload(Feedback.reply))
        .order_by(Feedback.received_at)
    )
    if organisation_id is not None:
        query = query.where(Feedback.organisation_id == organisation_id)
    return list(session.scalars(query))


def _trend(session: Session, rows: list[Feedback]) -> list[TrendRow]:
    groups: dict[tuple[str, str], list[Feedback]] = defaultdict(list)
    for row in rows:
        if row.status in COUNTED and row.organisation_id:
            groups[(row.organisation_id, row.received_at.strftime("%Y-%m"))].append(row)
    names = {org: organisation_named(session, org).name for org, _ in groups}
    trend = []
    for (org, month), stories in sorted(groups.items()):
        sentiment = Counter(s.sentiment or "neutral" for s in stories)
        ratings = [s.rating for s in stories if s.rating is not None]
        trend.append(TrendRow(
            organisation_id=org, organisation_name=names[org], month=month, stories=len(stories),
            positive=sentiment["positive"], negative=sentiment["negative"], mixed=sentiment["mixed"],
            neutral=sentiment["neutral"], mean_rating=round(mean(ratings), 2) if ratings else None,
        ))  # fmt: skip
    return trend


def trends(session: Session, *, start: date, end: date, organisation_id: str | None = None) -> list[TrendRow]:
    """Stories per organisation and month in [start, end], with their sentiment and mean rating."""
    return _trend(session, _stories(session, start=start, end=end, organisation_id=organisation_id))


def theme_counts(rows: list[Feedback]) -> list[ThemeCount]:
    """How often each theme was raised, by polarity (confirmed themes where staff have confirmed any)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        for theme in themes_in_force(row.themes):
            counts[theme.theme][theme.polarity] += 1
    found = [
        ThemeCount(
            theme=code,
            label=THEME_LABELS[code],
            positive=c["positive"],
            negative=c["negative"],
            neutral=c["neutral"],
        )
        for code in THEME_CODES
        if (c := counts.get(code))
    ]
    return sorted(found, key=lambda t: -t.total)


def _examples(rows: list[Feedback], names: dict[tuple[str, str], PlaceRef]) -> list[FeedbackRead]:
    """A few published stories each way, those the provider has replied to first."""
    published = [r for r in rows if r.status == "published"]
    chosen: list[Feedback] = []
    for wanted in (("negative", "mixed"), ("positive",)):
        matching = [r for r in published if (r.sentiment or "neutral") in wanted]
        matching.sort(key=lambda r: (r.reply is None, -(r.published_at or r.received_at).timestamp()))
        chosen += matching[:EXAMPLES_EACH_WAY]
    return [feedback_read(r, names) for r in chosen]


def board_report(
    session: Session, *, ods_code: str, start: date, end: date, today: date | None = None
) -> BoardReport:
    """Counts, themes, the monthly trend, example stories and the provider's replies for one organisation,
    and the open actions it owns with their age on `today`."""
    org = registry.get_organisation_by_ods(session, ods_code.strip().upper())
    if org is None:
        raise NotFound(f"no organisation with ODS code {ods_code!r} in the registry")
    rows = _stories(session, start=start, end=end, organisation_id=org.id)
    counted = [r for r in rows if r.status in COUNTED]
    names = places_named(session, [(r.place_kind, r.place_id) for r in rows])
    ratings = [r.rating for r in counted if r.rating is not None]
    status = Counter(r.status for r in rows)
    places = Counter(names[(r.place_kind, r.place_id)].name for r in counted)
    return BoardReport(
        organisation=PlaceRef(kind="organisation", id=org.id, name=org.name, ods_code=org.ods_code),
        start=start, end=end, received=len(rows), published=status["published"], rejected=status["rejected"],
        awaiting=status["received"] + status["held"], concerns=sum(r.kind == "concern" for r in counted),
        replies=sum(r.reply is not None for r in rows if r.status == "published"),
        responses_requested=sum(r.response_requested_at is not None for r in rows),
        sentiment=dict(Counter(r.sentiment or "neutral" for r in counted)),
        mean_rating=round(mean(ratings), 2) if ratings else None, themes=theme_counts(counted),
        trend=_trend(session, rows), places=dict(places.most_common()), examples=_examples(rows, names),
        actions=open_actions(session, organisation_id=org.id, today=today),
    )  # fmt: skip
