"""Public voice use cases on SQLite and PostgreSQL: intake, spam, privacy, moderation, replies, themes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from joinedup.access.policy import Principal
from joinedup.errors import Forbidden, Invalid, NotFound, TooManyRequests
from joinedup.voice import redaction, service, themes
from joinedup.voice.intake import FLOOD_LIMITS
from joinedup.voice.models import Feedback, PrivateDetails, Submission
from joinedup.voice.schemas import FeedbackCreate, ReplyCreate, ThemeChoice

from .conftest import Tell


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_story_is_stored_with_personal_data_removed(tell: Tell) -> None:
    stored = tell("My mum Margaret Wilson (NHS 943 476 5919) waited 9 hours. Ring 0116 496 0321.", rating=2)
    assert (
        "Margaret" not in stored.text and "943 476 5919" not in stored.text and "496 0321" not in stored.text
    )
    assert stored.redactions == {"name": 1, "nhs_number": 1, "phone_number": 1}
    assert stored.status == "received" and stored.rating == 2
    assert stored.about.name == "Leicester Royal Infirmary"


@pytest.mark.parametrize(
    ("about", "kind", "organisation"),
    [
        ("lri", "site", "uhl"),
        ("RWE", "organisation", "uhl"),
        ("rwe", "organisation", "uhl"),
        ("st-marys-births", "service", "uhl"),
        ("rutland", "site", "lpt"),
    ],
)
def test_place_is_resolved_and_its_organisation_recorded(
    tell: Tell, about: str, kind: str, organisation: str
) -> None:
    stored = tell(about=about)
    assert stored.about.kind == kind
    assert stored.organisation_id == organisation


def test_place_names_are_not_taken_for_people(tell: Tell) -> None:
    text = "Rutland Memorial in Oakham and St Mary's in Melton Mowbray must stay open."
    assert tell(text, about="rutland").text == text


def test_unknown_place_is_refused_and_nothing_is_stored(places: Session) -> None:
    with pytest.raises(Invalid, match="no organisation, site or service"):
        service.submit_feedback(places, feedback=FeedbackCreate(text="hello", about="nowhere"), sender="s")
    assert _count(places, Feedback) == 0 and _count(places, Submission) == 0


def test_flood_from_one_sender_is_refused_but_others_get_through(tell: Tell, places: Session) -> None:
    limit = FLOOD_LIMITS[0][1]
    for _ in range(limit):
        tell(sender="one-address")
    with pytest.raises(TooManyRequests, match="Please wait"):
        tell(sender="one-address")
    assert _count(places, Feedback) == limit
    assert tell(sender="another-address").status == "received"


def test_flood_window_passes(places: Session) -> None:
    feedback = FeedbackCreate(text="The ward was clean.", about="lri")
    start = datetime(2025, 1, 6, 9, tzinfo=UTC)
    for minute in range(FLOOD_LIMITS[0][1]):
        service.submit_feedback(places, feedback=feedback, sender="s", now=start + timedelta(minutes=minute))
    later = start + FLOOD_LIMITS[0][0] + timedelta(minutes=5)
    assert service.submit_feedback(places, feedback=feedback, sender="s", now=later).status == "received"


def test_honeypot_story_is_held_not_lost(places: Session, staff: Principal) -> None:
    stored = service.submit_feedback(
        places, feedback=FeedbackCreate(text="Great care", about="lri"), sender="bot", is_suspected_spam=True
    )
    assert stored.status == "held"
    queue = service.moderation_queue(places, actor=staff)
    assert queue[0].reference == stored.reference and "spam" in (queue[0].held_reason or "")


def test_contact_details_are_kept_apart_and_only_staff_see_them(
    tell: Tell, places: Session, staff: Principal, nurse: Principal
) -> None:
    stored = tell(contact={"name": "Jo Bloggs", "email": "jo@example.org"})
    assert "jo@example.org" not in stored.model_dump_json()
    with pytest.raises(Forbidden):
        service.private_details(places, stored.reference, actor=nurse)
    details = service.private_details(places, stored.reference, actor=staff)
    assert details is not None and details.contact_email == "jo@example.org"


def test_contact_details_are_erased_on_request(tell: Tell, places: Session, staff: Principal) -> None:
    stored = tell(contact={"phone": "0116 496 0000"})
    assert service.erase_private_details(places, stored.reference, actor=staff) is True
    assert _count(places, PrivateDetails) == 0
    assert service.private_details(places, stored.reference, actor=staff) is None
    assert service.get_for_moderation(places, stored.reference, actor=staff).status == "received"


def test_contact_without_a_way_to_reach_is_invalid() -> None:
    with pytest.raises(ValueError, match="email address or a phone number"):
        FeedbackCreate.model_validate({"text": "x", "about": "lri", "contact": {"name": "Jo"}})


def test_story_survives_a_redaction_failure_held_for_a_person(
    tell: Tell, places: Session, staff: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(text: str, *, keep: object = ()) -> redaction.RedactedText:
        raise RuntimeError("analyser down")

    monkeypatch.setattr(redaction, "redact", broken)
    stored = tell("Sarah on ward 7 was lovely")
    assert stored.status == "held" and stored.text == ""
    details = service.private_details(places, stored.reference, actor=staff)
    assert details is not None and details.original_text == "Sarah on ward 7 was lovely"
    monkeypatch.undo()
    with pytest.raises(Invalid, match="no public text"):
        service.publish(places, stored.reference, actor=staff)
    service.rewrite_public_text(places, stored.reference, text="Sarah on ward 7 was lovely", actor=staff)
    published = service.publish(places, stored.reference, actor=staff)
    assert published.text == "[name] on ward 7 was lovely"
    assert service.private_details(places, stored.reference, actor=staff) is None


def test_story_survives_a_theme_classifier_failure(tell: Tell, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str) -> themes.Classification:
        raise RuntimeError("classifier down")

    monkeypatch.setattr(themes, "classify", broken)
    stored = tell("The nurses were kind.")
    assert stored.status == "received" and stored.themes == [] and stored.sentiment is None


def test_suggested_themes_are_replaced_by_staff_choices(
    tell: Tell, places: Session, staff: Principal
) -> None:
    stored = tell("I waited 11 hours on a trolley but the nurses were kind.")
    assert {t.theme for t in stored.themes} >= {"waiting", "staff_attitude"}
    assert all(t.status == "suggested" for t in stored.themes)
    choices = [ThemeChoice(theme="waiting", polarity="negative")]
    service.confirm_themes(places, stored.reference, choices=choices, actor=staff)
    service.publish(places, stored.reference, actor=staff)
    public = service.get_feedback(places, stored.reference)
    assert [(t.theme, t.polarity, t.status) for t in public.themes] == [("waiting", "negative", "confirmed")]


def test_unpublished_stories_are_not_public(tell: Tell, places: Session, staff: Principal) -> None:
    stored = tell()
    with pytest.raises(NotFound):
        service.get_feedback(places, stored.reference)
    assert service.list_published(places) == []
    service.publish(places, stored.reference, actor=staff)
    assert [s.reference for s in service.list_published(places, place_id="lri")] == [stored.reference]
    assert service.list_published(places, place_id="rutland") == []


def test_rejected_story_keeps_its_reason_and_stays_private(
    tell: Tell, places: Session, staff: Principal
) -> None:
    stored = tell("Buy cheap parking now")
    rejected = service.reject(places, stored.reference, reason="advertising", actor=staff)
    assert rejected.status == "rejected" and rejected.rejected_reason == "advertising"
    assert service.list_published(places) == []


def test_only_healthwatch_staff_moderate(tell: Tell, places: Session, nurse: Principal) -> None:
    stored = tell()
    for act in (service.publish, service.request_response):
        with pytest.raises(Forbidden):
            act(places, stored.reference, actor=nurse)
    with pytest.raises(Forbidden):
        service.moderation_queue(places, actor=nurse)


def test_provider_reply_is_shown_beside_a_published_story_only(
    tell: Tell, places: Session, staff: Principal
) -> None:
    stored = tell(about="RWE")
    reply = ReplyCreate(
        responder="Head of Patient Experience, UHL", text="Sorry. Please ask for Dr Patel on 0116 496 0999."
    )
    with pytest.raises(Invalid, match="not published"):
        service.record_reply(places, stored.reference, reply=reply, actor=staff)
    service.request_response(places, stored.reference, actor=staff)
    service.publish(places, stored.reference, actor=staff)
    shown = service.record_reply(places, stored.reference, reply=reply, actor=staff)
    assert shown.reply is not None and "Patel" not in shown.reply.text and "0999" not in shown.reply.text
    assert service.list_published(places)[0].reply == shown.reply


def test_trends_and_board_report_count_what_was_said(places: Session, staff: Principal) -> None:
    told = [
        ("lri", "The nurses were kind and caring.", 5, datetime(2025, 1, 10, tzinfo=UTC)),
        ("lri", "I waited eleven hours, terrible.", 1, datetime(2025, 1, 20, tzinfo=UTC)),
        ("st-marys-births", "The midwives were wonderful.", 5, datetime(2025, 2, 3, tzinfo=UTC)),
        ("rutland", "Please keep the beds, closing them is wrong.", None, datetime(2025, 2, 4, tzinfo=UTC)),
    ]
    refs = []
    for i, (about, text, rating, when) in enumerate(told):
        feedback = FeedbackCreate.model_validate({"text": text, "about": about, "rating": rating})
        refs.append(service.submit_feedback(places, feedback=feedback, sender=f"s{i}", now=when).reference)
    for ref in refs[:3]:
        service.publish(places, ref, actor=staff)
    rows = service.trends(places, start=datetime(2025, 1, 1).date(), end=datetime(2025, 2, 28).date())
    assert [(r.organisation_id, r.month, r.stories) for r in rows] == [
        ("lpt", "2025-02", 1),
        ("uhl", "2025-01", 2),
        ("uhl", "2025-02", 1),
    ]
    report = service.board_report(
        places, ods_code="rwe", start=datetime(2025, 1, 1).date(), end=datetime(2025, 2, 28).date()
    )
    assert (report.received, report.published, report.awaiting) == (3, 3, 0)
    assert report.mean_rating == pytest.approx(11 / 3, abs=0.01)
    assert report.places == {
        "Leicester Royal Infirmary": 2,
        "Midwife-led birth centre at St Mary's Birth Centre": 1,
    }
    assert {e.reference for e in report.examples} == set(refs[:3])
    assert "staff_attitude" in {t.theme for t in report.themes}


def test_board_report_for_an_unknown_organisation_is_not_found(places: Session) -> None:
    with pytest.raises(NotFound, match="ODS code"):
        service.board_report(
            places, ods_code="ZZZ", start=datetime(2025, 1, 1).date(), end=datetime(2025, 2, 1).date()
        )
