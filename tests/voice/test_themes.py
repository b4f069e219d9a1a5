"""The theme classifier: suggestions from published-style phrasing, polarity with negation, invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joinedup.voice.themes import POLARITIES, THEME_CODES, classify, sentence_score


@pytest.mark.parametrize(
    ("text", "theme", "polarity"),
    [
        ("I waited eleven hours on a trolley in the corridor.", "waiting", "negative"),
        ("The receptionist was rude and dismissive.", "staff_attitude", "negative"),
        ("The nurses were kind and caring.", "staff_attitude", "positive"),
        ("Nobody told us he was going home.", "communication", "negative"),
        ("He was discharged with no follow-up.", "discharge", "neutral"),
        ("Parking at the Royal is impossible.", "travel_parking", "negative"),
        ("Please do not close the beds at Rutland Memorial.", "local_services", "negative"),
        ("The virtual ward nurses phoned every morning and it was brilliant.", "care_at_home", "positive"),
        ("The food on the ward was cold every day.", "environment", "negative"),
        ("The surgery saved my daughter's life.", "care_treatment", "positive"),
    ],
)
def test_story_suggests_theme_with_polarity(text: str, theme: str, polarity: str) -> None:
    suggested = {s.theme: s.polarity for s in classify(text).themes}
    assert suggested.get(theme) == polarity


def test_negation_turns_praise_into_criticism() -> None:
    assert sentence_score("the staff were kind") > 0
    assert sentence_score("the staff were not kind") < 0


def test_praise_and_criticism_in_one_story_is_mixed() -> None:
    assert classify("The nurses were wonderful. The wait was terrible.").sentiment == "mixed"


def test_a_story_with_no_cues_has_no_themes_and_neutral_sentiment() -> None:
    result = classify("I went there on Tuesday.")
    assert result.themes == ()
    assert result.sentiment == "neutral"


@given(st.text(max_size=400))
def test_any_text_gets_known_themes_polarities_and_confidences(text: str) -> None:
    result = classify(text)
    assert result.sentiment in ("positive", "negative", "mixed", "neutral")
    for s in result.themes:
        assert s.theme in THEME_CODES
        assert s.polarity in POLARITIES
        assert 0 < s.confidence <= 0.95
    assert len({s.theme for s in result.themes}) == len(result.themes)
