"""Write an ODS extract into the registry, keyed by ODS code.

ODS adds organisations the registry does not know yet and fills open and close dates it lacks; it never
overwrites facts already curated in an ICS file (their names and sources stay as written there).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from joinedup.registry import models as m
from joinedup.registry.answers import LoadSummary
from joinedup.registry.ics_file import file_error
from joinedup.registry.ods_csv import OdsExtract, OdsRow


def _kind(extract: OdsExtract, row: OdsRow) -> str:
    if extract.kind == "ods-gp-practices":
        return "gp practice"
    upper = row.name.upper()
    if "AMBULANCE" in upper:
        return "ambulance service"
    return "nhs foundation trust" if "FOUNDATION TRUST" in upper else "nhs trust"


def _note(row: OdsRow) -> str | None:
    parts = []
    if row.status:
        parts.append(f"ODS status {row.status}")
    if row.commissioner:
        parts.append(f"commissioner {row.commissioner}")
    if row.telephone:
        parts.append(f"telephone {row.telephone}")
    return "; ".join(parts) or None


class _Counts:
    def __init__(self) -> None:
        self.created = 0
        self.changed = 0


def _fill_dates(row: OdsRow, org: m.Organisation, counts: _Counts) -> None:
    """Curated facts stay; ODS fills only the dates the registry does not know."""
    changed = False
    if org.ods_code is None:
        org.ods_code, changed = row.ods_code, True
    if org.start is None and row.opened is not None and (org.end is None or row.opened < org.end):
        org.start, changed = row.opened, True
    if org.end is None and row.closed is not None and (org.start is None or row.closed > org.start):
        org.end, changed = row.closed, True
    counts.changed += changed


def _organisations(session: Session, extract: OdsExtract, source: str, counts: _Counts) -> dict[str, str]:
    """Upsert each row's organisation; returns ODS code -> organisation id."""
    codes = [row.ods_code for row in extract.rows]
    known = list(
        session.scalars(
            select(m.Organisation).where(
                or_(m.Organisation.ods_code.in_(codes), m.Organisation.id.in_([c.lower() for c in codes]))
            )
        )
    )
    by_code = {org.ods_code: org for org in known if org.ods_code}
    by_id = {org.id: org for org in known}
    ids: dict[str, str] = {}
    for row in extract.rows:
        org = by_code.get(row.ods_code) or by_id.get(row.ods_code.lower())
        if org is not None and org.ods_code not in (None, row.ods_code):
            raise file_error(
                extract.path,
                row.line,
                "column 1 (organisation code)",
                f"organisation '{org.id}' already has ODS code {org.ods_code}",
            )
        if org is None:
            org = m.Organisation(
                id=row.ods_code.lower(),
                ods_code=row.ods_code,
                name=row.name,
                kind=_kind(extract, row),
                start=row.opened,
                end=row.closed,
                aliases=[],
                note=_note(row),
                source=source,
            )
            session.add(org)
            counts.created += 1
        else:
            _fill_dates(row, org, counts)
        ids[row.ods_code] = org.id
    return ids


def _put(
    session: Session, row: Any | None, model: type[Any], values: dict[str, Any], counts: _Counts
) -> None:
    if row is None:
        session.add(model(**values))
        counts.created += 1
    elif any(getattr(row, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(row, name, value)
        counts.changed += 1


def _surgeries(
    session: Session, extract: OdsExtract, ids: dict[str, str], source: str, counts: _Counts
) -> None:
    """Each GP practice's surgery as a site it operates, at the address ODS publishes."""
    site_ids = {row.ods_code: f"{row.ods_code.lower()}-surgery" for row in extract.rows}
    sites = {s.id: s for s in session.scalars(select(m.Site).where(m.Site.id.in_(list(site_ids.values()))))}
    operators = {
        (op.site_id, op.organisation_id, op.start): op
        for op in session.scalars(
            select(m.SiteOperator).where(m.SiteOperator.site_id.in_(list(site_ids.values())))
        )
    }
    for row in extract.rows:
        site_id = site_ids[row.ods_code]
        _put(
            session,
            sites.get(site_id),
            m.Site,
            {
                "id": site_id,
                "name": row.name,
                "kind": "gp surgery",
                "town": row.town,
                "postcode": row.postcode,
                "start": row.opened,
                "end": row.closed,
                "source": source,
            },
            counts,
        )
        key = (site_id, ids[row.ods_code], row.opened)
        _put(
            session,
            operators.get(key),
            m.SiteOperator,
            {
                "site_id": site_id,
                "organisation_id": ids[row.ods_code],
                "start": row.opened,
                "end": row.closed,
                "source": source,
            },
            counts,
        )


def apply_extract(session: Session, extract: OdsExtract) -> LoadSummary:
    """Upsert the extract's organisations (and, for GP practices, their surgeries)."""
    source = f"NHS Digital ODS extract {extract.path.name}"
    counts = _Counts()
    ids = _organisations(session, extract, source, counts)
    session.flush()
    entries = {"organisations": len(extract.rows)}
    if extract.kind == "ods-gp-practices":
        _surgeries(session, extract, ids, source, counts)
        session.flush()
        entries.update(sites=len(extract.rows), site_operators=len(extract.rows))
    return LoadSummary(
        path=str(extract.path),
        format=extract.kind,
        entries=entries,
        created=counts.created,
        changed=counts.changed,
    )
