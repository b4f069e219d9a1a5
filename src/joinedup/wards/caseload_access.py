"""Who sees which virtual ward's caseload: a nurse her own teams, a clinician every ward their organisation
runs; each look at a whole caseload is one audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from joinedup.access import service as access
from joinedup.access.policy import Principal, Role
from joinedup.errors import Forbidden
from joinedup.record.service import Actor
from joinedup.registry import service as registry
from joinedup.wards.teams import list_ward_teams


def _now() -> datetime:
    return datetime.now(UTC)


def visible_wards(session: Session, principal: Principal) -> set[str]:
    """The virtual wards whose caseload `principal` sees: their own teams, and for a clinician (not a
    virtual-ward nurse, who sees her caseload only) every ward run by their organisation."""
    teams = list_ward_teams(session, on=_now().date())
    own = {t.id for t in teams if t.id in principal.team_ids}
    if (
        principal.role is Role.VIRTUAL_WARD_NURSE
        or not principal.is_clinical
        or not principal.organisation_ods
    ):
        return own
    codes = {o: registry.get_organisation(session, o) for o in {t.organisation_id for t in teams}}
    ours = {o for o, org in codes.items() if org is not None and org.ods_code == principal.organisation_ods}
    return own | {t.id for t in teams if t.organisation_id in ours}


def check_caseload_access(session: Session, *, actor: Actor, ward_id: str, what: str) -> None:
    """Forbidden unless the caller sees this ward's caseload; an allowed look is written to the audit log."""
    if ward_id not in visible_wards(session, actor.principal):
        access.audit(
            session,
            actor=actor.principal,
            event="patient-record",
            action="search",
            outcome="refused",
            reason=f"{what}: ward {ward_id} is not one of the caller's caseloads",
            resource_type="EpisodeOfCare",
            request_id=actor.request_id,
            source_address=actor.source_address,
        )
        raise Forbidden(f"virtual ward {ward_id!r} is not one of your teams' caseloads")
    audit_caseload_view(session, actor=actor, ward_ids=[ward_id], what=what)


def audit_caseload_view(session: Session, *, actor: Actor, ward_ids: Sequence[str], what: str) -> None:
    """One audit entry for a look at whole caseloads (a board shows many patients at once)."""
    access.audit(
        session,
        actor=actor.principal,
        event="patient-record",
        action="search",
        reason=f"{what} of virtual ward(s) {', '.join(ward_ids) or 'none'}",
        resource_type="EpisodeOfCare",
        request_id=actor.request_id,
        source_address=actor.source_address,
    )
