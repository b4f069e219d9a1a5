"""The virtual wards as the registry has them: the teams of `virtual` bed pools on a day."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from joinedup.errors import NotFound
from joinedup.registry import service as registry
from joinedup.registry.schemas import TeamRead

VIRTUAL_SETTING = "virtual"


def list_ward_teams(session: Session, *, on: date) -> list[TeamRead]:
    """The registry teams that run a virtual ward on `on` (teams of a `virtual` bed pool), by name."""
    pools = {p.id for p in registry.list_bed_pools(session, on=on, setting=VIRTUAL_SETTING)}
    return [t for t in registry.list_teams(session, on=on) if t.pool_id in pools]


def get_ward_team_or_raise(session: Session, ward_id: str, *, on: date) -> TeamRead:
    """The virtual-ward team `ward_id` on `on`; NotFound when it is not a virtual ward that day."""
    for team in list_ward_teams(session, on=on):
        if team.id == ward_id:
            return team
    raise NotFound(f"no virtual ward with id {ward_id!r} on {on.isoformat()}")
