"""The demo's delayed discharges: demo patients in UHL's acute beds who are medically fit but waiting, with
referrals in flight to the housing officers at the Royal Infirmary, the city's hospital social work team, the
ICB's Continuing Healthcare team and Blaby's adaptations team, and some closed earlier. Synthetic data only.

The practice refers each patient to UHL and the hospital records the inpatient stay, through record.service
(authorised and audited, as in the record demo); the ward raises the referral and the team's demo user takes
it on, through this area's service.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.policy import Role
from joinedup.discharge import service
from joinedup.discharge.schemas import CloseCreate, ReferralCreate, ReferralRead, StepCreate, UpdateCreate
from joinedup.errors import Invalid
from joinedup.fhir.search_query import parse_search
from joinedup.fhir.validation import nhs_number_of
from joinedup.record import service as record
from joinedup.record.service import Actor
from joinedup.registry import service as registry
from joinedup.wards import service as wards

SEED = 2018
DEMO_PASSWORD = "demo-password"  # every demo account's password (see docs/access.md)
UHL_ODS = "RWE"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# (username, display name, team): the receiving teams' demo staff.
TEAM_USERS = (
    ("demo-housing", "Demo Housing Support Officer", "lri-housing-support-officers"),
    ("demo-social-worker", "Demo Hospital Social Worker", "leicester-city-hospital-social-work-team"),
    ("demo-chc", "Demo Continuing Healthcare Nurse Assessor", "llr-continuing-healthcare-team"),
    ("demo-adaptations", "Demo Adaptations Officer", "blaby-housing-adaptations-team"),
)
# (kind, team, weight): assumption, the demo's mix of what delayed patients wait for.
NEEDS = (
    ("housing", "lri-housing-support-officers", 0.3),
    ("social-care", "leicester-city-hospital-social-work-team", 0.3),
    ("care-home", "leicester-city-hospital-social-work-team", 0.1),
    ("chc", "llr-continuing-healthcare-team", 0.15),
    ("adaptations", "blaby-housing-adaptations-team", 0.15),
)
SITES = (("lri-acute", 0.6), ("lgh-acute", 0.2), ("glenfield-acute", 0.2))
OPEN_REFERRALS = 22
CLOSED_REFERRALS = 10
# What the ward tells the receiving team, and the team's progress notes, for each kind of need.
NOTES: dict[str, tuple[str, ...]] = {
    "housing": (
        "No fixed abode before admission",
        "Tenancy ended while she was in hospital; the council's housing team knows",
        "Lives alone in a first-floor flat without a lift; cannot manage the stairs now",
    ),
    "adaptations": (
        "Needs a stair lift and level-access shower",
        "Uses a wheelchair since the amputation; needs a ramp to the front door",
        "Needs grab rails and a raised toilet seat before going home",
    ),
    "social-care": (
        "Needs a package of care four times a day",
        "Lives alone; needs help washing and dressing morning and evening",
        "Her husband, who cared for her, is unwell; needs care at home until he recovers",
    ),
    "chc": (
        "Checklist positive: full NHS Continuing Healthcare assessment needed",
        "Complex needs after a stroke; fed by PEG tube; checklist positive",
        "Rapidly deteriorating; fast track for care at home at the end of life",
    ),
    "community-bed": (
        "Needs a rehabilitation bed to get back on her feet after the fracture",
        "Not safe at home yet; needs therapy in a community hospital bed",
        "Needs a bed near his family in Melton while he regains strength",
    ),
    "care-home": (
        "Family cannot take her home; wants a care home near her daughter",
        "Advanced dementia; needs a residential home with a secure unit",
        "Needs nursing care day and night; family looking at homes in Wigston",
    ),
}
PROGRESS: dict[str, tuple[str, ...]] = {
    "housing": (
        "Visited the ward and met the patient",
        "Flat offered by the council; viewing booked",
        "Property viewed",
        "Waiting for the tenancy to start",
    ),
    "adaptations": (
        "Visited the ward and met the patient",
        "Home visit done with the occupational therapist",
        "Work ordered from the contractor",
        "Waiting for the fitting date",
    ),
    "social-care": (
        "Visited the ward and met the patient",
        "Care needs assessment done",
        "Waiting for a provider",
        "Provider found; start date being agreed",
    ),
    "chc": (
        "Visited the ward and met the patient",
        "Assessment booked",
        "Multidisciplinary team meeting held",
        "Waiting for the eligibility decision",
    ),
    "community-bed": (
        "Visited the ward and met the patient",
        "Accepted for a bed at the community hospital",
        "Waiting for a bed",
        "Transport being arranged",
    ),
    "care-home": (
        "Visited the ward and met the patient",
        "Family visiting care homes",
        "Waiting for a care home to assess her",
        "Place offered; family deciding",
    ),
}
# Where patients waiting for each kind of need went (four each: one draw of four whatever the kind).
ENDINGS: dict[str, tuple[str, ...]] = {
    "housing": ("home", "home", "home", "other"),
    "adaptations": ("home", "home", "home", "community-bed"),
    "social-care": ("home", "home", "home", "care-home"),
    "chc": ("home", "care-home", "care-home", "community-bed"),
    "community-bed": ("community-bed", "community-bed", "community-bed", "home"),
    "care-home": ("care-home", "care-home", "care-home", "home"),
}
# One draw of six (notes) and of four (progress) per referral, whatever the kind, so the rest of the
# demo's random draws are the same for every choice of wording.
NOTE_DRAW, PROGRESS_DRAW = 6, 4


def _actor(session: Session, username: str) -> Actor:
    user = access.get_user(session, username)
    if user is None:
        raise Invalid(f"the discharge demo needs the demo user {username!r}: build the demo users first")
    return Actor(access.principal_of(user), request_id="demo-discharge")


def _team_users(session: Session) -> dict[str, Actor]:
    """One demo user per receiving team (role `discharge support`), made here: the access demo has none."""
    actors = {}
    for username, name, team in TEAM_USERS:
        if access.get_user(session, username) is None:
            access.create_user(
                session,
                {"username": username, "display_name": name, "role": Role.DISCHARGE_SUPPORT,
                 "team_ids": [team], "password": DEMO_PASSWORD},
                actor=None,
            )  # fmt: skip
        actors[team] = _actor(session, username)
    return actors


def _instant(at: datetime) -> str:
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def _candidates(session: Session, gp: Actor) -> list[tuple[str, str]]:
    """(NHS number, patient id) of demo patients who share their record, are not on a virtual ward and are
    not in hospital now (the practice, which knows them all, asks)."""
    found = record.search(session, actor=gp, request=parse_search("Patient", [("_count", "1000")]))
    patients = {n: v.resource_id for v in found.versions if v.body and (n := nhs_number_of(v.body))}
    on_ward = wards.open_admissions_by_nhs_number(session, list(patients))
    busy = _patients_of(session, gp, "Encounter", [("status", "arrived,triaged,in-progress,onleave")])
    opted_out = {
        pid
        for pid, body in _bodies(session, gp, "Consent", [("status", "active")])
        if (body.get("provision") or {}).get("type") == "deny"
    }
    return sorted((n, pid) for n, pid in patients.items() if n not in on_ward and pid not in busy | opted_out)


def _bodies(
    session: Session, actor: Actor, resource_type: str, pairs: list[tuple[str, str]]
) -> list[tuple[str, dict[str, Any]]]:
    request = parse_search(resource_type, [*pairs, ("_count", "1000")])
    found = record.search(session, actor=actor, request=request)
    return [(v.patient_id, v.body) for v in found.versions if v.patient_id and v.body]


def _patients_of(
    session: Session, actor: Actor, resource_type: str, pairs: list[tuple[str, str]]
) -> set[str]:
    return {pid for pid, _ in _bodies(session, actor, resource_type, pairs)}


def _admit(
    session: Session, gp: Actor, ward: Actor, patient_id: str, uhl_id: str, site: str, start: datetime
) -> str:
    """The practice's referral to UHL (an open episode), then the hospital's inpatient stay; its id."""
    episode = {
        "resourceType": "EpisodeOfCare", "status": "active", "type": [{"text": "Acute medical care"}],
        "patient": {"reference": f"Patient/{patient_id}"},
        "managingOrganization": {"reference": f"Organization/{uhl_id}"},
        "period": {"start": _instant(start - timedelta(hours=3))},
    }  # fmt: skip
    episode_id = record.create_many(session, actor=gp, bodies=[episode])[0].version.resource_id
    stay: dict[str, Any] = {
        "resourceType": "Encounter", "status": "in-progress",
        "class": {"system": ACT_CODE, "code": "IMP", "display": "inpatient encounter"},
        "subject": {"reference": f"Patient/{patient_id}"}, "period": {"start": _instant(start)},
        "serviceProvider": {"reference": f"Organization/{uhl_id}"},
        "location": [{"location": {"reference": f"Location/{site}"}}],
        "episodeOfCare": [{"reference": f"EpisodeOfCare/{episode_id}"}],
    }  # fmt: skip
    return record.create_many(session, actor=ward, bodies=[stay])[0].version.resource_id


def _leave(session: Session, ward: Actor, encounter_id: str, end: datetime) -> None:
    """The patient went home: the inpatient stay finishes."""
    current = record.read(session, actor=ward, resource_type="Encounter", resource_id=encounter_id)
    body = dict(current.body or {})
    body.pop("meta", None)
    body["status"] = "finished"
    body["period"] = {**body.get("period", {}), "end": _instant(end)}
    record.update(
        session, actor=ward, resource_type="Encounter", resource_id=encounter_id, body=body,
        if_match=current.version,
    )  # fmt: skip


def _note(notes: tuple[str, ...], draw: int) -> str:
    return notes[draw % len(notes)]


def _pick(rng: random.Random, options: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(options, weights=[o[-1] for o in options])[0]


def create_demo_referrals(session: Session) -> str:
    """Demo step: referrals in flight (raised, accepted, in progress) and closed; one line saying what."""
    rng = random.Random(SEED)
    gp, ward = _actor(session, "demo-gp"), _actor(session, "demo-clinician")
    teams = _team_users(session)
    uhl = registry.get_organisation_by_ods(session, UHL_ODS)
    pools = {p.id: p.site_id for p in registry.list_bed_pools(session, on=datetime.now(UTC).date())}
    candidates = _candidates(session, gp)
    if uhl is None or not candidates or any(pool not in pools for pool, _ in SITES):
        return f"skipped: {len(candidates)} demo patients free and UHL's acute pools not all in the registry"
    now = datetime.now(UTC).replace(microsecond=0)
    made = {"raised": 0, "accepted": 0, "in-progress": 0, "closed": 0}
    for index, (number, patient_id) in enumerate(candidates[: OPEN_REFERRALS + CLOSED_REFERRALS]):
        closed = index >= OPEN_REFERRALS
        pool = str(_pick(rng, SITES)[0])
        kind, team, _ = _pick(rng, NEEDS)
        fit_days_ago = rng.uniform(8, 40) if closed else rng.choice((1, 2, 3, 5, 8, 12, 16, 21, 28, 35))
        fit = now - timedelta(days=fit_days_ago)
        admitted = fit - timedelta(days=rng.uniform(2, 9))
        encounter_id = _admit(session, gp, ward, patient_id, uhl.id, pools[pool], admitted)
        referral = ReferralCreate(
            nhs_number=number, pool_id=pool, kind=kind, team_id=team, medically_fit_on=fit.date(),
            note=_note(NOTES[kind], rng.randrange(NOTE_DRAW)),
        )  # fmt: skip
        raised = service.raise_referral(session, actor=ward, referral=referral, at=fit + timedelta(hours=4))
        status = _progress(session, rng, teams[team], raised, fit, now, closed)
        made[status] += 1
        if closed:
            _leave(session, ward, encounter_id, _last_step(raised.id, session, teams[team]))
    delayed = service.delayed_list(session, on=now.date())
    return (
        f"{sum(made.values())} referrals ({made['raised']} raised, {made['accepted']} accepted, "
        f"{made['in-progress']} in progress, {made['closed']} closed); {delayed.delayed_patients} delayed "
        f"patients, {delayed.delayed_bed_days} delayed bed-days; team users "
        f"{', '.join(u for u, _, _ in TEAM_USERS)}"
    )


def _progress(
    session: Session,
    rng: random.Random,
    team: Actor,
    referral: ReferralRead,
    fit: datetime,
    now: datetime,
    closed: bool,
) -> str:
    """Take the referral as far as the demo wants it, back-dated between being fit and now."""
    stage = 3 if closed else rng.choice((0, 1, 2, 2))
    if stage == 0:
        return "raised"
    step = (now - fit) / 5
    at = fit + step
    kind, referral_id = referral.kind, referral.id
    service.accept_referral(session, actor=team, referral_id=referral_id, step=StepCreate(), at=at)
    if stage == 1:
        return "accepted"
    update = UpdateCreate(note=_note(PROGRESS[kind], rng.randrange(PROGRESS_DRAW)))
    service.update_referral(session, actor=team, referral_id=referral_id, update=update, at=at + step)
    if stage == 2:
        return "in-progress"
    outcome = ENDINGS[kind][rng.randrange(len(ENDINGS[kind]))]
    service.close_referral(
        session, actor=team, referral_id=referral_id, close=CloseCreate(outcome=outcome), at=at + 2 * step
    )
    return "closed"


def _last_step(referral_id: str, session: Session, team: Actor) -> datetime:
    found = service.get_referral(session, actor=team, referral_id=referral_id)
    return found.ended_at or datetime.now(UTC)
