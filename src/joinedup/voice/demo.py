"""Demo public voice: stories people in LLR might tell about the places the 2016 plan touched (Leicester
General's closure, Rutland Memorial and Fielding Palmer beds, St Mary's births, the virtual wards), moderated
by the demo Healthwatch officer, some with the provider's reply; the 2016 plan out for consultation; and
"you said, we did": actions on what people said, one measured with the planner and one with the registry.

Every story is invented for the demo; names and numbers in them are there to show redaction at work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.plan.loading import bundled_scenarios
from joinedup.voice import service
from joinedup.voice.action_schemas import ActionCreate, ActionUpdateCreate
from joinedup.voice.schemas import (
    CommentCreate,
    ConsultationCreate,
    ContactCreate,
    FeedbackCreate,
    ReplyCreate,
    ThemeChoice,
)

DEMO_STAFF = access.Principal(
    username="demo-healthwatch", role=access.Role.HEALTHWATCH_STAFF, display_name="Demo Healthwatch Officer"
)
UHL_REPLY = "Head of Patient Experience, University Hospitals of Leicester"
LPT_REPLY = "Patient Experience Lead, Leicestershire Partnership NHS Trust"


@dataclass(frozen=True)
class DemoStory:
    about: str
    days_ago: int
    text: str
    rating: int | None = None
    kind: str = "feedback"
    outcome: str = "publish"  # publish, reject, wait, spam
    reply: tuple[str, str] | None = None
    themes: tuple[tuple[str, str], ...] = ()
    contact: str | None = None


STORIES: tuple[DemoStory, ...] = (
    DemoStory(
        "lgh",
        330,
        "My husband has had three operations at the General and every time the staff on the "
        "surgical ward were kind and unhurried. If the acute beds close, people from Evington and Oadby will "
        "have to fight their way across the city to the Royal, which is already bursting.",
        4,
        "concern",
        themes=(
            ("local_services", "negative"),
            ("staff_attitude", "positive"),
            ("travel_parking", "negative"),
        ),
    ),
    DemoStory(
        "lri-emergency-department",
        300,
        "I waited eleven hours in the emergency department with my dad, "
        "who is 87. He was on a trolley in the corridor all night and nobody checked his pressure areas. "
        "The nurses were doing their best but there were simply not enough of them.",
        2,
        reply=(
            UHL_REPLY,
            "Thank you for telling us about your father's long wait. We are very sorry. "
            "The emergency department has opened a new assessment area for frail older people, and we "
            "would like to talk to you about his care: please contact our Patient Advice and Liaison "
            "Service quoting this story.",
        ),
        themes=(("waiting", "negative"), ("staff_attitude", "positive"), ("care_treatment", "negative")),
    ),
    DemoStory(
        "rutland",
        280,
        "Mum recovered from her hip operation at Rutland Memorial, ten minutes from home, "
        "and we could visit every day. Without its beds she would have been sent to Leicester, over an "
        "hour on two buses. Please keep the beds in Oakham.",
        5,
        "concern",
        themes=(
            ("local_services", "negative"),
            ("travel_parking", "negative"),
            ("care_treatment", "positive"),
        ),
    ),
    DemoStory(
        "fielding-palmer",
        250,
        "The physiotherapists at Fielding Palmer got my father walking again "
        "after his stroke. Lutterworth is growing fast and the town needs more community beds, not fewer.",
        5,
        reply=(
            LPT_REPLY,
            "Thank you for your kind words about our physiotherapy team; we have shared them "
            "with the ward. No decision on inpatient beds at Fielding Palmer will be taken without "
            "public consultation.",
        ),
        themes=(("care_treatment", "positive"), ("local_services", "negative")),
    ),
    DemoStory(
        "stmarys-maternity-service",
        220,
        "Both my children were born at St Mary's in Melton. The "
        "midwives knew us by name. In snow the drive to the Royal can take over an hour, and that "
        "frightens me for the next mum whose labour moves fast.",
        5,
        "concern",
        themes=(
            ("local_services", "negative"),
            ("travel_parking", "negative"),
            ("staff_attitude", "positive"),
        ),
    ),
    DemoStory(
        "llr-virtual-ward",
        200,
        "After my heart failure got worse the virtual ward nurses phoned every "
        "morning and the monitor sent my weight and oxygen to them. When my weight went up they changed my "
        "tablets the same day. I stayed at home and out of hospital.",
        5,
        themes=(("care_at_home", "positive"), ("communication", "positive")),
    ),
    DemoStory(
        "lri",
        180,
        "Parking at the Royal is a nightmare. I paid for two hours, the clinic ran 90 "
        "minutes late and I came back to a fine. Please call me on 07700 900461 about it.",
        1,
        themes=(("travel_parking", "negative"), ("waiting", "negative")),
        contact="07700 900461",
    ),
    DemoStory(
        "glenfield-childrens-heart-surgery",
        160,
        "The children's heart unit at Glenfield saved our "
        "daughter's life when she was four days old. The surgeons explained every step and the nurses "
        "looked after us as well as her. Families across the East Midlands depend on it.",
        5,
        reply=(
            UHL_REPLY,
            "Thank you so much for sharing your family's story. The team were delighted to "
            "read it, and we are glad your daughter is doing well.",
        ),
        themes=(
            ("care_treatment", "positive"),
            ("communication", "positive"),
            ("staff_attitude", "positive"),
        ),
    ),
    DemoStory(
        "hinckley",
        140,
        "Half the beds at Hinckley and Bosworth have gone and now my aunt is in "
        "Loughborough, which none of the family can get to without a car.",
        2,
        "concern",
        themes=(("local_services", "negative"), ("travel_parking", "negative")),
    ),
    DemoStory(
        "bradgate-mental-health-inpatients",
        120,
        "My son was discharged from the Bradgate Unit on a "
        "Friday with no follow-up appointment and no one to call. He was back in crisis within a week. "
        "The housing officer on the unit was the only person who helped.",
        1,
        "concern",
        reply=(
            LPT_REPLY,
            "We are sorry your son left hospital without a follow-up plan. Every discharge "
            "from the Bradgate Unit now has a named community contact and a review within 72 hours.",
        ),
        themes=(("discharge", "negative"), ("communication", "negative"), ("staff_attitude", "positive")),
    ),
    DemoStory(
        "lri-stroke",
        100,
        "The stroke unit team were brilliant with my wife. Dr Patel explained the "
        "scan results clearly and the therapists started work the next morning.",
        5,
    ),
    DemoStory(
        "RWE",
        90,
        "Three cancelled outpatient appointments in a row, each letter arriving after the "
        "date. When I rang the appointment line it was engaged all day.",
        1,
        themes=(("communication", "negative"), ("access", "negative"), ("waiting", "negative")),
    ),
    DemoStory(
        "rutland-outpatients",
        75,
        "Having the fracture clinic in Oakham saved me a day's travel. The "
        "nurse was friendly and I was seen on time.",
        4,
    ),
    DemoStory(
        "llr-remote-monitoring",
        60,
        "The home monitoring kit was hard to set up and nobody came to show "
        "my mother how to use it. Once my daughter set it up it worked well.",
        3,
    ),
    DemoStory(
        "lgh-outpatients",
        45,
        "Clinic at the General was well run and I was seen within ten minutes of "
        "my appointment. Free parking was a bonus.",
        5,
    ),
    DemoStory(
        "lri-maternity-service",
        30,
        "Induction took three days because the labour ward was full. The midwives were exhausted but kind.",
        3,
        outcome="wait",
    ),
    DemoStory(
        "glenfield",
        20,
        "Cheap car parking near Glenfield!!! Visit our website for deals.",
        None,
        outcome="reject",
    ),
    DemoStory(
        "lri",
        10,
        "Waited four hours for pharmacy to sort out my tablets before I could go home.",
        2,
        outcome="wait",
    ),
    DemoStory("melton", 5, "buy now best prices www.example.com", None, outcome="spam"),
)

COMMENTS = (
    ("oppose", "Closing beds before the community services are in place puts patients at risk."),
    ("support", ""),
    ("oppose", ""),
    ("unsure", "We need to see where the staff will come from."),
)


def _tell(session: Session, index: int, story: DemoStory, now: datetime) -> tuple[str, str]:
    contact = ContactCreate(name=None, phone=story.contact) if story.contact else None
    feedback = FeedbackCreate(
        text=story.text,
        about=story.about,
        kind=story.kind,
        rating=story.rating,
        contact=contact,
    )
    told = service.submit_feedback(
        session,
        feedback=feedback,
        sender=f"demo-sender-{index}",
        is_suspected_spam=story.outcome == "spam",
        now=now - timedelta(days=story.days_ago, hours=index % 7),
    )
    reference = told.reference
    if story.themes:
        choices = [ThemeChoice(theme=t, polarity=p) for t, p in story.themes]
        service.confirm_themes(session, reference, choices=choices, actor=DEMO_STAFF)
    if story.outcome == "publish":
        service.publish(session, reference, actor=DEMO_STAFF)
        if story.reply:
            service.request_response(session, reference, actor=DEMO_STAFF)
            service.record_reply(
                session,
                reference,
                reply=ReplyCreate(responder=story.reply[0], text=story.reply[1]),
                actor=DEMO_STAFF,
            )
    elif story.outcome == "reject":
        service.reject(session, reference, reason="advertising, not feedback", actor=DEMO_STAFF)
    return story.outcome, reference


def _consult(session: Session) -> str:
    if "llr-stp-2016" not in bundled_scenarios():
        return "no consultation (scenario llr-stp-2016 is not bundled)"
    consultation = service.publish_consultation(
        session,
        create=ConsultationCreate(scenario="llr-stp-2016", title="The 2016 plan for LLR's hospitals"),
        actor=DEMO_STAFF,
    )
    for position, change in enumerate(consultation.changes[:3]):
        for index, (stance, text) in enumerate(COMMENTS):
            comment = service.comment_on_change(
                session,
                consultation_id=consultation.id,
                change_id=change.id,
                comment=CommentCreate(stance=stance, text=text),
                sender=f"demo-consultee-{position}-{index}",
            )
            if text and index == 0:
                service.moderate_comment(session, comment.reference, publish=True, actor=DEMO_STAFF)
    return f"consultation on llr-stp-2016 ({len(consultation.changes)} changes)"


# Replications for the demo's planner readings: enough for an interval, few enough to build in seconds.
DEMO_REPLICATIONS = 10


def _planner_action(session: Session, concern: str, now: datetime) -> None:
    """People asked to keep Leicester General's acute beds: the planner shows what closing them does to the
    Royal, the 2016 baseline against the 2016 plan."""
    create = ActionCreate.model_validate({
        "title": "Show what closing Leicester General's acute beds would do to the Royal Infirmary",
        "description": "People asked to keep the General's acute beds. The ICB has run the 2016 plan through "
        "the planner to show how often patients would find no bed at the Royal if they closed.",
        "theme": "local_services", "concern": concern, "owner": "QK1",
        "owner_role": "Director of Strategy and Planning", "due_on": (now + timedelta(days=90)).date(),
        "status": "in progress", "publish": True,
        "measure": {
            "kind": "planner", "label": "Patients finding no acute bed free at the Royal Infirmary",
            "desired": "down", "scenario": "llr-stp-2016", "pool": "lri-acute", "figure": "blocked_fraction",
            "baseline": {"on": date(2016, 3, 31), "scenario": "llr-baseline-2016",
                         "replications": DEMO_REPLICATIONS},
            "current": {"replications": DEMO_REPLICATIONS},
        },
    })  # fmt: skip
    action = service.create_action(session, create=create, actor=DEMO_STAFF, now=now - timedelta(days=20))
    note = "Planner forecast added: see below. The ICB will publish it with its consultation response."
    service.update_action(session, action.id, update=ActionUpdateCreate(note=note), actor=DEMO_STAFF, now=now)


def _registry_action(session: Session, now: datetime) -> None:
    """People asked for care at home: the virtual ward's beds as the registry records them."""
    opened = now - timedelta(days=400)
    create = ActionCreate.model_validate({
        "title": "Open virtual ward beds so more people can be cared for at home",
        "theme": "care_at_home", "owner": "RT5", "owner_role": "Director of Community Health Services",
        "due_on": (opened + timedelta(days=300)).date(), "publish": True,
        "measure": {
            "kind": "registry", "label": "Virtual ward beds in LLR", "desired": "up", "pool": "llr-virtual",
            "baseline": {"on": date(2016, 4, 1)}, "current": {"on": now.date()},
        },
    })  # fmt: skip
    action = service.create_action(session, create=create, actor=DEMO_STAFF, now=opened)
    done = ActionUpdateCreate(status="done", note="The virtual ward is open across LLR.")
    service.update_action(session, action.id, update=done, actor=DEMO_STAFF, now=opened + timedelta(days=200))
    service.update_action(
        session, action.id, actor=DEMO_STAFF, now=opened + timedelta(days=201),
        update=ActionUpdateCreate(note="Staffing rota agreed with the GP federations", public=False),
    )  # fmt: skip


def _overdue_action(session: Session, now: datetime) -> None:
    """An open action past its due date, so the board report shows one."""
    opened = now - timedelta(days=60)
    create = ActionCreate.model_validate({
        "title": "Review car parking charges for long outpatient clinics at the Royal",
        "theme": "travel_parking", "owner": "RWE", "owner_role": "Director of Estates and Facilities",
        "due_on": (opened + timedelta(days=45)).date(), "publish": True,
    })  # fmt: skip
    service.create_action(session, create=create, actor=DEMO_STAFF, now=opened)


def _act(session: Session, concern: str, now: datetime) -> str:
    _registry_action(session, now)
    _overdue_action(session, now)
    if "llr-stp-2016" not in bundled_scenarios() or "llr-baseline-2016" not in bundled_scenarios():
        return "2 actions (no planner action: the 2016 scenarios are not bundled)"
    _planner_action(session, concern, now)
    return "3 actions (one measured with the planner, one with the registry)"


def load_demo_feedback(session: Session) -> str:
    """Tell, moderate and answer the demo stories; put the 2016 plan out for consultation; record what was
    done about what people said."""
    now = datetime.now(UTC)
    told = [_tell(session, i, story, now) for i, story in enumerate(STORIES)]
    outcomes = [outcome for outcome, _ in told]
    published = outcomes.count("publish")
    return (
        f"{len(outcomes)} stories ({published} published, {sum(1 for s in STORIES if s.reply)} with replies, "
        f"{outcomes.count('wait') + outcomes.count('spam')} awaiting moderation); {_consult(session)}; "
        f"{_act(session, told[0][1], now)}"
    )
