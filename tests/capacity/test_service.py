"""Recording censuses and reading the system's bed state, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from joinedup.capacity import service
from joinedup.capacity.schemas import CensusCreate, CensusLine
from joinedup.errors import Invalid

DAY = date(2021, 3, 1)


def census(*lines: tuple[str, int], day: date = DAY) -> CensusCreate:
    return CensusCreate(date=day, pools=[CensusLine(pool_id=p, occupied=o) for p, o in lines])


def test_bed_state_joins_registry_beds_and_census(pools: Session) -> None:
    service.record_census(pools, census=census(("lri-acute", 950), ("llr-virtual", 200)), reported_by="t")
    state = service.bed_state(pools, on=DAY)
    assert state.beds == 1000 + 256
    assert state.occupied == 1150
    lri = next(p for s in state.sites for p in s.pools if p.id == "lri-acute")
    assert lri.occupied == 950 and lri.level == 3  # 95% is OPEL 3
    assert state.missing_census == []


def test_pool_closed_in_the_registry_is_gone_from_the_bed_state(pools: Session) -> None:
    # LGH acute has capacity only until 2020-04-01 in the slice.
    before = {p.id for s in service.bed_state(pools, on=date(2019, 6, 1)).sites for p in s.pools}
    after = {p.id for s in service.bed_state(pools, on=DAY).sites for p in s.pools}
    assert "lgh-acute" in before
    assert "lgh-acute" not in after


def test_reposting_a_day_replaces_it(pools: Session) -> None:
    service.record_census(pools, census=census(("lri-acute", 900)), reported_by="t")
    service.record_census(pools, census=census(("lri-acute", 800)), reported_by="t")
    assert service.latest_census(pools, on=DAY)["lri-acute"].occupied == 800


def test_census_for_a_pool_without_beds_that_day_is_refused(pools: Session) -> None:
    with pytest.raises(Invalid, match="lgh-acute"):
        service.record_census(pools, census=census(("lri-acute", 1), ("lgh-acute", 10)), reported_by="t")
    assert service.latest_census(pools, on=DAY) == {}


def test_census_older_than_a_day_is_not_shown_as_current(pools: Session) -> None:
    service.record_census(pools, census=census(("lri-acute", 900), day=date(2021, 2, 20)), reported_by="t")
    state = service.bed_state(pools, on=DAY)
    assert "lri-acute" in state.missing_census
    assert state.level is None


def test_delayed_cannot_exceed_occupied(pools: Session) -> None:
    bad = CensusCreate(date=DAY, pools=[CensusLine(pool_id="lri-acute", occupied=5, delayed=6)])
    with pytest.raises(Invalid, match="delayed"):
        service.record_census(pools, census=bad, reported_by="t")


def test_occupancy_history_by_setting(pools: Session) -> None:
    service.record_census(pools, census=census(("lri-acute", 900), ("llr-virtual", 128)), reported_by="t")
    history = service.occupancy_history(pools, start=DAY, end=DAY)
    assert history["acute"] == [(DAY, 900, 1000)]
    assert history["virtual"] == [(DAY, 128, 256)]


def test_live_state_counts_virtual_beds_from_the_caseload_not_the_census(pools: Session) -> None:
    # The census says 200 on the virtual hospital; with nobody on a virtual ward, the caseload says 0.
    service.record_census(pools, census=census(("lri-acute", 950), ("llr-virtual", 200)), reported_by="t")
    state = service.live_bed_state(pools, on=DAY)
    virtual = next(p for s in state.sites for p in s.pools if p.id == "llr-virtual")
    assert virtual.occupied == 0
    assert state.occupied == 950
