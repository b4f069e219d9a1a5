"""`joinedup voice`: the board report for an organisation and period, written as one HTML file; and the
"you said, we did" actions, listed, recorded and moved along."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.db import unit_of_work
from joinedup.errors import Invalid, NotFound
from joinedup.voice import service
from joinedup.voice.action_schemas import ActionCreate, ActionRead, ActionUpdateCreate
from joinedup.voice.report_page import render_report_file

M = TypeVar("M", bound=BaseModel)

app = typer.Typer(help="Public voice: what people say about local health and care.", no_args_is_help=True)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{option}: {text!r} is not a date (write YYYY-MM-DD)") from None


@app.command("report")
def report(
    org: str = typer.Option(..., "--org", help="ODS code of the organisation, e.g. RWE."),
    start: str = typer.Option(..., "--from", help="First day of the period (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="Last day of the period (YYYY-MM-DD)."),
    out: Path = typer.Option(Path("report.html"), "--out", help="Where to write the HTML report."),
    as_json: bool = typer.Option(False, "--json", help="Print the report's figures as JSON instead."),
) -> None:
    """Write the board report (counts, themes, trend, stories and replies) for one organisation and period."""
    first, last = _day(start, "--from"), _day(end, "--to")
    with unit_of_work() as session:
        board = service.board_report(session, ods_code=org, start=first, end=last)
    if as_json:
        typer.echo(json.dumps(board.model_dump(mode="json")))
        return
    out.write_text(render_report_file(board), encoding="utf-8")
    typer.echo(
        f"board report for {board.organisation.name}: {board.received} stories, written to {out}", err=True
    )


AS_USER = typer.Option(
    ..., "--as", help="The joinedup user recording this (Healthwatch staff or administrator)."
)


def _actor(session: Session, username: str) -> access.Principal:
    user = access.get_user(session, username)
    if user is None:
        raise NotFound(f"--as: no joinedup user {username!r} (see `joinedup access add-user`)")
    return access.principal_of(user)


def _validated(model: type[M], data: dict[str, Any]) -> M:
    """The input as a schema, or one clear line naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Invalid(f"{where}: {first['msg']}" if where else str(first["msg"])) from None


def _line(a: ActionRead) -> str:
    measure = f"; measure {a.measure.verdict}" if a.measure else ""
    late = " OVERDUE" if a.is_overdue else ""
    public = "public" if a.published_at else "not public"
    return (
        f"{a.id}\t{a.status}\tdue {a.due_on}{late}\t{a.age_days} days old\t{a.title} "
        f"({a.owner.role}, {a.owner.name}; {a.theme_label or a.concern_reference}; {public}{measure})"
    )


@app.command("actions")
def list_actions(
    username: str | None = typer.Option(
        None, "--as", help="List as this joinedup user (checked: Healthwatch staff or administrator)."
    ),
    only_open: bool = typer.Option(False, "--open", help="Only planned and in-progress actions."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON list."),
) -> None:
    """Every "you said, we did" action with its owner, status, age and measure, soonest due first."""
    with unit_of_work() as session:
        actor = _actor(session, username) if username is not None else None
        found = service.list_actions(session, actor=actor, only_open=only_open)
    if as_json:
        typer.echo(json.dumps([a.model_dump(mode="json") for a in found]))
        return
    for action in found:
        typer.echo(_line(action))


def _reading(on: str | None, value: float | None, source: str | None, scenario: str | None) -> dict[str, Any]:
    fields = {"on": on, "value": value, "source": source, "scenario": scenario}
    return {k: v for k, v in fields.items() if v is not None}


@app.command("action-add")
def add_action(
    title: str = typer.Option(..., "--title", help="What will be done."),
    owner: str = typer.Option(..., "--owner", help="Owning organisation: ODS code or registry id."),
    role: str = typer.Option(..., "--role", help="The named role answerable for it."),
    due: str = typer.Option(..., "--due", help="Due date (YYYY-MM-DD), today or later."),
    username: str = AS_USER,
    theme: str | None = typer.Option(None, "--theme", help="Theme code, e.g. local_services."),
    concern: str | None = typer.Option(None, "--concern", help="Reference of the concern it answers."),
    description: str | None = typer.Option(
        None, "--description", help="More detail (public once published)."
    ),
    publish: bool = typer.Option(False, "--publish", help="Show it on the public page at once."),
    kind: str | None = typer.Option(None, "--measure", help="Measure kind: registry, planner or waiting."),
    label: str | None = typer.Option(
        None, "--label", help="What the measure measures, as the public reads it."
    ),
    desired: str = typer.Option("down", "--desired", help="Which way is better: up or down."),
    pool: str | None = typer.Option(None, "--pool", help="registry or planner: bed pool id."),
    service_id: str | None = typer.Option(None, "--service", help="registry: service id."),
    scenario: str | None = typer.Option(None, "--scenario", help="planner: bundled scenario."),
    figure: str | None = typer.Option(None, "--figure", help="planner: occupancy, blocked_fraction, ..."),
    unit: str | None = typer.Option(None, "--unit", help="waiting: the unit."),
    baseline_on: str | None = typer.Option(None, "--baseline-on", help="Baseline date (default today)."),
    baseline_value: float | None = typer.Option(None, "--baseline-value", help="waiting: baseline value."),
    baseline_source: str | None = typer.Option(None, "--baseline-source", help="waiting: baseline source."),
    baseline_scenario: str | None = typer.Option(
        None, "--baseline-scenario", help="planner: baseline scenario."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the recorded action as JSON."),
) -> None:
    """Record a "you said, we did" action on a theme or concern, with an optional measure and its baseline."""
    data: dict[str, Any] = {
        "title": title, "owner": owner, "owner_role": role, "due_on": due, "theme": theme, "concern": concern,
        "description": description, "publish": publish,
    }  # fmt: skip
    if kind is not None:
        data["measure"] = {
            "kind": kind, "label": label, "desired": desired, "pool": pool, "service": service_id,
            "scenario": scenario, "figure": figure, "unit": unit,
            "baseline": _reading(baseline_on, baseline_value, baseline_source, baseline_scenario),
        }  # fmt: skip
    create = _validated(ActionCreate, data)
    with unit_of_work() as session:
        action = service.create_action(session, create=create, actor=_actor(session, username))
    typer.echo(action.model_dump_json() if as_json else _line(action))


@app.command("action-update")
def update_action(
    action_id: int = typer.Argument(..., help="The action's id."),
    username: str = AS_USER,
    status: str | None = typer.Option(None, "--status", help="planned, in progress, done or dropped."),
    due: str | None = typer.Option(None, "--due", help="A new due date (YYYY-MM-DD)."),
    note: str | None = typer.Option(None, "--note", help="What happened."),
    internal: bool = typer.Option(False, "--internal", help="Keep the note off the public page."),
    as_json: bool = typer.Option(False, "--json", help="Print the action as JSON."),
) -> None:
    """Record progress on an action: a new status (refused if it cannot go there), a due date or a note."""
    update = _validated(
        ActionUpdateCreate, {"status": status, "due_on": due, "note": note, "public": not internal}
    )
    with unit_of_work() as session:
        action = service.update_action(session, action_id, update=update, actor=_actor(session, username))
    typer.echo(action.model_dump_json() if as_json else _line(action))
