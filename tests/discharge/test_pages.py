"""The discharge pages' forms: a mistake, a clash or a refusal is shown on the page it was made on, with an
NHS.UK error summary, the message on the field, in words for people, and what was typed kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from discharge_world import HOUSING_TEAM
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.schemas import AuditQuery
from joinedup.record.nhs_number import format_

Bearer = Callable[[str], dict[str, str]]
API = "/api/discharge/referrals"
NEW = "/discharge/referrals/new"


def form(nhs_number: str, **changes: str) -> dict[str, str]:
    fit = (datetime.now(UTC) - timedelta(days=4)).date().isoformat()
    return {"nhs_number": nhs_number, "pool_id": "lri-acute", "kind": "housing", "team_id": HOUSING_TEAM,
            "medically_fit_on": fit, "note": "No fixed abode", **changes}  # fmt: skip


def raised(client: TestClient, bearer: Bearer, nhs_number: str, *, accept: bool = False) -> str:
    made = client.post(API, json=form(nhs_number), headers=bearer("clinician"))
    assert made.status_code == 201, made.text
    rid = str(made.json()["id"])
    if accept:
        assert client.post(f"{API}/{rid}/accept", json={}, headers=bearer("housing")).status_code == 200
    return rid


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def all(self, match: Callable[[Node], bool]) -> list[Node]:
        found = [self] if match(self) else []
        for child in self.children:
            if isinstance(child, Node):
                found += child.all(match)
        return found

    def has_class(self, name: str) -> bool:
        return name in self.attrs.get("class", "").split()


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Node("document", {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.open[-1].children.append(node)
        if tag not in VOID:
            self.open.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, 0, -1):
            if self.open[i].tag == tag:
                del self.open[i:]
                return

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def parse(page: Response) -> Node:
    tree = _Tree()
    tree.feed(page.text)
    return tree.root


def summary(page: Response) -> list[tuple[str | None, str]]:
    """(href, text) of each item of the page's error summary (the NHS.UK component, which takes focus)."""
    [box] = parse(page).all(lambda n: n.attrs.get("data-module") == "nhsuk-error-summary")
    assert box.has_class("nhsuk-error-summary")
    items = box.all(lambda n: n.tag == "li")
    links = [item.all(lambda n: n.tag == "a") for item in items]
    return [(a[0].attrs["href"] if a else None, item.text()) for item, a in zip(items, links, strict=True)]


def field_error(page: Response, field_id: str) -> str:
    """The error message shown on the form group holding `field_id`."""
    groups = parse(page).all(lambda n: n.has_class("nhsuk-form-group--error"))
    mine = [g for g in groups if g.all(lambda n: n.attrs.get("id") == field_id)]
    assert len(mine) == 1, f"no error on {field_id}"
    [message] = mine[0].all(lambda n: n.has_class("nhsuk-error-message"))
    return message.text().removeprefix("Error: ")


def value(page: Response, field_id: str) -> str:
    """What the form field `field_id` holds as the page is shown."""
    [node] = parse(page).all(lambda n: n.attrs.get("id") == field_id)
    if node.tag == "textarea":
        return "".join(c for c in node.children if isinstance(c, str))
    if node.tag == "select":
        chosen = node.all(lambda n: n.tag == "option" and "selected" in n.attrs)
        return chosen[0].attrs["value"] if chosen else ""
    return node.attrs.get("value", "")


def title(page: Response) -> str:
    [head] = parse(page).all(lambda n: n.tag == "head")
    return head.all(lambda n: n.tag == "title")[0].text()


def status_of(client: TestClient, bearer: Bearer, rid: str) -> str:
    return str(client.get(f"{API}/{rid}", headers=bearer("clinician")).json()["status"])


def test_closing_without_an_outcome_shows_the_referral_with_what_to_put_right(  # type: ignore[no-untyped-def]
    client: TestClient, bearer: Bearer, committed_world
) -> None:
    rid = raised(client, bearer, committed_world.at_lri[0], accept=True)
    page = client.post(
        f"/discharge/referrals/{rid}/close", data={"outcome": "", "note": "Keys handed over"},
        headers=bearer("housing"),
    )  # fmt: skip
    assert page.status_code == 422
    assert title(page).startswith("Error: Referral for")
    assert summary(page) == [("#outcome", "Choose how the referral ended")]
    assert field_error(page, "outcome") == "Choose how the referral ended"
    assert value(page, "close-note") == "Keys handed over"
    assert "unknown outcome" not in page.text and "Go to the start page" not in page.text
    assert status_of(client, bearer, rid) == "accepted"
    chosen = client.post(
        f"/discharge/referrals/{rid}/close",
        data={"outcome": "nowhere", "note": "Moved"},
        headers=bearer("housing"),
    )
    assert chosen.status_code == 422 and summary(chosen) == [("#outcome", "Choose how the referral ended")]
    assert status_of(client, bearer, rid) == "accepted"


def test_each_step_form_names_its_mistake(  # type: ignore[no-untyped-def]
    client: TestClient, bearer: Bearer, committed_world
) -> None:
    rid = raised(client, bearer, committed_world.at_lri[0], accept=True)
    housing = bearer("housing")
    cases = [
        ("update", {"note": "   "}, "update-note", "Enter a progress note"),
        ("update", {"note": "x" * 1001}, "update-note", "The note must be 1,000 characters or fewer"),
        (
            "close",
            {"outcome": "home", "note": "y" * 1001},
            "close-note",
            "The note must be 1,000 characters or fewer",
        ),
        ("cancel", {"reason": ""}, "cancel-reason", "Enter why the referral is no longer needed"),
        ("cancel", {"reason": "z" * 1001}, "cancel-reason", "The reason must be 1,000 characters or fewer"),
    ]
    for step, data, field_id, message in cases:
        page = client.post(f"/discharge/referrals/{rid}/{step}", data=data, headers=housing)
        assert page.status_code == 422, (step, data)
        assert title(page).startswith("Error:")
        assert summary(page) == [(f"#{field_id}", message)], (step, data)
        assert field_error(page, field_id) == message
        assert value(page, field_id if step != "close" else "close-note") == data.get(
            "note", data.get("reason")
        )
    assert value(page, "update-note") == ""  # only the form sent keeps what was typed
    assert status_of(client, bearer, rid) == "accepted"
    assert len(client.get(f"{API}/{rid}", headers=housing).json()["events"]) == 2

    other = raised(client, bearer, committed_world.at_lri[1])
    page = client.post(f"/discharge/referrals/{other}/accept", data={"note": "n" * 1001}, headers=housing)
    assert page.status_code == 422
    assert summary(page) == [("#accept-note", "The note must be 1,000 characters or fewer")]
    assert status_of(client, bearer, other) == "raised"


def test_a_step_that_clashes_with_the_referral_is_409_on_its_page(  # type: ignore[no-untyped-def]
    client: TestClient, bearer: Bearer, committed_world
) -> None:
    rid = raised(client, bearer, committed_world.at_lri[0])
    housing = bearer("housing")
    early = client.post(f"/discharge/referrals/{rid}/close", data={"outcome": "home"}, headers=housing)
    assert early.status_code == 409 and title(early).startswith("Error:")
    # the close form is not on a raised referral's page, so the message points at no field
    assert summary(early) == [
        (None, "Only a referral the receiving team has accepted can be closed: it is raised")
    ]
    assert 'id="accept-note"' in early.text and status_of(client, bearer, rid) == "raised"

    taken = client.post(
        f"/discharge/referrals/{rid}/accept", data={}, headers=housing, follow_redirects=False
    )
    assert taken.status_code == 303
    again = client.post(f"/discharge/referrals/{rid}/accept", data={"note": "Me too"}, headers=housing)
    assert again.status_code == 409
    assert summary(again) == [(None, "This referral cannot be accepted now: it is accepted")]
    assert len(client.get(f"{API}/{rid}", headers=housing).json()["events"]) == 2

    reason = {"reason": "Went home with family"}
    ended = client.post(
        f"/discharge/referrals/{rid}/cancel", data=reason, headers=housing, follow_redirects=False
    )
    assert ended.status_code == 303
    late = client.post(f"/discharge/referrals/{rid}/update", data={"note": "Viewing"}, headers=housing)
    assert late.status_code == 409
    assert summary(late) == [
        (None, "A note can be added once the receiving team has accepted the referral: it is cancelled")
    ]


def test_a_refused_step_is_403_on_the_referral_page_and_audited(  # type: ignore[no-untyped-def]
    client: TestClient, bearer: Bearer, committed_world, session: Session
) -> None:
    rid = raised(client, bearer, committed_world.at_lri[0])
    page = client.post(
        f"/discharge/referrals/{rid}/accept", data={"note": "Mine"}, headers=bearer("clinician")
    )
    assert page.status_code == 403 and title(page).startswith("Error: Referral for")
    [(href, text)] = summary(page)
    assert href is None and text.startswith("You may not accept this referral: only the receiving team")
    assert status_of(client, bearer, rid) == "raised"
    entries = access.search_audit(session, AuditQuery(nhs_number=committed_world.at_lri[0], limit=200)).items
    refused = [e for e in entries if e.username == "api-clinician" and e.outcome == "refused"]
    assert [(e.action, e.resource_id) for e in refused] == [("update", rid)]
    # a user who may not see the referral at all is not shown it
    unseen = client.post(f"/discharge/referrals/{rid}/close", data={"outcome": ""}, headers=bearer("blaby"))
    assert unseen.status_code == 403 and "Referral for" not in unseen.text
    missing = client.post(
        "/discharge/referrals/no-such-id/cancel", data={"reason": ""}, headers=bearer("housing")
    )
    assert missing.status_code == 404


def test_the_raise_form_names_every_missing_answer_in_form_order(  # type: ignore[no-untyped-def]
    client: TestClient, bearer: Bearer, committed_world
) -> None:
    page = client.post(NEW, data={"pool_id": "lri-acute", "note": "Lives alone"}, headers=bearer("clinician"))
    assert page.status_code == 422 and title(page).startswith("Error: Raise a discharge referral")
    assert summary(page) == [
        ("#nhs_number", "Enter the patient's NHS number"),
        ("#kind", "Choose what the patient needs to leave hospital"),
        ("#team_id", "Choose the receiving team"),
    ]
    assert field_error(page, "nhs_number") == "Enter the patient's NHS number"
    assert value(page, "pool_id") == "lri-acute" and value(page, "note") == "Lives alone"


def test_the_raise_form_says_what_is_wrong_in_words_for_people(  # type: ignore[no-untyped-def]
    client: TestClient, bearer: Bearer, committed_world
) -> None:
    clinician = bearer("clinician")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    admitted = committed_world.admitted.date()
    on_admission = f"on or after their admission on {admitted:%-d %B %Y}"
    before = (admitted - timedelta(days=1)).isoformat()
    cases = [
        (form("1234567890"), "nhs_number", "Enter a valid 10-digit NHS number"),
        (form("943 476 591"), "nhs_number", "Enter a valid 10-digit NHS number"),
        (form(committed_world.at_lri[0], kind="spa-break"), "kind",
         "Choose what the patient needs to leave hospital from the list"),
        (form(committed_world.at_lri[0], medically_fit_on="2026-02-30"), "medically_fit_on",
         "Enter the date the patient was medically fit as a real date, YYYY-MM-DD"),
        (form(committed_world.at_lri[0], medically_fit_on=tomorrow), "medically_fit_on",
         "The date the patient was medically fit must be today or in the past"),
        (form(committed_world.at_lri[0], medically_fit_on=before), "medically_fit_on",
         f"The date the patient was medically fit must be {on_admission}"),
        (form(committed_world.at_lri[0], team_id="no-such-team"), "team_id",
         "Choose a receiving team from the list"),
        (form(committed_world.at_lri[0], pool_id="nowhere"), "pool_id",
         "Choose where the patient is from the list"),
        (form(committed_world.at_lgh), "nhs_number",
         "The patient is not in hospital at Leicester Royal Infirmary: the shared care record has no open "
         "inpatient stay for them there"),
        (form("9434765919"), "nhs_number",
         f"There is no patient with NHS number {format_('9434765919')} in the shared care record"),
    ]  # fmt: skip
    for data, field_id, message in cases:
        page = client.post(NEW, data=data, headers=clinician)
        assert page.status_code == 422, (data, page.text[:300])
        assert summary(page) == [(f"#{field_id}", message)], data
        assert field_error(page, field_id) == message
        typed = ("nhs_number", "medically_fit_on", "note")  # (a value not in a list cannot stay chosen)
        assert {k: value(page, k) for k in typed} == {k: data[k] for k in typed}
    assert client.get(API, headers=clinician).json() == []


def test_a_duplicate_or_refused_referral_is_shown_on_the_form(  # type: ignore[no-untyped-def]
    client: TestClient, bearer: Bearer, committed_world, session: Session
) -> None:
    number = committed_world.at_lri[0]
    first = raised(client, bearer, number)
    again = client.post(NEW, data=form(number, note="Asked twice"), headers=bearer("clinician"))
    assert again.status_code == 409 and title(again).startswith("Error:")
    message = "This patient already has an open referral for housing (a home to go to)"
    assert summary(again) == [("#kind", message)] and field_error(again, "kind") == message
    assert f'href="/discharge/referrals/{first}"' in again.text and value(again, "note") == "Asked twice"
    assert [r["id"] for r in client.get(API, headers=bearer("clinician")).json()] == [first]

    other = committed_world.at_lri[1]
    refused = client.post(NEW, data=form(other), headers=bearer("lpt-clinician"))
    assert refused.status_code == 403 and title(refused).startswith("Error: Raise a discharge referral")
    [(href, text)] = summary(refused)
    assert href == "#nhs_number" and text.startswith("You may not raise a referral for this patient: ")
    assert value(refused, "nhs_number") == other and value(refused, "kind") == "housing"
    assert client.get(API, params={"site": "lri"}, headers=bearer("clinician")).json()[0]["id"] == first
    assert len(client.get(API, headers=bearer("clinician")).json()) == 1
    entries = access.search_audit(session, AuditQuery(nhs_number=other, limit=200)).items
    assert any(e.username == "api-lpt-clinician" and e.outcome == "refused" for e in entries)
