"""The demo's virtual hospital: the demo patients admitted to the five LLR virtual-ward teams, filled to about
NHS England's 80% occupancy target, with earlier stays (about ten days each, seed 002) for occupancy history.

Referrals are entered by the demo GP (`demo-gp`), who knows every demo patient. Synthetic data only.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.errors import Conflict, Invalid
from joinedup.fhir.search_query import parse_search
from joinedup.fhir.validation import nhs_number_of
from joinedup.record import service as record
from joinedup.record.service import Actor
from joinedup.registry.schemas import TeamRead
from joinedup.wards import service
from joinedup.wards.schemas import AdmissionCreate, DischargeCreate

SEED = 2022
FILL = 0.8
PATHWAY_MIX = (("heart-failure", 0.3), ("frailty", 0.35), ("respiratory", 0.25), ("covid-19", 0.1))
"""assumption: the demo's mix of pathways (seed 002 names heart failure, frailty and COVID-19)."""
OUTCOMES = (("home", 0.85), ("readmitted", 0.12), ("died", 0.03))
"""assumption: how the demo's earlier stays ended."""
MEAN_STAY_DAYS = 10.0
"""Seed 002: the virtual hospital supports a patient for about ten days on average."""


def demo_actor(session: Session, username: str = "demo-gp") -> Actor:
    """The demo user who enters the demo's referrals."""
    user = access.get_user(session, username)
    if user is None:
        raise Invalid(f"the demo needs the user {username!r}: build the demo users first")
    return Actor(access.principal_of(user), request_id="demo")


def demo_nhs_numbers(session: Session, actor: Actor, limit: int = 1000) -> list[str]:
    """The NHS numbers of the patients the demo GP can see, in a stable order."""
    found = record.search(session, actor=actor, request=parse_search("Patient", [("_count", str(limit))]))
    numbers = {n for v in found.versions if v.body and (n := nhs_number_of(v.body))}
    return sorted(numbers)


def _choose(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in mix], weights=[weight for _, weight in mix])[0]


def admit_demo_caseload(session: Session) -> str:
    """Earlier stays (discharged) first, then today's caseload; one line saying what was made."""
    rng = random.Random(SEED)
    actor = demo_actor(session)
    numbers = demo_nhs_numbers(session, actor)
    teams = service.list_ward_teams(session, on=datetime.now(UTC).date())
    if not numbers or not teams:
        return f"skipped: {len(numbers)} demo patients and {len(teams)} virtual-ward teams"
    now = datetime.now(UTC)
    past = _earlier_stays(session, actor, rng, numbers[: len(numbers) // 4], teams, now)
    places = [t.id for t in teams for _ in range(int((t.beds or 0) * FILL))]
    rng.shuffle(places)
    admitted = 0
    for number, ward_id in zip(numbers, places, strict=False):
        at = now - timedelta(days=rng.uniform(0.2, 9.5))
        _admit(session, actor, ward_id, number, rng, at)
        admitted += 1
    beds = sum(t.beds or 0 for t in teams)
    return f"{admitted} patients on {len(teams)} virtual wards ({beds} beds); {past} earlier stays discharged"


def _admit(
    session: Session, actor: Actor, ward_id: str, number: str, rng: random.Random, at: datetime
) -> str:
    source = rng.choice(("hospital", "gp", "gp", "community"))
    admission = AdmissionCreate(
        nhs_number=number, pathway=_choose(rng, PATHWAY_MIX), source=source, admitted_at=at
    )
    return service.admit_patient(session, actor=actor, ward_id=ward_id, admission=admission).id


def _earlier_stays(
    session: Session,
    actor: Actor,
    rng: random.Random,
    numbers: list[str],
    teams: list[TeamRead],
    now: datetime,
) -> int:
    made = 0
    for number in numbers:
        start = now - timedelta(days=rng.uniform(14, 60))
        length = min(rng.lognormvariate(2.2, 0.4), (now - start).days - 2)
        try:
            stay = _admit(session, actor, rng.choice(teams).id, number, rng, start)
        except Conflict:
            continue
        outcome = DischargeCreate(
            outcome=_choose(rng, OUTCOMES), discharged_at=start + timedelta(days=length)
        )
        service.discharge_patient(session, actor=actor, admission_id=stay, discharge=outcome)
        made += 1
    return made
