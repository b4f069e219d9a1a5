"""Signed tokens: API bearer tokens and page-session cookies (JWT, HS256, RFC 7519) and CSRF tokens.

Each kind has its own audience and its own key derived from JOINEDUP_SECRET_KEY, so a session cookie can
never be replayed as a bearer token, nor a bearer token as a cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from joinedup.access.scopes import Scope, ScopeError, format_scopes, parse_scopes

ISSUER = "joinedup"
API_AUDIENCE = "joinedup-api"
SESSION_AUDIENCE = "joinedup-session"
ALGORITHM = "HS256"


class TokenError(Exception):
    """A token that proves nothing: expired, forged, malformed or carrying a bad scope."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class AccessClaims:
    """What a verified bearer token says."""

    username: str
    scopes: tuple[Scope, ...]
    expires_at: datetime
    token_id: str


@dataclass(frozen=True)
class SessionClaims:
    """What a verified session cookie says (shown in the page header without a database read)."""

    session_id: str
    username: str
    display_name: str
    role: str
    expires_at: datetime


def derived_key(secret: str, purpose: str) -> bytes:
    """A 256-bit key for one purpose, so one leaked purpose does not sign another's tokens."""
    return hashlib.sha256(f"joinedup/{purpose}/{secret}".encode()).digest()


def issue_access_token(
    *, secret: str, username: str, scopes: tuple[Scope, ...], now: datetime, lifetime: timedelta
) -> str:
    """A signed bearer token for `username` carrying `scopes`, valid for `lifetime` from `now`."""
    claims = {
        "iss": ISSUER,
        "aud": API_AUDIENCE,
        "sub": username,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
        "scope": format_scopes(scopes),
    }
    return jwt.encode(claims, derived_key(secret, API_AUDIENCE), algorithm=ALGORITHM)


def read_access_token(token: str, *, secret: str) -> AccessClaims:
    """The claims of a bearer token; raises TokenError saying why it proves nothing.

    A token already verified with this secret is not verified again (a client sends the same token with
    every request), but its expiry is checked every time.
    """
    known = _VERIFIED.get((token, secret))
    if known is not None:
        if known.expires_at.timestamp() <= _now():
            raise TokenError("the token has expired; ask for a new one")
        return known
    claims = _decode(token, secret, API_AUDIENCE, ("exp", "iat", "sub", "aud", "iss", "jti"))
    try:
        scopes = parse_scopes(str(claims.get("scope", "")))
    except ScopeError as exc:
        raise TokenError(f"the token carries an invalid scope: {exc}") from exc
    verified = AccessClaims(
        username=str(claims["sub"]),
        scopes=scopes,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        token_id=str(claims["jti"]),
    )
    if len(_VERIFIED) >= VERIFIED_TOKENS:
        _VERIFIED.clear()
    _VERIFIED[token, secret] = verified
    return verified


# Bearer tokens verified in this process, by (token, secret): only a token that passed `_decode` is here.
VERIFIED_TOKENS = 1024
_VERIFIED: dict[tuple[str, str], AccessClaims] = {}


def _now() -> float:
    return time.time()


def issue_session_cookie(
    *,
    secret: str,
    session_id: str,
    username: str,
    display_name: str,
    role: str,
    expires_at: datetime,
) -> str:
    """The signed value of a page-session cookie."""
    claims = {
        "iss": ISSUER,
        "aud": SESSION_AUDIENCE,
        "sid": session_id,
        "sub": username,
        "name": display_name,
        "role": role,
        "exp": int(expires_at.timestamp()),
    }
    return jwt.encode(claims, derived_key(secret, SESSION_AUDIENCE), algorithm=ALGORITHM)


def read_session_cookie(value: str, *, secret: str) -> SessionClaims | None:
    """The claims of a session cookie, or None when it is expired, forged or malformed."""
    try:
        claims = _decode(value, secret, SESSION_AUDIENCE, ("exp", "sid", "sub", "aud", "iss"))
    except TokenError:
        return None
    return SessionClaims(
        session_id=str(claims["sid"]),
        username=str(claims["sub"]),
        display_name=str(claims.get("name", claims["sub"])),
        role=str(claims.get("role", "")),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )


def csrf_token(secret: str, binding: str) -> str:
    """The CSRF token for a browser: an HMAC of its session (or pre-login cookie), never stored anywhere."""
    return hmac.new(derived_key(secret, "csrf"), binding.encode(), hashlib.sha256).hexdigest()


def is_csrf_token(secret: str, binding: str, token: str) -> bool:
    """True when `token` is the CSRF token for `binding` (compared in constant time)."""
    return hmac.compare_digest(csrf_token(secret, binding), token)


def _decode(token: str, secret: str, audience: str, required: tuple[str, ...]) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            derived_key(secret, audience),
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=ISSUER,
            options={"require": list(required)},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("the token has expired; ask for a new one") from exc
    except jwt.InvalidSignatureError as exc:
        raise TokenError("the token's signature is not valid: it was altered or signed elsewhere") from exc
    except jwt.InvalidAudienceError as exc:
        raise TokenError(f"the token was not issued for this use ({audience})") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise TokenError(f"the token has no '{exc.claim}' claim") from exc
    except jwt.DecodeError as exc:
        raise TokenError("the token is malformed (not a signed JWT)") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"the token is not valid: {exc}") from exc
    return claims
