"""What-if from today's delayed list: the service passes each pool's delayed patients to the forecast."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.capacity.demo import create_demo_census
from joinedup.discharge import demo, service
from joinedup.discharge.demo import create_demo_referrals
from joinedup.plan import whatif, whatif_service
from joinedup.plan.compiled import compile_scenario
from joinedup.plan.loading import load_scenario
from joinedup.plan.service import registry_lookup
from joinedup.record.demo import load_demo_patients
from joinedup.registry import service as registry

pytestmark = pytest.mark.xdist_group("plan-engine")


def test_the_forecast_starts_from_the_demo_delayed_list(session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(demo, "OPEN_REFERRALS", 6)
    monkeypatch.setattr(demo, "CLOSED_REFERRALS", 2)
    today = datetime.now(UTC).date()
    registry.load_reference_data(session)
    create_demo_census(session, today=today)
    access.create_demo_users(session)
    load_demo_patients(session, count=16, cohort=2)
    create_demo_referrals(session)
    session.commit()
    listed = {p.pool_id: p for p in service.delayed_list(session, on=today).pools}
    assert sum(p.delayed_patients for p in listed.values()) == 6

    start = whatif_service.start_state(session, on=today)
    for pool in start.pools:
        entry = listed.get(pool.id)
        assert pool.delayed == (entry.delayed_patients if entry else 0), pool.id
        if entry:
            mean = sum(entry.days_waited) / len(entry.days_waited)
            assert pool.delayed_mean_days == pytest.approx(mean), pool.id

    demand = load_scenario(whatif.DEMAND_SCENARIO, registry=registry_lookup(session))
    compiled = whatif.with_start(compile_scenario(whatif.forecast_scenario(demand, start, 3, [], [])), start)
    for n, pool_id in enumerate(compiled.pool_ids):
        entry = listed.get(pool_id)
        expected = min(entry.delayed_patients if entry else 0, compiled.initial_occupied[n])
        assert compiled.initial_delayed[n] == expected, pool_id
    assert compiled.initial_delayed.sum() == 6

    document = whatif_service.run_whatif(session, on=today, days=3, replications=4, seed=2)
    assert document["system"]["start"]["delayed"] == 6
    for pool in document["pools"]:
        entry = listed.get(pool["id"])
        assert pool["delayed_at_start"] == (entry.delayed_patients if entry else 0), pool["id"]
        bed_days = pool["delayed_bed_days"]["mean"]
        # The demand scenario's own delays add delayed bed-days where it has them; the delayed at the start
        # keep their beds a while (at least a share of a day each over three days) wherever they are.
        if entry:
            assert bed_days is not None and bed_days > 0.1 * entry.delayed_patients, pool["id"]
    system = document["system"]["delayed_bed_days"]
    assert system["mean"] is not None and system["mean"] > 0
