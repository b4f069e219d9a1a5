"""Write a validated ICS file into the registry: references checked first, then rows upserted by key.

Loading is idempotent: rows are keyed by id, dated facts by their natural key, so loading the same file
twice leaves the registry as it was after the first time.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from joinedup.registry import models as m
from joinedup.registry.answers import LoadSummary
from joinedup.registry.ics_file import Entry, IcsFile

# (table, field) -> the table whose id it names.
REFERENCES: dict[tuple[str, str], str] = {
    ("areas", "part_of"): "areas",
    ("responsibilities", "area"): "areas",
    ("responsibilities", "organisation"): "organisations",
    ("successions", "predecessor"): "organisations",
    ("successions", "successor"): "organisations",
    ("sites", "area"): "areas",
    ("site_operators", "site"): "sites",
    ("site_operators", "organisation"): "organisations",
    ("services", "site"): "sites",
    ("services", "organisation"): "organisations",
    ("bed_pools", "site"): "sites",
    ("bed_capacity", "pool"): "bed_pools",
    ("teams", "organisation"): "organisations",
    ("teams", "site"): "sites",
    ("teams", "pool"): "bed_pools",
    ("workforce", "organisation"): "organisations",
    ("workforce", "site"): "sites",
    ("workforce", "pool"): "bed_pools",
    ("workforce", "team"): "teams",
}

ID_TABLES: dict[str, type[Any]] = {
    "areas": m.Area,
    "organisations": m.Organisation,
    "sites": m.Site,
    "services": m.Service,
    "bed_pools": m.BedPool,
    "teams": m.Team,
}


def _natural_key(entry: Entry) -> tuple[Any, ...]:
    r = entry.record
    match entry.table:
        case "responsibilities":
            return (r.area, r.organisation, r.role, r.start)
        case "successions":
            return (r.predecessor, r.successor)
        case "site_operators":
            return (r.site, r.organisation, r.start)
        case "bed_capacity":
            return (r.pool, r.start)
        case "workforce":
            return (*r.scope, r.staff_group, r.start)
    return (r.id,)


class _Writer:
    """Counts rows created and changed while setting columns from a file's entries."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.created = 0
        self.changed = 0

    def put(self, row: Any | None, model: type[Any], values: dict[str, Any]) -> Any:
        if row is None:
            row = model(**values)
            self.session.add(row)
            self.created += 1
            return row
        if any(getattr(row, name) != value for name, value in values.items()):
            self.changed += 1
            for name, value in values.items():
                setattr(row, name, value)
        return row


def check(session: Session, ics: IcsFile) -> None:
    """Every id unique in the file, every reference known, no cycle of areas, no overlapping capacity."""
    _check_unique(ics)
    _check_references(session, ics)
    _check_area_cycles(session, ics)
    _check_capacity_overlaps(session, ics)


def _check_unique(ics: IcsFile) -> None:
    for table, entries in ics.entries.items():
        seen: dict[tuple[Any, ...], Entry] = {}
        for entry in entries:
            key = _natural_key(entry)
            if key in seen:
                field = "id" if table in ID_TABLES else None
                raise ics.error(entry, field, f"repeats the entry on line {seen[key].line} ({_show(key)})")
            seen[key] = entry


def _show(key: tuple[Any, ...]) -> str:
    return ", ".join("open" if part is None else str(part) for part in key)


def _check_references(session: Session, ics: IcsFile) -> None:
    in_file = {table: {e.record.id for e in ics.entries[table]} for table in ID_TABLES}
    wanted: dict[str, set[str]] = defaultdict(set)
    for (table, field), target in REFERENCES.items():
        for entry in ics.entries[table]:
            value = getattr(entry.record, field)
            if value is not None and value not in in_file[target]:
                wanted[target].add(value)
    known = {
        target: set(session.scalars(select(ID_TABLES[target].id).where(ID_TABLES[target].id.in_(ids))))
        for target, ids in wanted.items()
    }
    for (table, field), target in REFERENCES.items():
        for entry in ics.entries[table]:
            value = getattr(entry.record, field)
            if value is not None and value not in in_file[target] and value not in known.get(target, set()):
                singular = target.removesuffix("s").replace("_", " ")
                raise ics.error(entry, field, f"no {singular} with id '{value}' in this file or the registry")


def _check_area_cycles(session: Session, ics: IcsFile) -> None:
    parents = dict(session.execute(select(m.Area.id, m.Area.part_of_id)).all())
    parents.update({e.record.id: e.record.part_of for e in ics.entries["areas"]})
    for entry in ics.entries["areas"]:
        seen = {entry.record.id}
        current = entry.record.part_of
        while current is not None:
            if current in seen:
                raise ics.error(entry, "part_of", f"areas form a loop through '{current}'")
            seen.add(current)
            current = parents.get(current)


def _check_capacity_overlaps(session: Session, ics: IcsFile) -> None:
    by_pool: dict[str, list[tuple[date, date | None, Entry | None]]] = defaultdict(list)
    replaced = {(e.record.pool, e.record.start) for e in ics.entries["bed_capacity"]}
    for entry in ics.entries["bed_capacity"]:
        by_pool[entry.record.pool].append((entry.record.start, entry.record.end, entry))
    stored = session.scalars(select(m.BedCapacity).where(m.BedCapacity.pool_id.in_(list(by_pool))))
    for row in stored:
        if (row.pool_id, row.start) not in replaced and row.start is not None:
            by_pool[row.pool_id].append((row.start, row.end, None))
    for pool, periods in by_pool.items():
        periods.sort(key=lambda period: period[0])
        for before, after in itertools.pairwise(periods):
            if before[1] is None or before[1] > after[0]:
                blamed = after[2] or before[2]
                assert blamed is not None
                until = before[1] or "open"
                raise ics.error(
                    blamed,
                    "start",
                    f"beds of pool '{pool}' from {after[0]} overlap the period {before[0]} to {until}",
                )


def apply(session: Session, ics: IcsFile) -> LoadSummary:
    """Check the file, then upsert every entry in load order (parents before children)."""
    check(session, ics)
    writer = _Writer(session)
    for table, write in _WRITERS.items():
        write(session, writer, ics.entries[table])
        session.flush()
    return LoadSummary(
        path=str(ics.path),
        format="ics",
        title=ics.meta.title,
        entries={table: len(entries) for table, entries in ics.entries.items()},
        created=writer.created,
        changed=writer.changed,
    )


def _existing(session: Session, model: type[Any], ids: Iterable[str]) -> dict[str, Any]:
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(list(ids))))}


def _areas_parents_first(entries: list[Entry]) -> list[Entry]:
    by_id = {e.record.id: e for e in entries}
    ordered: list[Entry] = []
    placed: set[str] = set()

    def place(entry: Entry) -> None:
        if entry.record.id in placed:
            return
        parent = by_id.get(entry.record.part_of)
        if parent is not None:
            place(parent)
        placed.add(entry.record.id)
        ordered.append(entry)

    for entry in entries:
        place(entry)
    return ordered


def _write_areas(session: Session, writer: _Writer, entries: list[Entry]) -> None:
    rows = _existing(session, m.Area, (e.record.id for e in entries))
    for entry in _areas_parents_first(entries):
        r = entry.record
        values = {
            "id": r.id,
            "name": r.name,
            "kind": r.kind,
            "part_of_id": r.part_of,
            "aliases": list(r.aliases),
            "source": r.source,
        }
        writer.put(rows.get(r.id), m.Area, values)
        session.flush()


def _period(r: Any) -> dict[str, Any]:
    return {"start": r.start, "end": r.end, "source": r.source}


def _write_by_id(model: type[Any], values: Callable[[Any], dict[str, Any]]) -> Callable[..., None]:
    def write(session: Session, writer: _Writer, entries: list[Entry]) -> None:
        rows = _existing(session, model, (e.record.id for e in entries))
        for entry in entries:
            writer.put(rows.get(entry.record.id), model, {"id": entry.record.id, **values(entry.record)})

    return write


def _write_by_key(
    model: type[Any],
    key: Callable[[Any], tuple[Any, ...]],
    scope: str,
    values: Callable[[Any], dict[str, Any]],
) -> Callable[..., None]:
    """Upsert dated facts keyed by `key(row or record)`; rows are fetched by the `scope` column."""

    def write(session: Session, writer: _Writer, entries: list[Entry]) -> None:
        if not entries:
            return
        wanted = {values(e.record)[scope] for e in entries}
        rows = {
            key(row): row for row in session.scalars(select(model).where(getattr(model, scope).in_(wanted)))
        }
        for entry in entries:
            fields = values(entry.record)
            writer.put(rows.get(key(_Fields(fields))), model, fields)

    return write


class _Fields:
    """Attribute access over a dict, so one key function serves rows and new values alike."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


_WRITERS: dict[str, Callable[[Session, _Writer, list[Entry]], None]] = {
    "areas": _write_areas,
    "organisations": _write_by_id(
        m.Organisation,
        lambda r: {
            "ods_code": r.ods_code,
            "name": r.name,
            "kind": r.kind,
            "aliases": list(r.aliases),
            "note": r.note,
            **_period(r),
        },
    ),
    "responsibilities": _write_by_key(
        m.Responsibility,
        lambda x: (x.area_id, x.organisation_id, x.role, x.start),
        "area_id",
        lambda r: {"area_id": r.area, "organisation_id": r.organisation, "role": r.role, **_period(r)},
    ),
    "successions": _write_by_key(
        m.Succession,
        lambda x: (x.predecessor_id, x.successor_id),
        "predecessor_id",
        lambda r: {
            "predecessor_id": r.predecessor,
            "successor_id": r.successor,
            "kind": r.kind,
            "date": r.date,
            "source": r.source,
        },
    ),
    "sites": _write_by_id(
        m.Site,
        lambda r: {
            "name": r.name,
            "kind": r.kind,
            "town": r.town,
            "postcode": r.postcode,
            "area_id": r.area,
            **_period(r),
        },
    ),
    "site_operators": _write_by_key(
        m.SiteOperator,
        lambda x: (x.site_id, x.organisation_id, x.start),
        "site_id",
        lambda r: {"site_id": r.site, "organisation_id": r.organisation, **_period(r)},
    ),
    "services": _write_by_id(
        m.Service,
        lambda r: {
            "site_id": r.site,
            "name": r.name,
            "kind": r.kind,
            "organisation_id": r.organisation,
            **_period(r),
        },
    ),
    "bed_pools": _write_by_id(
        m.BedPool,
        lambda r: {
            "site_id": r.site,
            "setting": r.setting,
            "specialty": r.specialty,
            "name": r.name,
            "source": r.source,
        },
    ),
    "bed_capacity": _write_by_key(
        m.BedCapacity,
        lambda x: (x.pool_id, x.start),
        "pool_id",
        lambda r: {"pool_id": r.pool, "beds": r.beds, **_period(r)},
    ),
    "teams": _write_by_id(
        m.Team,
        lambda r: {
            "name": r.name,
            "organisation_id": r.organisation,
            "site_id": r.site,
            "pool_id": r.pool,
            "beds": r.beds,
            **_period(r),
        },
    ),
    "workforce": _write_by_key(
        m.Workforce,
        lambda x: (x.organisation_id, x.site_id, x.pool_id, x.team_id, x.staff_group, x.start),
        "staff_group",
        lambda r: {
            "organisation_id": r.organisation,
            "site_id": r.site,
            "pool_id": r.pool,
            "team_id": r.team,
            "staff_group": r.staff_group,
            "fte": r.fte,
            "headcount": r.headcount,
            **_period(r),
        },
    ),
}
