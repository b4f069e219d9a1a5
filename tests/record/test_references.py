"""Reference checks: every reference collected in order (paths worked out only for messages)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy.orm import Session

from joinedup.errors import Invalid, NotFound
from joinedup.record.references import _reference_texts, check_references, references_in


def _random_document(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 4 or roll < 0.3:
        return rng.choice(["x", 1, 2.5, True, None, "Patient/p1"])
    if roll < 0.6:
        return [_random_document(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    found: dict[str, Any] = {}
    for key in rng.sample(["a", "b", "reference", "contained", "display", "item"], rng.randint(0, 4)):
        found[key] = (
            f"Patient/p{rng.randint(0, 9)}"
            if key == "reference" and rng.random() < 0.8
            else _random_document(rng, depth + 1)
        )
    return found


def test_the_fast_walk_finds_what_the_path_walk_finds_in_the_same_order() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        document = _random_document(rng)
        texts: list[str] = []
        _reference_texts(document, texts)
        assert texts == [text for _, text in references_in(document, "X")]


def _observation(reference: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "x"},
        "subject": {"reference": "Patient/known"},
        "performer": [{"display": "a"}, {"reference": reference}],
    }


def test_a_missing_reference_is_named_with_its_path_and_label(session: Session) -> None:
    bodies = [_observation("Patient/known"), _observation("Encounter/nobody")]
    with pytest.raises(NotFound) as caught:
        check_references(session, bodies, pending=[("Patient", "known")], labels=["entry[0]: ", "entry[1]: "])
    assert caught.value.detail == "entry[1]: Observation.performer[1]: Encounter/nobody does not exist"


def test_a_malformed_or_unsupported_reference_is_named_with_its_path(session: Session) -> None:
    with pytest.raises(Invalid, match=r"Observation.performer\[1\]: 'nonsense' is not a reference"):
        check_references(session, [_observation("nonsense")], pending=[("Patient", "known")])
    with pytest.raises(Invalid, match=r"Observation.performer\[1\]: references to Medication are not"):
        check_references(session, [_observation("Medication/m1")], pending=[("Patient", "known")])
    check_references(session, [_observation("Patient/known")], pending=[("Patient", "known")])
