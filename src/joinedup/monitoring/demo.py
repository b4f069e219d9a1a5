"""The demo's remote monitoring: a kit for every patient on a virtual ward and their recent readings (one
sitting every twelve hours over a day and a half), a few patients deteriorating, one reading held for
review and one patient who has stopped sending, so the board shows alerts, partial and stale scores.
Synthetic data only.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from joinedup.monitoring import service, simulator
from joinedup.monitoring.schemas import DeviceCreate
from joinedup.wards import service as wards
from joinedup.wards.demo import demo_actor

SEED = 256
HISTORY = timedelta(hours=36)
EVERY = timedelta(hours=12)
DETERIORATING = 8


def issue_demo_kits(session: Session) -> int:
    """A home monitoring kit for every patient on a virtual ward (device id CTV-<NHS number>)."""
    actor = demo_actor(session)
    stays = wards.open_admissions(session)
    for stay in stays:
        kit = DeviceCreate(
            value=f"CTV-{stay.nhs_number}", kind="home monitoring kit", nhs_number=stay.nhs_number
        )
        service.issue_device(session, actor=actor, device=kit)
    return len(stays)


def load_demo_readings(session: Session) -> str:
    """Kits for the caseload and a burst of readings through the one ingest path; a line of what was made."""
    kits_issued = issue_demo_kits(session)
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    kits = simulator.kits_on_wards(session, rng)
    stays = {s.nhs_number: s for s in wards.open_admissions(session)}
    starts = {number: stay.admitted_at for number, stay in stays.items()}
    for kit in kits[:DETERIORATING]:
        kit.worse = rng.randint(2, 4)
    # The patients who stopped sending and whose reading is held are on the first ward (the demo nurse's).
    first_ward = min((s.ward_id for s in stays.values()), default="")
    quiet = [
        k
        for k in kits[DETERIORATING:]
        if stays[k.nhs_number].ward_id == first_ward and starts[k.nhs_number] < now - HISTORY
    ]
    silent = quiet[0] if quiet else None
    batch: list[dict[str, Any]] = []
    for kit in kits:
        first = max(starts[kit.nhs_number] + timedelta(minutes=30), now - HISTORY)
        last = now - timedelta(hours=30) if kit is silent else now - timedelta(minutes=10)
        times = [last - k * EVERY for k in range(int(HISTORY / EVERY) + 1) if last - k * EVERY >= first]
        for at in sorted(times):
            batch += kit.readings(at, rng)
    if len(quiet) > 1:
        held = quiet[1]
        batch.append(simulator.observation(held, "pulse", 255, now - timedelta(minutes=5)))
    outcomes = []
    for start in range(0, len(batch), 500):
        outcomes += service.record_readings(session, observations=batch[start : start + 500], channel="demo")
    missed = service.check_missed_readings(session, now=now)
    counts = {
        s: sum(1 for o in outcomes if o.status == s) for s in ("stored", "held", "duplicate", "rejected")
    }
    return (
        f"{kits_issued} kits; {len(outcomes)} readings ({', '.join(f'{v} {k}' for k, v in counts.items())}); "
        f"{missed} missed-reading alerts"
    )
