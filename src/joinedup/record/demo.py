"""The demo's shared care record: synthetic patients at the demo practice with history at UHL and LPT.

Each provider writes its own part through `record.service` as a demo user of that organisation, so every
write is authorised and audited like any other: the practice registers the patient and refers them on
(an open episode at UHL or LPT), the hospital and the community team record their care, then close the
episode. A few patients have opted out of sharing; a few carry a flag. Synthetic data only.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.policy import Role
from joinedup.errors import Invalid
from joinedup.record import demo_history as h
from joinedup.record import service as record
from joinedup.record.demo_people import Person, demo_people
from joinedup.record.patient_record import CONSENT_CATEGORY, PRIVACY_SCOPE
from joinedup.record.service import Actor
from joinedup.registry import service as registry

PATIENTS = 300
VIRTUAL_WARD_COHORT = 100
UHL_ODS = "RWE"  # University Hospitals of Leicester NHS Trust
LPT_ODS = "RT5"  # Leicestershire Partnership NHS Trust
DEMO_PRACTICE_PREFIX = "Y9"
COMMUNITY_NURSE = "demo-community-nurse"
# assumption: shares of the demo's patients with each kind of history (general population, cohort).
HOSPITAL_SHARE = (0.35, 0.75)
COMMUNITY_SHARE = (0.12, 0.6)
INPATIENT_NOW_SHARE = 0.1
OPT_OUT_SHARE = 0.03
FLAG_SHARE = 0.08


@dataclass(frozen=True)
class Places:
    """The registry organisations and sites the demo's care happens at (ids, never copies)."""

    practice_id: str
    practice_site: str | None
    uhl_id: str
    uhl_sites: list[str]
    lpt_id: str
    lpt_sites: list[str]


def _open_sites(session: Session, org_id: str, kinds: tuple[str, ...]) -> list[str]:
    operated = {o.site_id for o in registry.organisation_detail(session, org_id).sites if o.end is None}
    return sorted(
        s.id for s in registry.list_sites(session, on=date.today()) if s.id in operated and s.kind in kinds
    )


def _places(session: Session) -> Places:
    practices = sorted(
        (
            o
            for o in registry.list_organisations(session, kind="gp practice")
            if o.ods_code and o.ods_code.startswith(DEMO_PRACTICE_PREFIX)
        ),
        key=lambda o: o.ods_code or "",
    )
    uhl, lpt = (
        registry.get_organisation_by_ods(session, UHL_ODS),
        registry.get_organisation_by_ods(session, LPT_ODS),
    )
    if not practices or uhl is None or lpt is None:
        raise Invalid(
            "the record demo needs the demo GP practice (ODS Y9...), UHL (RWE) and LPT (RT5) in the registry"
        )
    surgeries = _open_sites(session, practices[0].id, ("gp surgery",))
    return Places(
        practices[0].id,
        surgeries[0] if surgeries else None,
        uhl.id,
        _open_sites(session, uhl.id, ("acute hospital",)),
        lpt.id,
        _open_sites(session, lpt.id, ("community hospital",)),
    )


def _actor(session: Session, username: str) -> Actor:
    user = access.get_user(session, username)
    if user is None:
        raise Invalid(f"the record demo needs the demo user {username!r}: build the demo users first")
    return Actor(access.principal_of(user), request_id="demo-record")


def _community_nurse(session: Session) -> Actor:
    """LPT's community nurse who writes the community history (added here: the access demo has none)."""
    if access.get_user(session, COMMUNITY_NURSE) is None:
        access.create_user(
            session,
            {
                "username": COMMUNITY_NURSE,
                "display_name": "Demo Community Nurse",
                "role": Role.COMMUNITY_NURSE,
                "organisation_ods": LPT_ODS,
            },
            actor=None,
        )
    return _actor(session, COMMUNITY_NURSE)


@dataclass
class Writers:
    gp: Actor
    hospital: Actor
    community: Actor


def load_demo_patients(session: Session, count: int = PATIENTS, cohort: int = VIRTUAL_WARD_COHORT) -> str:
    """Demo step: the synthetic patients and their joined-up histories; one line saying what was made."""
    places = _places(session)
    writers = Writers(
        _actor(session, "demo-gp"), _actor(session, "demo-clinician"), _community_nurse(session)
    )
    now = datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(6)
    made: Counter[str] = Counter()
    for person in demo_people(count, cohort=cohort, today=now.date()):
        _one_patient(session, rng, person, places, writers, now, made)
    return (
        f"{made['Patient']} patients at the demo practice "
        f"({cohort} in an older virtual-ward cohort): "
        f"{made['Encounter']} encounters, {made['EpisodeOfCare']} episodes at UHL and LPT, "
        f"{made['Observation']} observations, {made['Consent']} sharing opt-outs, {made['Flag']} flags"
    )


def _count(made: Counter[str], bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    made.update(b["resourceType"] for b in bodies)
    return bodies


def _one_patient(
    session: Session,
    rng: random.Random,
    person: Person,
    places: Places,
    writers: Writers,
    now: datetime,
    made: Counter[str],
) -> None:
    pid = record.new_id()
    base = h.baseline(rng, person, now)
    cohort = 1 if person.virtual_ward_cohort else 0
    first = person.nhs_number == "9990000018"
    gp_bodies = [h.patient(person, pid, places.practice_id, "registered at the demo practice")]
    gp_bodies += _practice_visits(rng, person, pid, places, base, now)
    hospital = first or rng.random() < HOSPITAL_SHARE[cohort]
    community = first or rng.random() < COMMUNITY_SHARE[cohort]
    inpatient_now = hospital and not first and rng.random() < INPATIENT_NOW_SHARE
    stay_start = now - (
        timedelta(hours=rng.uniform(6, 96)) if inpatient_now else timedelta(days=rng.uniform(20, 900))
    )
    uhl_episode, lpt_episode = record.new_id(), record.new_id()
    if hospital:
        gp_bodies.append(
            h.episode(pid, uhl_episode, places.uhl_id, "Acute medical care", stay_start - timedelta(hours=2))
        )
    community_start = now - timedelta(days=rng.uniform(10, 400))
    if community:
        gp_bodies.append(h.episode(pid, lpt_episode, places.lpt_id, "Community nursing", community_start))
    record.create_many(session, actor=writers.gp, bodies=_count(made, gp_bodies), keep_ids=True)
    if hospital:
        end = None if inpatient_now else stay_start + timedelta(days=rng.uniform(1, 6))
        stay = _hospital_stay(rng, pid, uhl_episode, places, base, stay_start, end, now)
        record.create_many(session, actor=writers.hospital, bodies=_count(made, stay), keep_ids=True)
        if end is not None:
            _finish_episode(session, writers.hospital, uhl_episode, end)
    if community:
        visits = _community_visits(rng, pid, lpt_episode, places, base, community_start, now)
        record.create_many(session, actor=writers.community, bodies=_count(made, visits), keep_ids=True)
        if not person.virtual_ward_cohort and rng.random() < 0.7:
            _finish_episode(
                session, writers.community, lpt_episode, min(now, community_start + timedelta(days=40))
            )
    extras = []
    if rng.random() < FLAG_SHARE:
        extras.append(_flag(pid, places.practice_id, now - timedelta(days=rng.uniform(30, 700))))
    if not first and rng.random() < OPT_OUT_SHARE:
        extras.append(_opt_out(pid, now - timedelta(days=rng.uniform(1, 300))))
    if extras:
        record.create_many(session, actor=writers.gp, bodies=_count(made, extras))


def _practice_visits(
    rng: random.Random, person: Person, pid: str, places: Places, base: h.Baseline, now: datetime
) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    adult = person.age_on(now.date()) >= 18
    for _ in range(rng.randint(1, 3)):
        start = (now - timedelta(days=rng.uniform(5, 1000))).replace(
            hour=rng.randint(8, 17), minute=rng.choice((0, 20, 40))
        )
        visit = h.Visit(
            pid,
            places.practice_id,
            places.practice_site,
            "AMB",
            h.CONSULTATION,
            rng.choice(h.PRACTICE_REASONS) if adult else None,
        )
        eid = record.new_id()
        bodies.append(h.encounter(visit, eid, start, start + timedelta(minutes=15)))
        bodies += h.observation_set(
            visit, eid, start + timedelta(minutes=5), h.clinic_signs(rng, base, adult)
        )
    return bodies


def _hospital_stay(
    rng: random.Random,
    pid: str,
    episode_id: str,
    places: Places,
    base: h.Baseline,
    start: datetime,
    end: datetime | None,
    now: datetime,
) -> list[dict[str, Any]]:
    site = rng.choice(places.uhl_sites) if places.uhl_sites else None
    reason = rng.choice(h.ADMISSION_REASONS)
    ed = h.Visit(pid, places.uhl_id, site, "EMER", h.ED_VISIT, reason, episode_id)
    ward = h.Visit(pid, places.uhl_id, site, "IMP", h.ADMISSION, reason, episode_id)
    ed_id, stay_id = record.new_id(), record.new_id()
    admitted = start + timedelta(hours=rng.uniform(2, 6))
    bodies = [h.encounter(ed, ed_id, start, admitted), h.encounter(ward, stay_id, admitted, end)]
    bodies += h.observation_set(ed, ed_id, start + timedelta(minutes=15), h.illness_signs(rng, base, 1.0))
    last = end or now
    times = h.stay_times(admitted, last, timedelta(hours=12))
    for index, moment in enumerate(times):
        severity = max(0.0, 0.9 - index / max(1, len(times)) * (1.1 if end else 0.6))
        bodies += h.observation_set(ward, stay_id, moment, h.illness_signs(rng, base, severity))
    return bodies


def _community_visits(
    rng: random.Random,
    pid: str,
    episode_id: str,
    places: Places,
    base: h.Baseline,
    start: datetime,
    now: datetime,
) -> list[dict[str, Any]]:
    visit = h.Visit(pid, places.lpt_id, None, "HH", h.HOME_VISIT, None, episode_id)
    bodies: list[dict[str, Any]] = []
    fluid = rng.uniform(0, 2.5)
    for week in range(rng.randint(2, 6)):
        moment = start + timedelta(days=7 * week + rng.uniform(0, 2))
        if moment >= now:
            break
        eid = record.new_id()
        bodies.append(h.encounter(visit, eid, moment, moment + timedelta(minutes=40)))
        bodies += h.observation_set(
            visit, eid, moment + timedelta(minutes=10), h.home_signs(rng, base, fluid)
        )
        fluid = max(0.0, fluid - 0.6)
    return bodies


def _finish_episode(session: Session, actor: Actor, episode_id: str, end: datetime) -> None:
    current = record.read(session, actor=actor, resource_type="EpisodeOfCare", resource_id=episode_id)
    body = dict(current.body or {})
    body["status"] = "finished"
    body["period"] = {**body.get("period", {}), "end": end.strftime("%Y-%m-%dT%H:%M:%S+00:00")}
    record.update(
        session,
        actor=actor,
        resource_type="EpisodeOfCare",
        resource_id=episode_id,
        body=body,
        if_match=current.version,
    )


def _flag(pid: str, practice_id: str, since: datetime) -> dict[str, Any]:
    return {
        "resourceType": "Flag",
        "status": "active",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/flag-category",
                        "code": "social",
                        "display": "Social",
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": h.SNOMED, "code": "105529008", "display": "Lives alone"}],
            "text": "Lives alone: key safe by the front door",
        },
        "subject": {"reference": f"Patient/{pid}"},
        "period": {"start": since.strftime("%Y-%m-%dT%H:%M:%S+00:00")},
        "author": {"reference": f"Organization/{practice_id}"},
    }


def _opt_out(pid: str, when: datetime) -> dict[str, Any]:
    return {
        "resourceType": "Consent",
        "status": "active",
        "scope": {"coding": [PRIVACY_SCOPE]},
        "category": [{"coding": [CONSENT_CATEGORY]}],
        "patient": {"reference": f"Patient/{pid}"},
        "dateTime": when.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "provision": {"type": "deny"},
    }
