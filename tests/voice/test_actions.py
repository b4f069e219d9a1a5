""" "You said, we did" use cases: actions on themes and concerns, their status rules, measures read from the
registry, the planner or entered, and what the public may see of them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from joinedup.access.policy import Principal, Role
from joinedup.errors import Conflict, Forbidden, Invalid
from joinedup.plan import service as plan
from joinedup.registry import service as registry
from joinedup.voice import service
from joinedup.voice.action_schemas import ActionCreate, ActionUpdateCreate, MeasureCreate, ReadingCreate
from joinedup.voice.models import Action, ActionUpdate, Measure, MeasureReading
from joinedup.voice.schemas import ThemeChoice

from .conftest import Tell

POOL = Path(__file__).resolve().parent / "data" / "action_places.toml"
TODAY = date.today()


@pytest.fixture
def pool(places: Session) -> Session:
    registry.load_file(places, POOL)
    places.commit()
    return places


def _create(**fields: Any) -> ActionCreate:
    body = {
        "title": "Keep rehabilitation beds open at Rutland Memorial",
        "theme": "local_services",
        "owner": "RT5",
        "owner_role": "Director of Community Health Services",
        "due_on": (TODAY + timedelta(days=90)).isoformat(),
        **fields,
    }
    return ActionCreate.model_validate(body)


def _waiting(**fields: Any) -> dict[str, Any]:
    return {
        "kind": "waiting",
        "label": "People waiting more than 18 weeks for a first appointment",
        "desired": "down",
        "unit": "people waiting",
        "baseline": {"on": "2025-04-01", "value": 1200, "source": "UHL board papers, April 2025"},
        **fields,
    }


def _written(session: Session) -> int:
    return sum(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Action, ActionUpdate, Measure, MeasureReading)
    )


def test_an_action_keeps_its_owner_due_date_and_a_first_dated_update(pool: Session, staff: Principal) -> None:
    action = service.create_action(pool, create=_create(), actor=staff)
    assert action.owner.name == "Leicestershire Partnership NHS Trust" and action.owner.ods_code == "RT5"
    assert action.owner.role == "Director of Community Health Services"
    assert action.status == "planned" and action.theme_label == "Local services and closures"
    assert action.published_at is None and action.age_days == 0 and not action.is_overdue
    assert [(u.status, u.by) for u in action.updates] == [("planned", "hw-officer")]


def test_a_waiting_figure_that_fell_moved_the_desired_way(pool: Session, staff: Principal) -> None:
    current = {"on": "2025-10-01", "value": 800, "source": "UHL board papers, October 2025"}
    action = service.create_action(pool, create=_create(measure=_waiting(current=current)), actor=staff)
    measure = action.measure
    assert measure is not None and measure.verdict == "better"
    assert measure.baseline is not None and (measure.baseline.on, measure.baseline.value) == (
        date(2025, 4, 1),
        1200,
    )
    assert measure.current is not None and measure.current.value == 800
    assert measure.chart is not None and len(measure.chart.points) == 2
    assert measure.chart.points[0].y < measure.chart.points[1].y  # SVG y grows downwards: 1200 sits higher


def test_a_registry_measure_reads_the_pool_on_each_date(pool: Session, staff: Principal) -> None:
    measure = {
        "kind": "registry", "label": "Beds at Rutland Memorial", "desired": "up", "pool": "rutland-community",
        "baseline": {"on": "2018-01-01"}, "current": {"on": "2021-01-01"},
    }  # fmt: skip
    action = service.create_action(pool, create=_create(measure=measure), actor=staff)
    assert action.measure is not None and action.measure.unit == "beds"
    assert [r.value for r in action.measure.readings] == [16.0, 10.0]
    assert "test data, 10 beds" in action.measure.readings[1].source
    assert action.measure.verdict == "worse"


def test_a_registry_measure_of_a_service_is_one_while_it_runs(pool: Session, staff: Principal) -> None:
    measure = {
        "kind": "registry", "label": "Births at St Mary's", "desired": "up", "service": "st-marys-births",
        "baseline": {"on": "2020-01-01"},
    }  # fmt: skip
    action = service.create_action(pool, create=_create(measure=measure), actor=staff)
    assert action.measure is not None and action.measure.readings[0].value == 1.0
    assert action.measure.verdict == "not measured yet" and action.measure.chart is None


def test_a_planner_measure_reads_a_pool_figure_from_two_scenarios(pool: Session, staff: Principal) -> None:
    measure = {
        "kind": "planner", "label": "Patients finding no bed at the Royal", "desired": "down",
        "scenario": "llr-stp-2016", "pool": "lri-acute", "figure": "blocked_fraction",
        "baseline": {"on": "2016-03-31", "scenario": "llr-baseline-2016", "replications": 2},
        "current": {"replications": 2},
    }  # fmt: skip
    action = service.create_action(pool, create=_create(measure=measure), actor=staff)
    m = action.measure
    assert m is not None and m.unit == "share" and m.current is not None and m.baseline is not None
    assert "llr-baseline-2016" in m.baseline.source and "llr-stp-2016" in m.current.source
    assert m.current.low is not None and m.current.high is not None
    # Closing Leicester General's acute beds sends its patients to the Royal, which turns more away.
    assert m.current.value > m.baseline.value and m.verdict == "worse"


def test_a_planner_reading_can_come_from_a_finished_run(
    pool: Session, sessions: sessionmaker[Session], staff: Principal
) -> None:
    run = plan.start_run(pool, scenario="llr-stp-2016", replications=2, seed=3, created_by="analyst")
    pool.commit()
    plan.execute_run(sessions, run.id)
    pool.expire_all()
    measure = {
        "kind": "planner", "label": "Occupancy at Glenfield", "desired": "down", "scenario": "llr-stp-2016",
        "pool": "glenfield-acute", "figure": "occupancy", "baseline": {"run": run.id},
    }  # fmt: skip
    action = service.create_action(pool, create=_create(measure=measure), actor=staff)
    assert action.measure is not None and f"run {run.id}" in action.measure.readings[0].source
    assert 0.5 < action.measure.readings[0].value <= 1.1


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"owner": "NOPE1"}, "owner"),
        ({"concern": "ZZZZZZ"}, "concern"),
        ({"due_on": (TODAY - timedelta(days=1)).isoformat()}, "due_on"),
        ({"due_on": (TODAY + timedelta(days=6 * 366)).isoformat()}, "five years"),
        ({"measure": _waiting(baseline={"on": "2099-01-01", "value": 3, "source": "a board paper"})}, "on"),
        ({"measure": _waiting(baseline={"value": 3})}, "source"),
        ({"measure": {**_waiting(), "kind": "registry", "pool": "no-such-pool", "unit": None,
                      "baseline": {"on": "2020-01-01"}}}, "no bed pool"),
        ({"measure": {**_waiting(), "kind": "registry", "service": "nowhere", "unit": None,
                      "baseline": {}}}, "no service"),
        ({"measure": {**_waiting(), "kind": "planner", "scenario": "no-such-plan", "pool": "lri-acute",
                      "figure": "occupancy", "baseline": {}}}, "scenario"),
        ({"measure": {**_waiting(), "kind": "planner", "scenario": "llr-stp-2016", "pool": "nowhere-acute",
                      "figure": "occupancy", "baseline": {}}}, "no bed pool 'nowhere-acute'"),
        ({"measure": {**_waiting(), "kind": "planner", "scenario": "llr-stp-2016", "pool": "lri-acute",
                      "figure": "occupancy", "baseline": {"run": "no-such-run"}}}, "no planner run"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_nothing_is_written(
    pool: Session, staff: Principal, fields: dict[str, Any], problem: str
) -> None:
    with pytest.raises(Invalid, match=problem):
        service.create_action(pool, create=_create(**fields), actor=staff)
    assert _written(pool) == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"theme": "parking_and_bins"},
        {"theme": None},
        {"owner_role": ""},
        {"status": "done"},
        {"measure": _waiting(baseline={"on": "2025-01-01", "value": -4, "source": "a board paper"})},
        {
            "measure": _waiting(
                baseline={"on": "2025-01-01", "value": float("nan"), "source": "a board paper"}
            )
        },
        {"measure": {**_waiting(), "kind": "planner"}},
        {"measure": {**_waiting(), "kind": "registry", "pool": "a", "service": "b"}},
        {"secret": True},
    ],
)
def test_malformed_actions_fail_validation(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _create(**fields)


def test_status_moves_only_where_it_may(pool: Session, staff: Principal) -> None:
    action_id = service.create_action(pool, create=_create(), actor=staff).id

    def move(status: str, note: str | None = None) -> str:
        update = ActionUpdateCreate(status=status, note=note)  # type: ignore[arg-type]
        return service.update_action(pool, action_id, update=update, actor=staff).status

    assert move("in progress") == "in progress"
    with pytest.raises(Conflict, match="already in progress"):
        move("in progress")
    with pytest.raises(Conflict, match="not planned"):
        move("planned")
    with pytest.raises(Invalid, match="say why"):
        move("dropped")
    assert move("done", "Beds kept open after the review") == "done"
    with pytest.raises(Conflict, match="can go to in progress, not dropped"):
        move("dropped", "no longer needed")
    assert move("in progress", "Reopened: beds under review again") == "in progress"
    assert move("dropped", "The trust withdrew the proposal") == "dropped"
    with pytest.raises(Conflict, match="closed for good"):
        move("in progress", "try again")
    statuses = [(u.status_from, u.status) for u in service.get_action(pool, action_id, actor=staff).updates]
    assert statuses[-1] == ("in progress", "dropped") and len(statuses) == 5


def test_a_due_date_cannot_move_into_the_past(pool: Session, staff: Principal) -> None:
    action_id = service.create_action(pool, create=_create(), actor=staff).id
    with pytest.raises(Invalid, match="has passed"):
        service.update_action(
            pool, action_id, update=ActionUpdateCreate(due_on=TODAY - timedelta(days=3)), actor=staff
        )
    later = TODAY + timedelta(days=200)
    updated = service.update_action(pool, action_id, update=ActionUpdateCreate(due_on=later), actor=staff)
    assert updated.due_on == later and updated.updates[-1].due_from == TODAY + timedelta(days=90)


def test_only_healthwatch_staff_or_an_administrator_records_actions(
    pool: Session, staff: Principal, nurse: Principal
) -> None:
    with pytest.raises(Forbidden):
        service.create_action(pool, create=_create(), actor=nurse)
    admin = Principal(username="an-admin", role=Role.ADMINISTRATOR)
    assert service.create_action(pool, create=_create(), actor=admin).created_by == "an-admin"


def test_a_measure_is_tied_once_then_read_again(pool: Session, staff: Principal) -> None:
    action_id = service.create_action(pool, create=_create(), actor=staff).id
    with pytest.raises(Invalid, match="no measure"):
        service.add_reading(pool, action_id, reading=ReadingCreate(on=TODAY), actor=staff)
    service.set_measure(pool, action_id, create=MeasureCreate.model_validate(_waiting()), actor=staff)
    with pytest.raises(Conflict, match="already has a measure"):
        service.set_measure(pool, action_id, create=MeasureCreate.model_validate(_waiting()), actor=staff)
    reading = ReadingCreate(on=date(2025, 7, 1), value=1500, source="UHL board papers, July 2025")
    action = service.add_reading(pool, action_id, reading=reading, actor=staff)
    assert action.measure is not None and action.measure.verdict == "worse"
    assert action.measure.staff_readings[-1].recorded_by == "hw-officer"


def _publish(pool: Session, tell: Tell, staff: Principal, text: str, **extra: Any) -> str:
    reference = tell(text, **extra).reference
    service.confirm_themes(
        pool, reference, choices=[ThemeChoice(theme="local_services", polarity="negative")], actor=staff
    )
    service.publish(pool, reference, actor=staff)
    return reference


def test_the_public_sees_only_what_is_published(pool: Session, staff: Principal, tell: Tell) -> None:
    published = _publish(pool, tell, staff, "Please keep the beds at Rutland Memorial open.", about="rutland")
    unpublished = tell("My phone is 07700 900461, the ward shut.", about="rutland", kind="concern").reference
    shown = service.create_action(pool, create=_create(concern=unpublished, publish=True), actor=staff)
    service.update_action(
        pool, shown.id, update=ActionUpdateCreate(note="Board paper due in March", public=True), actor=staff
    )
    service.update_action(
        pool, shown.id, update=ActionUpdateCreate(note="Internal: the director is on leave", public=False),
        actor=staff,
    )  # fmt: skip
    service.create_action(pool, create=_create(title="A draft not yet agreed"), actor=staff)
    page = service.you_said_we_did(pool)
    text = page.model_dump_json()
    theme = next(t for t in page.themes if t.theme == "local_services")
    assert theme.stories == 1 and theme.negative == 1
    assert [q.reference for q in theme.quotes] == [published]
    assert [a.title for a in theme.actions] == [shown.title] and theme.actions[0].concern is None
    assert "Board paper due in March" in text
    for secret in ("Internal", "draft not yet agreed", "hw-officer", unpublished, "07700", "ward shut"):
        assert secret not in text


def test_the_board_report_lists_open_actions_with_their_age(pool: Session, staff: Principal) -> None:
    then = datetime.now(UTC) - timedelta(days=40)
    due = (then + timedelta(days=10)).date().isoformat()
    late = service.create_action(pool, create=_create(due_on=due), actor=staff, now=then)
    on_time = service.create_action(pool, create=_create(title="Review discharge letters"), actor=staff)
    closed = service.create_action(pool, create=_create(title="Already sorted"), actor=staff)
    service.update_action(pool, closed.id, update=ActionUpdateCreate(status="done"), actor=staff)
    report = service.board_report(pool, ods_code="RT5", start=TODAY - timedelta(days=365), end=TODAY)
    assert [(a.id, a.age_days, a.is_overdue) for a in report.actions] == [
        (late.id, 40, True),
        (on_time.id, 0, False),
    ]
    assert service.board_report(pool, ods_code="RWE", start=TODAY, end=TODAY).actions == []


def test_an_action_on_one_concern_shows_the_concern_once_it_is_published(
    pool: Session, staff: Principal, tell: Tell
) -> None:
    concern = tell(
        "Nobody told us the ward at Rutland was closing.", about="rutland", kind="concern"
    ).reference
    action = service.create_action(
        pool, create=_create(theme=None, concern=concern, publish=True), actor=staff
    )
    group = service.you_said_we_did(pool).themes[-1]
    assert group.theme is None and [a.id for a in group.actions] == [action.id]
    assert group.actions[0].concern is None
    service.publish(pool, concern, actor=staff)
    shown = service.you_said_we_did(pool).themes[-1].actions[0].concern
    assert shown is not None and shown.reference == concern and shown.about == "Rutland Memorial Hospital"
