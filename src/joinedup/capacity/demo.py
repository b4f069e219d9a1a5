"""Synthetic daily censuses for the demo: the last four weeks of occupancy for every pool."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy.orm import Session

from joinedup.capacity.schemas import CensusCreate, CensusLine
from joinedup.capacity.service import record_census
from joinedup.registry import service as registry

# Typical occupancy by setting (assumption for the demo, not a measurement).
TYPICAL_OCCUPANCY = {
    "acute": 0.93,
    "community": 0.88,
    "maternity": 0.72,
    "mental health": 0.95,
    "virtual": 0.8,
}
DAYS = 28


def create_demo_census(session: Session, *, today: date | None = None, seed: int = 2016) -> str:
    """A census for each of the last DAYS days, occupancy wandering around its setting's typical level."""
    today = today or date.today()
    rng = random.Random(seed)
    pools = registry.list_bed_pools(session, on=today)
    level = {p.id: TYPICAL_OCCUPANCY.get(p.setting, 0.85) for p in pools}
    for back in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=back)
        lines = []
        for pool in pools:
            level[pool.id] = min(1.02, max(0.5, level[pool.id] + rng.gauss(0, 0.012)))
            occupied = round(pool.beds * level[pool.id])
            delayed = (
                round(occupied * rng.uniform(0.04, 0.12)) if pool.setting in ("acute", "community") else 0
            )
            lines.append(CensusLine(pool_id=pool.id, occupied=occupied, delayed=delayed))
        if lines:
            record_census(session, census=CensusCreate(date=day, pools=lines), reported_by="demo")
    return f"{DAYS} days of census for {len(pools)} bed pools"
