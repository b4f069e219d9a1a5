"""Suggest the themes of a story, each with a polarity, and the story's overall sentiment.

The themes follow the qualitative framework used by pxtextmining (Nottinghamshire Healthcare NHS FT and the
NHS England Friends and Family Test text-mining project) and Care Opinion's tags with polarity, trimmed to
what a local Healthwatch reports to boards. The classifier is a transparent keyword and negation model, so a
moderator can see why a theme was suggested; staff confirm or change every suggestion before it counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Polarity = Literal["positive", "negative", "neutral"]
Sentiment = Literal["positive", "negative", "mixed", "neutral"]
POLARITIES: tuple[Polarity, ...] = ("positive", "negative", "neutral")


@dataclass(frozen=True)
class Theme:
    """A theme: its code, its label, the phrases that suggest it, and its polarity when nothing else tells."""

    code: str
    label: str
    cues: tuple[str, ...]
    default_polarity: Polarity = "neutral"


THEMES: tuple[Theme, ...] = (
    Theme(
        "access",
        "Access to services",
        (
            "appointment",
            "book",
            "booking",
            "get through",
            "8am",
            "ring back",
            "referral",
            "referred",
            "interpreter",
            "registered",
            "see a gp",
            "see a doctor",
            "couldn't get",
            "could not get",
            "access",
        ),
    ),
    Theme(
        "waiting",
        "Waiting times",
        (
            "wait",
            "waited",
            "waiting",
            "hours",
            "weeks",
            "months",
            "delay",
            "delayed",
            "cancelled",
            "queue",
            "trolley",
            "corridor",
            "list",
            "late",
            "took three",
            "took two",
        ),
        "negative",
    ),
    Theme(
        "staff_attitude",
        "Staff attitude",
        (
            "kind",
            "kindness",
            "caring",
            "rude",
            "lovely",
            "compassion",
            "compassionate",
            "friendly",
            "patient with",
            "dismissive",
            "attitude",
            "respect",
            "brilliant",
            "wonderful",
            "excellent",
            "thank you",
            "thanks",
            "talked over",
            "would not listen",
            "didn't listen",
            "did not listen",
            "exhausted",
        ),
    ),
    Theme(
        "communication",
        "Communication and information",
        (
            "told",
            "explained",
            "explain",
            "information",
            "letter",
            "phone line",
            "call back",
            "called back",
            "nobody told",
            "no one told",
            "listen",
            "interpreter",
            "updated",
            "results",
            "engaged",
        ),
    ),
    Theme(
        "discharge",
        "Discharge and follow-up",
        (
            "discharge",
            "discharged",
            "sent home",
            "going home",
            "went home",
            "follow-up",
            "follow up",
            "tablets to take home",
            "pharmacy",
            "care package",
            "discharge lounge",
        ),
    ),
    Theme(
        "travel_parking",
        "Travel and parking",
        (
            "parking",
            "car park",
            "bus",
            "buses",
            "drive",
            "miles",
            "travel",
            "journey",
            "transport",
            "taxi",
            "minute drive",
            "far away",
            "hour away",
        ),
        "negative",
    ),
    Theme(
        "care_treatment",
        "Care and treatment",
        (
            "treatment",
            "surgery",
            "operation",
            "diagnosis",
            "scan",
            "medication",
            "sepsis",
            "rehab",
            "physio",
            "monitoring",
            "care",
            "saved",
            "assessment",
            "clinic",
        ),
    ),
    Theme(
        "environment",
        "Environment, food and facilities",
        (
            "clean",
            "dirty",
            "noise",
            "noisy",
            "food",
            "toilet",
            "cold",
            "wheelchair",
            "cup of tea",
            "facilities",
        ),
    ),
    Theme(
        "local_services",
        "Local services and closures",
        (
            "to close",
            "close the",
            "closed",
            "closing",
            "closure",
            "beds cut",
            "lose its beds",
            "loses its beds",
            "beds closed",
            "beds went",
            "moving",
            "moved",
            "consolidat",
            "keep our",
            "birth centre",
            "used to have",
        ),
        "negative",
    ),
    Theme(
        "care_at_home",
        "Care at home and virtual wards",
        (
            "virtual ward",
            "at home",
            "own home",
            "home visits",
            "community nurse",
            "carers",
            "monitor",
            "kit",
        ),
    ),
)
THEME_CODES: tuple[str, ...] = tuple(t.code for t in THEMES)
THEME_LABELS: dict[str, str] = {t.code: t.label for t in THEMES}


def _listed(words: str) -> tuple[str, ...]:
    """The words of a whitespace-separated list written as one block of text."""
    return tuple(words.split())


POSITIVE_WORDS = frozenset(
    _listed("""
    good great excellent brilliant wonderful lovely kind kindness caring helpful thorough clear clearly
    friendly compassionate professional amazing fantastic outstanding saved thank thanks thankful
    grateful easy quick quickly prompt calm reassuring bearable best tightest kindest respect listened
    patient explained excellent superb efficient fabulous
""")
)
NEGATIVE_WORDS = frozenset(
    _listed("""
    bad poor terrible awful rude dismissive horrible disgusting cold late cancelled missed impossible
    wrong disaster madness insanity frightened scared worried angry upset unsafe dirty noisy patchy
    exhausted never nobody nothing lost forgotten ignored unacceptable shocking appalling complaint
    crisis engaged painful pain worse worst delay delayed waiting waited struggle struggled tax closing
    closure cut cuts fall sick
""")
)
NEGATIONS = frozenset(
    _listed("""
    not no without isn't wasn't didn't don't doesn't couldn't won't can't
""")
)
# Clauses: sentences, and their parts either side of a comma, semicolon or "but".
_CLAUSES = re.compile(r"(?<=[.!?;,])\s+|\s+but\s+")
_WORDS = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class ThemeSuggestion:
    """A theme suggested for a story, with its polarity, the sentence that suggested it, and a confidence."""

    theme: str
    polarity: Polarity
    confidence: float
    evidence: str


@dataclass(frozen=True)
class Classification:
    """What the classifier suggests for one story."""

    sentiment: Sentiment
    themes: tuple[ThemeSuggestion, ...]


def sentence_score(sentence: str) -> int:
    """Positive minus negative words of a clause, a word just after a negation counting the other way."""
    total, negate = 0, 0
    for word in _WORDS.findall(sentence.lower()):
        if word in NEGATIONS:
            negate = 3
            continue
        value = (word in POSITIVE_WORDS) - (word in NEGATIVE_WORDS)
        total += -value if negate else value
        negate = max(0, negate - 1)
    return total


def _polarity(score: int, default: Polarity) -> Polarity:
    if score > 0:
        return "positive"
    if score < 0:
        return "negative"
    return default


def _mentions(sentence: str, cues: Iterable[str]) -> int:
    lowered = f" {sentence.lower()} "
    return sum(1 for cue in cues if re.search(rf"(?<![a-z]){re.escape(cue)}", lowered))


def overall_sentiment(scores: list[int]) -> Sentiment:
    """Positive, negative, mixed (both kinds of sentence) or neutral."""
    has_positive, has_negative = any(s > 0 for s in scores), any(s < 0 for s in scores)
    if has_positive and has_negative:
        return "mixed"
    return "positive" if has_positive else "negative" if has_negative else "neutral"


def classify(text: str) -> Classification:
    """Suggested themes (strongest first) and sentiment for a story."""
    sentences = [s for s in _CLAUSES.split(text.strip()) if s]
    scores = [sentence_score(s) for s in sentences]
    suggestions: list[ThemeSuggestion] = []
    for theme in THEMES:
        hits = [(s, score, _mentions(s, theme.cues)) for s, score in zip(sentences, scores, strict=True)]
        hits = [h for h in hits if h[2]]
        if not hits:
            continue
        total = sum(score for _, score, _ in hits)
        strongest = max(hits, key=lambda h: (h[2], abs(h[1])))
        confidence = min(0.95, 0.4 + 0.15 * sum(n for _, _, n in hits))
        suggestions.append(
            ThemeSuggestion(
                theme.code, _polarity(total, theme.default_polarity), confidence, strongest[0][:200]
            )
        )
    suggestions.sort(key=lambda s: -s.confidence)
    return Classification(overall_sentiment(scores), tuple(suggestions))
