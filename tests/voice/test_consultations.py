"""Consultation on a planner scenario: a question per dated change, a public tally, moderated words, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from joinedup.access.policy import Principal
from joinedup.errors import Conflict, Forbidden, Invalid
from joinedup.voice import service
from joinedup.voice.consultations import _cell, describe_change
from joinedup.voice.schemas import CommentCreate, ConsultationCreate

SCENARIO = Path(__file__).resolve().parent / "data" / "consultation.toml"


@pytest.fixture
def consultation_id(places: Session, staff: Principal) -> str:
    created = service.publish_consultation(
        places, create=ConsultationCreate(scenario="consultation"), actor=staff, from_file=SCENARIO
    )
    return created.id


def _comment(
    session: Session, cid: str, change_id: int, stance: str, text: str = "", sender: str = "s"
) -> str:
    body = CommentCreate.model_validate({"stance": stance, "text": text})
    return service.comment_on_change(
        session, consultation_id=cid, change_id=change_id, comment=body, sender=sender
    ).reference


def test_each_dated_change_becomes_a_question_in_date_order(places: Session, consultation_id: str) -> None:
    consultation = service.get_consultation(places, consultation_id)
    assert consultation.id == "consultation" and consultation.is_open
    assert [(c.position, c.on, c.kind) for c in consultation.changes] == [
        (1, date(2024, 6, 1), "open_virtual_ward"),
        (2, date(2024, 9, 1), "close_beds"),
    ]
    assert consultation.changes[1].summary == "Close 30 beds in acute"
    assert consultation.changes[1].source == "assumption: test data"


def test_publishing_twice_conflicts_and_needs_staff(
    places: Session, staff: Principal, nurse: Principal, consultation_id: str
) -> None:
    with pytest.raises(Conflict):
        service.publish_consultation(
            places, create=ConsultationCreate(scenario="consultation"), actor=staff, from_file=SCENARIO
        )
    with pytest.raises(Forbidden):
        service.publish_consultation(places, create=ConsultationCreate(scenario="other"), actor=nurse)


@pytest.mark.parametrize("name", ["/etc/passwd", "../secrets", "", "Has Spaces"])
def test_only_bundled_scenario_names_are_accepted(name: str) -> None:
    with pytest.raises(ValueError, match="scenario"):
        ConsultationCreate(scenario=name)


def test_an_unknown_bundled_scenario_is_invalid(places: Session, staff: Principal) -> None:
    with pytest.raises(Invalid, match="no-such-plan"):
        service.publish_consultation(places, create=ConsultationCreate(scenario="no-such-plan"), actor=staff)


def test_views_count_at_once_and_words_show_once_published(
    places: Session, staff: Principal, consultation_id: str
) -> None:
    change = service.get_consultation(places, consultation_id).changes[1]
    _comment(places, consultation_id, change.id, "oppose", sender="a")
    worded = _comment(
        places, consultation_id, change.id, "oppose", "Beds are needed, call 07700 900461", sender="b"
    )
    spam = _comment(places, consultation_id, change.id, "support", "cheap pills", sender="c")
    service.moderate_comment(places, spam, publish=False, actor=staff)
    seen = service.get_consultation(places, consultation_id).changes[1]
    assert seen.tally == {"support": 0, "oppose": 2, "unsure": 0}
    assert seen.comments == []
    service.moderate_comment(places, worded, publish=True, actor=staff)
    seen = service.get_consultation(places, consultation_id).changes[1]
    assert [c.text for c in seen.comments] == ["Beds are needed, call [phone number]"]


def test_comment_on_a_closed_consultation_is_refused(places: Session, staff: Principal) -> None:
    create = ConsultationCreate(scenario="consultation", closes_on=date(2099, 1, 1))
    cid = service.publish_consultation(
        places, create=create, actor=staff, today=date(2024, 1, 1), from_file=SCENARIO
    ).id
    change_id = service.get_consultation(places, cid).changes[0].id
    with pytest.raises(Invalid, match="closed"):
        service.comment_on_change(
            places,
            consultation_id=cid,
            change_id=change_id,
            comment=CommentCreate(stance="support"),
            sender="s",
            now=datetime(2099, 2, 1, tzinfo=UTC),
        )


def test_csv_export_has_one_row_per_change_with_the_tally(
    places: Session, staff: Principal, consultation_id: str
) -> None:
    first = service.get_consultation(places, consultation_id).changes[0]
    _comment(places, consultation_id, first.id, "support", sender="a")
    published = _comment(places, consultation_id, first.id, "unsure", '=HYPERLINK("x")', sender="b")
    service.moderate_comment(places, published, publish=True, actor=staff)
    rows = list(csv.DictReader(io.StringIO(service.export_consultation_csv(places, consultation_id))))
    assert [r["change"] for r in rows] == ["1", "2"]
    assert (rows[0]["support"], rows[0]["unsure"], rows[0]["total"]) == ("1", "1", "2")
    assert rows[0]["published comments"] == '[unsure] =HYPERLINK("x")'


@pytest.mark.parametrize(
    ("text", "cell"), [("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("@x", "'@x"), ("fine", "fine")]
)
def test_csv_cells_never_start_a_formula(text: str, cell: str) -> None:
    assert _cell(text) == cell


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"kind": "close_beds", "beds": 243, "pool": "lgh-acute"}, "Close 243 beds in lgh-acute"),
        ({"kind": "avoid_admissions", "share": 0.1, "pathway": "frailty"}, "Avoid 10% of frailty admissions"),
        (
            {"kind": "move_service", "pathway": None, "from_pool": "a", "to_pool": "b"},
            "All care moves from a to b",
        ),
    ],
)
def test_changes_are_described_in_plain_english(change: dict[str, object], text: str) -> None:
    assert describe_change(type("Change", (), change)()) == text
