"""Users, page log-ins (throttled), sessions and bearer tokens. Adds and flushes; the caller commits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import jwt
from pydantic import ValidationError
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from joinedup.access import passwords, tokens
from joinedup.access.audit import AuditRecord, append, append_refusal
from joinedup.access.models import LoginFailure, LoginSession, User
from joinedup.access.policy import CLINICAL_ROLES, Principal, Role
from joinedup.access.schemas import UserCreate, UserRead
from joinedup.access.scopes import Scope, ScopeError, parse_scopes
from joinedup.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthorized
from joinedup.registry import service as registry

SESSION_LIFETIME = timedelta(hours=8)
THROTTLE_WINDOW = timedelta(minutes=15)
# Five wrong passwords per account; an address gets more because a hospital's staff share one NAT address.
USERNAME_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 20
DEFAULT_TOKEN_MINUTES = 60
MAX_TOKEN_MINUTES = 60 * 24 * 30
ORGANISATION_ROLES = CLINICAL_ROLES | {Role.DEVICE}
SCOPE_CONTEXT_FOR_ROLE = {Role.PATIENT: "patient", Role.DEVICE: "system"}
DEFAULT_SCOPES = {
    Role.PATIENT: "patient/*.rs",
    Role.DEVICE: "system/Observation.crs",
    Role.DISCHARGE_SUPPORT: "user/DischargeReferral.rus",
    **{role: "user/*.cruds" for role in CLINICAL_ROLES},
}
CLI_ACTOR = "joinedup-cli"


def validated_user(data: dict[str, Any]) -> UserCreate:
    """A UserCreate from plain values; a problem becomes Invalid naming the field."""
    try:
        return UserCreate.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "user"
        raise Invalid(f"{field}: {first['msg']} (got {first.get('input')!r})") from exc


def create_user(
    session: Session, data: UserCreate, *, actor: Principal | None, request_id: str | None = None
) -> UserRead:
    """Add a user after checking their organisation exists in the registry; the change is audited."""
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict(f"a user called '{data.username}' already exists")
    _check_organisation(session, data)
    if data.role is Role.PATIENT and data.nhs_number is None:
        raise Invalid("nhs_number: a patient's account must be linked to their NHS number")
    user = User(
        username=data.username,
        display_name=data.display_name or data.username,
        role=data.role.value,
        organisation_ods=data.organisation_ods,
        password_hash=passwords.hash_password(data.password) if data.password else None,
        team_ids=list(data.team_ids),
        nhs_number=data.nhs_number,
        active=True,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    session.flush()
    where = f" at {data.organisation_ods}" if data.organisation_ods else ""
    _audit_admin(session, actor, "add-user", f"added {data.username} as {data.role.value}{where}", request_id)
    return UserRead.model_validate(user)


def _check_organisation(session: Session, data: UserCreate) -> None:
    if data.organisation_ods is None:
        if data.role in ORGANISATION_ROLES:
            raise Invalid(f"organisation_ods: a {data.role.value} must belong to an organisation (--org ODS)")
        return
    if registry.get_organisation_by_ods(session, data.organisation_ods) is None:
        code = data.organisation_ods
        raise Invalid(f"organisation_ods: no organisation with ODS code '{code}' in the registry")


def _audit_admin(
    session: Session, actor: Principal | None, action: str, reason: str, request_id: str | None
) -> None:
    append(
        session,
        AuditRecord(
            event="user-admin",
            username=actor.username if actor else CLI_ACTOR,
            role=actor.role.value if actor else None,
            organisation_ods=actor.organisation_ods if actor else None,
            action=action,
            outcome="allowed",
            reason=reason,
            request_id=request_id,
        ),
    )


def get_user(session: Session, username: str) -> UserRead | None:
    """The user called `username`, or None."""
    user = _user(session, username)
    return UserRead.model_validate(user) if user else None


def list_users(session: Session) -> list[UserRead]:
    """Every user, by username."""
    return [UserRead.model_validate(u) for u in session.scalars(select(User).order_by(User.username))]


def link_patient(
    session: Session, *, username: str, nhs_number: str, actor: Principal | None = None
) -> UserRead:
    """Link a patient's account to their NHS number (the demo links its patient to a generated record)."""
    user = _user(session, username)
    if user is None:
        raise NotFound(f"no user called '{username}'")
    if user.role != Role.PATIENT.value:
        raise Invalid(f"'{username}' is a {user.role}, not a patient")
    checked = validated_user({"username": username, "role": "patient", "nhs_number": nhs_number})
    user.nhs_number = checked.nhs_number
    session.flush()
    _audit_admin(session, actor, "link-patient", f"linked {username} to their NHS number", None)
    return UserRead.model_validate(user)


def _user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username.strip().lower())).first()


class UserFields(Protocol):
    """What the policy needs of a user: a User, a UserRead or a row of those columns."""

    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def organisation_ods(self) -> str | None: ...
    @property
    def display_name(self) -> str: ...
    @property
    def team_ids(self) -> list[str]: ...
    @property
    def nhs_number(self) -> str | None: ...


def principal_of(user: UserFields, scopes: tuple[Scope, ...] | None = None) -> Principal:
    """The policy's view of a user (scopes None: a page session)."""
    return Principal(
        username=user.username,
        role=Role(user.role),
        organisation_ods=user.organisation_ods,
        display_name=user.display_name,
        team_ids=frozenset(user.team_ids),
        nhs_number=user.nhs_number,
        scopes=scopes,
    )


@dataclass(frozen=True)
class LoginOutcome:
    """A log-in attempt: the session cookie when it worked, else the problem and the HTTP status to show."""

    user: UserRead | None = None
    cookie: str | None = None
    expires_at: datetime | None = None
    problem: str | None = None
    status: int = 200


def log_in(
    session: Session,
    *,
    username: str,
    password: str,
    source_address: str,
    secret: str,
    request_id: str | None = None,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check a password (throttled per username and address) and start a session; every try is audited."""
    now = now or datetime.now(UTC)
    name = username.strip().lower()[:80]
    record = AuditRecord(
        event="login", username=name or "(blank)", role=None, organisation_ods=None, action="login",
        outcome="refused", reason="", request_id=request_id, source_address=source_address,
    )  # fmt: skip
    if _is_throttled(session, name, source_address, now):
        problem = "Too many failed log-ins for this account or address. Wait 15 minutes, then try again."
        append(session, _with(record, reason="throttled after repeated failed log-ins"), now=now)
        return LoginOutcome(problem=problem, status=TooManyRequests.status)
    user = _user(session, name) if name else None
    if not passwords.verify_password(user.password_hash if user else None, password) or user is None:
        session.add(LoginFailure(username=name, source_address=source_address, failed_at=now))
        append(session, _with(record, reason="wrong username or password"), now=now)
        return LoginOutcome(problem="The username or password is not right.", status=Unauthorized.status)
    if not user.active:
        append(session, _with(record, reason="account is not active"), now=now)
        return LoginOutcome(problem="This account is not active.", status=Unauthorized.status)
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return _start_session(session, user, record, secret, now)


def _start_session(
    session: Session, user: User, record: AuditRecord, secret: str, now: datetime
) -> LoginOutcome:
    session.execute(delete(LoginFailure).where(LoginFailure.username == user.username))
    session_id = secrets.token_urlsafe(32)
    expires_at = now + SESSION_LIFETIME
    session.add(
        LoginSession(
            id=_session_key(session_id), user_id=user.id, started_at=now, expires_at=expires_at,
            ended_at=None, source_address=record.source_address,
        )
    )  # fmt: skip
    signed_in = _with(
        record, role=user.role, organisation_ods=user.organisation_ods, outcome="allowed", reason="signed in"
    )
    append(session, signed_in, now=now)
    cookie = tokens.issue_session_cookie(
        secret=secret, session_id=session_id, username=user.username, display_name=user.display_name,
        role=user.role, expires_at=expires_at,
    )  # fmt: skip
    return LoginOutcome(user=UserRead.model_validate(user), cookie=cookie, expires_at=expires_at)


def _with(record: AuditRecord, **changes: Any) -> AuditRecord:
    return AuditRecord(**{**record.__dict__, **changes})


def _is_throttled(session: Session, username: str, address: str, now: datetime) -> bool:
    since = now - THROTTLE_WINDOW
    recent = select(func.count()).select_from(LoginFailure).where(LoginFailure.failed_at > since)
    by_name = session.scalar(recent.where(LoginFailure.username == username)) or 0
    by_address = session.scalar(recent.where(LoginFailure.source_address == address)) or 0
    return by_name >= USERNAME_FAILURE_LIMIT or by_address >= ADDRESS_FAILURE_LIMIT


def _session_key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def log_out(
    session: Session, *, claims: tokens.SessionClaims, request_id: str | None, now: datetime | None = None
) -> None:
    """End the session the cookie names (a stolen copy of the cookie stops working too)."""
    now = now or datetime.now(UTC)
    row = session.get(LoginSession, _session_key(claims.session_id))
    if row is None or row.ended_at is not None:
        return
    row.ended_at = now
    user = session.get(User, row.user_id)
    append(
        session,
        AuditRecord(
            event="login", username=claims.username, role=user.role if user else None,
            organisation_ods=user.organisation_ods if user else None, action="logout",
            outcome="allowed", reason="signed out", request_id=request_id,
        ),
        now=now,
    )  # fmt: skip


def principal_from_session(
    session: Session, claims: tokens.SessionClaims, now: datetime | None = None
) -> Principal | None:
    """The signed-in user of a live session, or None when it has ended, expired or the user left."""
    now = now or datetime.now(UTC)
    row = session.execute(
        select(LoginSession, User).join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id == _session_key(claims.session_id))
    ).first()  # fmt: skip
    if row is None:
        return None
    login, user = row
    if login.ended_at is not None or login.expires_at <= now or not user.active:
        return None
    if user.username != claims.username:
        return None
    return principal_of(user)


def issue_token(
    session: Session,
    *,
    username: str,
    scopes: list[str] | None,
    minutes: int,
    secret: str,
    now: datetime | None = None,
) -> str:
    """A signed bearer token for an active user; scopes default by role and must suit the role."""
    now = now or datetime.now(UTC)
    user = _user(session, username)
    if user is None or not user.active:
        raise NotFound(f"no active user called '{username}'")
    if not 1 <= minutes <= MAX_TOKEN_MINUTES:
        raise Invalid(f"minutes: must be between 1 and {MAX_TOKEN_MINUTES} (got {minutes})")
    role = Role(user.role)
    try:
        parsed = parse_scopes(scopes or [DEFAULT_SCOPES.get(role, "user/*.rs")])
    except ScopeError as exc:
        raise Invalid(f"scope: {exc}") from exc
    context = SCOPE_CONTEXT_FOR_ROLE.get(role, "user")
    wrong = [str(s) for s in parsed if s.context != context]
    if wrong or not parsed:
        got = " ".join(wrong) or "none"
        raise Invalid(f"scope: a {role.value} token takes {context}/ scopes only (got {got})")
    token = tokens.issue_access_token(
        secret=secret, username=user.username, scopes=parsed, now=now, lifetime=timedelta(minutes=minutes)
    )
    reason = f"issued a {minutes}-minute token for {user.username} with scopes {' '.join(map(str, parsed))}"
    _audit_admin(session, None, "issue-token", reason, None)
    return token


def principal_from_token(
    session: Session, token: str, *, secret: str, request_id: str | None, source_address: str | None
) -> Principal:
    """The caller a bearer token proves; an expired, forged or orphaned token is refused, and audited."""
    try:
        claims = tokens.read_access_token(token, secret=secret)
    except tokens.TokenError as exc:
        _refuse_token(session, _claimed_subject(token), exc.detail, request_id, source_address)
        raise Unauthorized(exc.detail) from exc
    user = session.connection().execute(_TOKEN_USER, {"username": claims.username.strip().lower()}).first()
    if user is None or not user.active:
        detail = f"the token's user '{claims.username}' is not an active user"
        _refuse_token(session, claims.username, detail, request_id, source_address)
        raise Unauthorized(detail)
    return principal_of(user, claims.scopes)


# Built once, and plain columns rather than a User object: every API request asks it.
_TOKEN_USER = select(
    User.username, User.role, User.organisation_ods, User.display_name, User.team_ids, User.nhs_number,
    User.active,
).where(User.username == bindparam("username"))  # fmt: skip


def _claimed_subject(token: str) -> str:
    """The username an unverifiable token claims, for the audit log only (never trusted)."""
    try:
        claimed = jwt.decode(token, options={"verify_signature": False}).get("sub")
    except jwt.InvalidTokenError:
        return "unknown"
    return f"claimed:{claimed}"[:80] if claimed else "unknown"


def _refuse_token(
    session: Session, username: str, reason: str, request_id: str | None, source_address: str | None
) -> None:
    append_refusal(
        session,
        AuditRecord(
            event="authentication", username=username, role=None, organisation_ods=None,
            action="use-token", outcome="refused", reason=reason, request_id=request_id,
            source_address=source_address,
        ),
    )  # fmt: skip
