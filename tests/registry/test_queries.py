"""The registry as of a day, bed pools and teams, places, and the difference between two days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from joinedup.errors import Invalid, NotFound
from joinedup.registry import service


def test_the_snapshot_holds_what_was_in_effect_that_day(loaded: Session) -> None:
    found = service.snapshot(loaded, on=date(2018, 1, 1))
    sites = {site.id: site for site in found.sites}
    assert set(sites) == {"lri", "lgh", "st-marys"}
    assert [op.organisation_name for op in sites["lri"].operators] == [
        "University Hospitals of Leicester NHS Trust"
    ]
    assert [s.id for s in sites["st-marys"].services] == ["st-marys-maternity"]
    assert {p.id: p.beds for p in sites["lgh"].bed_pools} == {"lgh-acute": 430, "llr-virtual": 256}
    assert found.beds_by_setting == {"acute": 1330, "virtual": 256}
    assert {t.id for t in found.teams} == {"ics-team-1", "ics-team-2"}
    assert "leicester-royal-infirmary-trust" not in {o.id for o in found.organisations}


def test_bed_pools_without_capacity_that_day_are_left_out(loaded: Session) -> None:
    pools = service.list_bed_pools(loaded, on=date(2016, 6, 1))
    assert {(p.id, p.site_id, p.setting, p.beds) for p in pools} == {
        ("lri-acute", "lri", "acute", 900),
        ("lgh-acute", "lgh", "acute", 430),
    }
    assert [p.id for p in service.list_bed_pools(loaded, on=date(2021, 1, 1), setting="acute")] == [
        "lri-acute"
    ]


def test_bed_history_gives_each_step_oldest_first(loaded: Session) -> None:
    steps = service.bed_history(loaded, pool_id="lri-acute")
    assert [(s.start, s.end, s.beds) for s in steps] == [
        (date(2016, 4, 1), date(2020, 4, 1), 900),
        (date(2020, 4, 1), None, 1000),
    ]
    with pytest.raises(NotFound):
        service.bed_history(loaded, pool_id="nowhere")


def test_teams_of_a_pool_on_a_day(loaded: Session) -> None:
    assert [t.id for t in service.list_teams(loaded, on=date(2018, 1, 1), pool_id="llr-virtual")] == [
        "ics-team-1",
        "ics-team-2",
    ]
    assert [t.id for t in service.list_teams(loaded, on=date(2019, 1, 1))] == ["ics-team-1"]


def test_organisations_are_found_by_ods_code_in_any_case(loaded: Session) -> None:
    found = service.get_organisation_by_ods(loaded, "rwe")
    assert found is not None and found.id == "uhl"
    assert service.get_organisation_by_ods(loaded, "XXX") is None
    assert service.get_organisation(loaded, "nobody") is None
    with pytest.raises(NotFound):
        service.get_organisation_or_raise(loaded, "nobody")


@pytest.mark.parametrize(
    ("text", "kind", "id"),
    [
        ("RWE", "organisation", "uhl"),
        ("rt5", "organisation", "lpt"),
        ("lri", "site", "lri"),
        ("st-marys-maternity", "service", "st-marys-maternity"),
        ("uhl", "organisation", "uhl"),
    ],
)
def test_resolve_place_names_what_the_text_refers_to(loaded: Session, text: str, kind: str, id: str) -> None:
    place = service.resolve_place(loaded, text)
    assert place is not None and (place.kind, place.id) == (kind, id)


def test_resolve_place_is_none_for_unknown_text(loaded: Session) -> None:
    assert service.resolve_place(loaded, "Narnia General") is None
    assert service.resolve_place(loaded, "  ") is None


def test_diff_names_what_opened_closed_moved_and_changed_size(loaded: Session) -> None:
    found = service.diff(loaded, start=date(2016, 6, 1), end=date(2021, 1, 1))
    assert {(i.kind, i.id, i.date) for i in found.closed} == {
        ("site", "st-marys", date(2020, 1, 1)),
        ("service", "st-marys-maternity", date(2020, 1, 1)),
    }
    assert {(i.kind, i.id) for i in found.opened} == {("team", "ics-team-1")}
    assert {(c.pool_id, c.before, c.after, c.change) for c in found.changed_size} == {
        ("lri-acute", 900, 1000, 100),
        ("lgh-acute", 430, 0, -430),
        ("llr-virtual", 0, 256, 256),
    }
    assert found.moved == []


def test_diff_finds_a_site_whose_operator_changed(loaded: Session) -> None:
    found = service.diff(loaded, start=date(1995, 1, 1), end=date(2001, 1, 1))
    assert [(m.site_id, m.before, m.after) for m in found.moved] == [
        ("lri", ["Leicester Royal Infirmary NHS Trust"], ["University Hospitals of Leicester NHS Trust"])
    ]


def test_diff_refuses_dates_in_the_wrong_order(loaded: Session) -> None:
    with pytest.raises(Invalid, match="before the first"):
        service.diff(loaded, start=date(2020, 1, 1), end=date(2010, 1, 1))


DAYS = st.dates(min_value=date(1940, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=DAYS, gap=st.integers(min_value=0, max_value=40 * 365))
def test_diff_agrees_with_the_two_snapshots(loaded: Session, first: date, gap: int) -> None:
    second = min(first + timedelta(days=gap), date(2030, 12, 31))
    found = service.diff(loaded, start=first, end=second)
    before, after = service.snapshot(loaded, on=first), service.snapshot(loaded, on=second)
    ids_before = {o.id for o in before.organisations} | {s.id for s in before.sites}
    ids_after = {o.id for o in after.organisations} | {s.id for s in after.sites}
    opened = {i.id for i in found.opened if i.kind in ("organisation", "site")}
    closed = {i.id for i in found.closed if i.kind in ("organisation", "site")}
    assert opened == ids_after - ids_before
    assert closed == ids_before - ids_after
    beds_before = {p.id: p.beds for s in before.sites for p in s.bed_pools}
    beds_after = {p.id: p.beds for s in after.sites for p in s.bed_pools}
    changed = {c.pool_id for c in found.changed_size}
    for pool in set(beds_before) | set(beds_after):
        assert (pool in changed) == (beds_before.get(pool, 0) != beds_after.get(pool, 0))
    for change in found.changed_size:
        assert (beds_before.get(change.pool_id, 0), beds_after.get(change.pool_id, 0)) == (
            change.before,
            change.after,
        )


def test_detail_of_a_site_has_operators_pools_and_steps(loaded: Session) -> None:
    detail = service.site_detail(loaded, "lgh")
    assert detail.area is not None and detail.area.name == "Leicester"
    assert {p.id: len(p.steps) for p in detail.pools} == {"lgh-acute": 1, "llr-virtual": 1}
    assert {t.id for t in detail.teams} == {"ics-team-1", "ics-team-2"}


def test_detail_of_an_organisation_has_its_predecessors_and_sites(loaded: Session) -> None:
    detail = service.organisation_detail(loaded, "uhl")
    assert [(s.predecessor_id, s.kind) for s in detail.predecessors] == [
        ("leicester-royal-infirmary-trust", "merge")
    ]
    assert (
        detail.organisation_names["leicester-royal-infirmary-trust"] == "Leicester Royal Infirmary NHS Trust"
    )
    assert {o.site_id for o in detail.sites} == {"lri", "lgh", "st-marys"}
    assert [w.fte for w in detail.workforce] == [15000.5]


def test_detail_of_an_area_has_its_chain_children_and_history(loaded: Session) -> None:
    detail = service.area_detail(loaded, "leicester")
    assert [a.id for a in detail.ancestors] == ["leicestershire"]
    assert [r.organisation_id for r in detail.responsibilities] == ["eastern-leicester-pct"]
    county = service.area_detail(loaded, "leicestershire")
    assert [a.id for a in county.children] == ["leicester", "rutland"]


def test_workforce_as_of_a_day_holds_the_figures_in_effect(loaded: Session) -> None:
    before = service.list_workforce(loaded, on=date(2016, 1, 1))
    assert before == []
    found = service.list_workforce(loaded, on=date(2017, 6, 1))
    assert {(w.organisation_id, w.team_id, w.staff_group, w.fte, w.headcount) for w in found} == {
        ("uhl", None, "all", 15000.5, None),
        (None, "ics-team-1", "all", None, 34),
    }
    assert all(w.source for w in found)
    assert service.list_workforce(loaded, on=date(2017, 6, 1), staff_group="nurses") == []
