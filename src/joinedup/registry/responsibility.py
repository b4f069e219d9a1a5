"""Who was responsible for an area on a day, inheriting each kind of body from the nearest wider area.

Leicester in 2003 had its own primary care trusts but shared the strategic health authority of
Leicestershire: for each kind of organisation the nearest area in the `part_of` chain with a body of that
kind on that day answers.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.errors import Invalid, NotFound
from joinedup.registry import models as m
from joinedup.registry.answers import ResponsibleBody
from joinedup.registry.schemas import AreaRead
from joinedup.registry.vocabulary import kind_rank


def _folded(text: str) -> str:
    return " ".join(text.replace("&", " and ").split()).casefold()


def area_chain(area_id: str, parents: dict[str, str | None]) -> list[str]:
    """`area_id` and the areas it is part of, nearest first."""
    chain = [area_id]
    while (parent := parents.get(chain[-1])) is not None and parent not in chain:
        chain.append(parent)
    return chain


def find_area(session: Session, text: str) -> AreaRead:
    """The area whose id, name or alias is `text` (any case); NotFound naming the closest names."""
    areas = [AreaRead.model_validate(a) for a in session.scalars(select(m.Area))]
    wanted = _folded(text)
    for names_of in (lambda a: [a.id], lambda a: [a.name], lambda a: a.aliases):
        matches = [a for a in areas if wanted in {_folded(n) for n in names_of(a)}]
        if matches:
            return _most_specific(matches, {a.id: a.part_of_id for a in areas}, text)
    named = {_folded(n): a.name for a in areas for n in (a.id, a.name, *a.aliases)}
    containing = [n for n in named if len(n) > 3 and (n in wanted or wanted in n)]
    close = containing + difflib.get_close_matches(wanted, list(named), n=8, cutoff=0.75)
    suggestions = list(dict.fromkeys(named[c] for c in close))[:3]
    hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
    if not areas:
        hint = " The registry holds no areas yet: load reference data with `joinedup registry load`."
    raise NotFound(f"No area called '{text}'.{hint}")


def _most_specific(matches: list[AreaRead], parents: dict[str, str | None], text: str) -> AreaRead:
    """Of areas sharing a name (a county inside its ceremonial county), the one inside the others."""
    inner = [a for a in matches if all(o.id in area_chain(a.id, parents) for o in matches)]
    if len(inner) == 1:
        return inner[0]
    names = ", ".join(f"{a.name} ({a.kind}, id {a.id})" for a in matches)
    raise Invalid(f"'{text}' names more than one area: {names}; use the id.")


def responsible(session: Session, *, area: str, on: date) -> list[ResponsibleBody]:
    """Bodies responsible for `area` (id, name or alias) on `on`, widest tier first."""
    found = find_area(session, area)
    parents = dict(session.execute(select(m.Area.id, m.Area.part_of_id)).all())
    names = dict(session.execute(select(m.Area.id, m.Area.name)).all())
    chain = area_chain(found.id, parents)
    rows = session.scalars(
        select(m.Responsibility).where(m.Responsibility.area_id.in_(chain), m.Responsibility.in_effect(on))
    )
    by_kind: dict[str, dict[str, list[m.Responsibility]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_kind[row.organisation.kind][row.area_id].append(row)
    bodies = []
    for kind, by_area in by_kind.items():
        nearest = next(area_id for area_id in chain if area_id in by_area)
        bodies += [
            ResponsibleBody(
                name=row.organisation.name,
                kind=kind,
                start=row.start,
                end=row.end,
                source=row.source,
                organisation_id=row.organisation_id,
                role=row.role,
                area_id=row.area_id,
                area_name=names[row.area_id],
            )
            for row in by_area[nearest]
        ]
    unique = {
        (b.organisation_id, b.start, b.end): b for b in sorted(bodies, key=lambda b: b.role, reverse=True)
    }
    return sorted(unique.values(), key=lambda body: (kind_rank(body.kind), body.name.casefold(), body.role))
