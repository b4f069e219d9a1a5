"""Bearer tokens, session cookies and CSRF tokens: what verifies and what is refused, with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from joinedup.access import tokens
from joinedup.access.scopes import parse_scopes

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
NOW = datetime.now(UTC)
SCOPES = parse_scopes("user/Observation.rs")


def issue(**kw: object) -> str:
    args: dict[str, object] = {
        "secret": SECRET,
        "username": "gp1",
        "scopes": SCOPES,
        "now": NOW,
        "lifetime": timedelta(minutes=5),
    }
    args.update(kw)
    return tokens.issue_access_token(**args)  # type: ignore[arg-type]


def test_an_access_token_round_trips_its_subject_scopes_and_expiry() -> None:
    claims = tokens.read_access_token(issue(), secret=SECRET)
    assert claims.username == "gp1"
    assert claims.scopes == SCOPES
    assert claims.expires_at == datetime.fromtimestamp(int((NOW + timedelta(minutes=5)).timestamp()), UTC)


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        (lambda: issue(now=NOW - timedelta(hours=2)), "expired"),
        (lambda: issue(secret="another-secret-of-reasonable-length"), "signature is not valid"),
        (lambda: "not.a.jwt", "malformed"),
        (lambda: "garbage", "malformed"),
    ],
)
def test_expired_forged_and_malformed_tokens_are_refused(token, problem: str) -> None:
    with pytest.raises(tokens.TokenError, match=problem):
        tokens.read_access_token(token(), secret=SECRET)


def test_a_token_with_an_altered_payload_is_refused() -> None:
    header, _payload, signature = issue().split(".")
    claims = jwt.decode(issue(), options={"verify_signature": False})
    claims["scope"] = "user/*.cruds"
    forged_payload = jwt.encode(claims, "k" * 32, algorithm="HS256").split(".")[1]
    with pytest.raises(tokens.TokenError, match="signature"):
        tokens.read_access_token(f"{header}.{forged_payload}.{signature}", secret=SECRET)


def test_an_unsigned_token_is_refused() -> None:
    claims = jwt.decode(issue(), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")
    with pytest.raises(tokens.TokenError):
        tokens.read_access_token(unsigned, secret=SECRET)


def test_a_session_cookie_is_not_a_bearer_token_and_vice_versa() -> None:
    cookie = tokens.issue_session_cookie(
        secret=SECRET,
        session_id="s1",
        username="gp1",
        display_name="GP",
        role="gp",
        expires_at=NOW + timedelta(hours=1),
    )
    with pytest.raises(tokens.TokenError):
        tokens.read_access_token(cookie, secret=SECRET)
    assert tokens.read_session_cookie(issue(), secret=SECRET) is None
    claims = tokens.read_session_cookie(cookie, secret=SECRET)
    assert claims is not None and claims.session_id == "s1" and claims.role == "gp"


def test_a_token_with_a_bad_scope_is_refused() -> None:
    claims = jwt.decode(issue(), options={"verify_signature": False})
    claims["scope"] = "user/Observation.sr"
    bad = jwt.encode(claims, tokens.derived_key(SECRET, tokens.API_AUDIENCE), algorithm="HS256")
    with pytest.raises(tokens.TokenError, match="invalid scope"):
        tokens.read_access_token(bad, secret=SECRET)


def test_csrf_tokens_are_bound_to_one_browser() -> None:
    token = tokens.csrf_token(SECRET, "session:abc")
    assert tokens.is_csrf_token(SECRET, "session:abc", token)
    assert not tokens.is_csrf_token(SECRET, "session:abd", token)
    assert not tokens.is_csrf_token("another-secret", "session:abc", token)


def test_a_token_verified_before_is_still_refused_once_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    token = issue()
    claims = tokens.read_access_token(token, secret=SECRET)
    assert tokens.read_access_token(token, secret=SECRET) == claims
    monkeypatch.setattr(tokens, "_now", lambda: claims.expires_at.timestamp())
    with pytest.raises(tokens.TokenError, match="expired"):
        tokens.read_access_token(token, secret=SECRET)


def test_a_token_verified_with_one_secret_is_refused_with_another() -> None:
    token = issue()
    tokens.read_access_token(token, secret=SECRET)
    with pytest.raises(tokens.TokenError, match="signature is not valid"):
        tokens.read_access_token(token, secret="another-secret-of-reasonable-length")
