"""The record's one door to the access policy: who is asking, patient contexts, and the checks.

`check` decides and writes the audit entry (refusals raise Forbidden); `may` asks the same policy quietly,
to leave out of a wide search the patients a caller may not see (those left out are never read).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from joinedup.access.policy import Action, PatientContext, Principal, decide
from joinedup.access.service import authorise, authorise_many, get_user, principal_of
from joinedup.errors import NotFound
from joinedup.record.context import OdsLookup, contexts_for


@dataclass(frozen=True)
class Actor:
    """Who is asking, and what they said about why (break-glass) and which request it is."""

    principal: Principal
    break_glass_reason: str | None = None
    request_id: str | None = None
    source_address: str | None = None


def actor_named(session: Session, username: str) -> Actor:
    """The Actor of an existing joinedup user, for a command run as them; NotFound otherwise."""
    user = get_user(session, username)
    if user is None:
        raise NotFound(f"no joinedup user {username!r} (see `joinedup access add-user`)")
    return Actor(principal_of(user), request_id="cli")


@dataclass
class PatientContexts:
    """Patient contexts looked up once per request (a bundle of 100 readings of one patient: one lookup)."""

    session: Session
    lookup: OdsLookup
    known: dict[str, PatientContext | None] = field(default_factory=dict)

    @classmethod
    def of_session(cls, session: Session) -> PatientContexts:
        return cls(session, OdsLookup(session))

    def of(self, patient_id: str | None) -> PatientContext | None:
        """The context of a stored patient (None for no patient, or one that does not exist)."""
        if patient_id is None:
            return None
        if patient_id not in self.known:
            self.preload([patient_id])
        return self.known[patient_id]

    def preload(self, patient_ids: Iterable[str]) -> None:
        missing = sorted({p for p in patient_ids if p not in self.known})
        if missing:
            found = contexts_for(self.session, missing, self.lookup)
            self.known.update({p: found.get(p) for p in missing})


def check(
    session: Session,
    actor: Actor,
    action: Action,
    resource_type: str,
    resource_id: str | None,
    patient: PatientContext | None,
) -> None:
    """Authorise and audit one access; Forbidden (403) with the policy's reason when refused."""
    authorise(
        session,
        principal=actor.principal,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        patient=patient,
        break_glass_reason=actor.break_glass_reason,
        request_id=actor.request_id,
        source_address=actor.source_address,
    )


def check_many(
    session: Session,
    actor: Actor,
    action: Action,
    items: Sequence[tuple[str, str | None, PatientContext | None]],
) -> None:
    """`check` for each (resource type, resource id, patient) in order; audited together if all allowed."""
    authorise_many(
        session,
        principal=actor.principal,
        action=action,
        items=items,
        break_glass_reason=actor.break_glass_reason,
        request_id=actor.request_id,
        source_address=actor.source_address,
    )


def may(actor: Actor, action: Action, resource_type: str, patient: PatientContext) -> bool:
    """Would the policy allow this without break-glass? Writes nothing (the caller audits what it shows)."""
    return decide(actor.principal, action, resource_type, patient, now=datetime.now(UTC)).allowed
