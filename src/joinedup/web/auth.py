"""Who is calling, and may they: the dependencies every area's routes use, and the CSRF guard for forms.

- `AccessMiddleware` (installed by `install`) gives each request an id, reads the signed session cookie for
  the page header, puts a CSRF token in `request.state.csrf_token`, and refuses any form POST without it.
- `CurrentUser`: the caller from a bearer token (APIs, FHIR) or a session cookie (pages). Without one an
  API answers 401 and a page redirects to `/login?next=...`. The router table adds it to every mount not
  marked `public`, so a new route is closed until someone opens it on purpose.
- `require_scope(...)`, `require_role(...)`: checks for routes that touch no patient; refusals are audited.
- `Access`: the caller plus the request id and `X-Break-Glass-Reason`, for `access.service.authorise`.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from joinedup.access import service as access
from joinedup.access.policy import SCOPE_CONTEXTS, Decision, PatientContext, Principal, Role
from joinedup.access.scopes import covers, format_scopes
from joinedup.access.tokens import SessionClaims, csrf_token, is_csrf_token, read_session_cookie
from joinedup.errors import Forbidden, Unauthorized
from joinedup.settings import Settings
from joinedup.web.deps import UNSAFE_METHODS, DbSession

SESSION_COOKIE = "joinedup_session"
BROWSER_COOKIE = "joinedup_browser"  # binds the CSRF token of a browser that has not logged in yet
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
BREAK_GLASS_HEADER = "X-Break-Glass-Reason"
REQUEST_ID_HEADER = "X-Request-ID"
MAX_FORM_BYTES = 5 * 1024 * 1024
NO_CREDENTIALS = "no credentials: send 'Authorization: Bearer <token>' (see `joinedup access token USERNAME`)"


def install(app: FastAPI) -> None:
    """Add the access middleware to `app` (request ids, session cookie, CSRF guard)."""
    app.add_middleware(AccessMiddleware)


async def public() -> None:
    """Marks a route open to callers without a token or session (health, reference data, log-in).

    Async because it does nothing: FastAPI would otherwise send it to a worker thread.
    """


class AccessMiddleware:
    """Request id, session cookie and CSRF token for every request; form POSTs without the token refused."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        settings: Settings = scope["app"].state.settings
        secret = settings.signing_key
        state = scope.setdefault("state", {})
        state["request_id"] = _request_id(request.headers.get(REQUEST_ID_HEADER))
        cookie = request.cookies.get(SESSION_COOKIE)
        claims = read_session_cookie(cookie, secret=secret) if cookie else None
        state["session_claims"] = claims
        state["user"] = claims
        browser = request.cookies.get(BROWSER_COOKIE, "")
        new_browser = None if claims or 20 <= len(browser) <= 64 else secrets.token_urlsafe(24)
        binding = f"session:{claims.session_id}" if claims else f"browser:{new_browser or browser}"
        state["csrf_token"] = csrf_token(secret, binding)
        if _needs_csrf(request):
            body = await _read_body(receive)
            if body is None or not await _has_csrf_token(scope, request, body, secret, binding):
                await _refuse_form(request, body is None)(scope, receive, send)
                return
            receive = _replay(body, receive)
        cookies = _cookie_headers(settings, new_browser, stale_session=bool(cookie) and claims is None)
        await self.app(scope, receive, _with_headers(send, state["request_id"], cookies))


def _request_id(given: str | None) -> str:
    if given and len(given) <= 64 and all(ch.isalnum() or ch in "-_." for ch in given):
        return given
    return uuid.uuid4().hex


def _needs_csrf(request: Request) -> bool:
    """Unsafe requests a browser could send from another site: no Authorization header, not JSON."""
    if request.method not in UNSAFE_METHODS or "authorization" in request.headers:
        return False
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return not (content_type == "application/json" or content_type.endswith("+json"))


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when it is larger than a form should be."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _has_csrf_token(scope: Scope, request: Request, body: bytes, secret: str, binding: str) -> bool:
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        form = await Request(scope, _replay(body, _no_more_body)).form()
        field = form.get(CSRF_FIELD)
        token = field if isinstance(field, str) else None
        await form.close()
    return token is not None and is_csrf_token(secret, binding, token)


async def _no_more_body() -> Message:
    return {"type": "http.disconnect"}


def _refuse_form(request: Request, too_large: bool) -> Any:
    from joinedup.web.app import error_response  # the app imports this module

    if too_large:
        return error_response(request, 413, "too-long", "The form sent is too large.")
    detail = "This form has expired or did not come from joinedup. Go back, reload the page and try again."
    return error_response(request, 403, "forbidden", detail)


def _cookie_headers(settings: Settings, new_browser: str | None, *, stale_session: bool) -> list[bytes]:
    secure = "; Secure" if settings.is_production else ""
    headers = []
    if new_browser:
        headers.append(f"{BROWSER_COOKIE}={new_browser}; Path=/; HttpOnly; SameSite=Lax{secure}".encode())
    if stale_session:
        headers.append(f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}".encode())
    return headers


def _with_headers(send: Send, request_id: str, cookies: list[bytes]) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
            headers.extend((b"set-cookie", value) for value in cookies)
            message = {**message, "headers": headers}
        await send(message)

    return send_with_headers


def session_cookie_settings(settings: Settings) -> dict[str, Any]:
    """How the session cookie is set: HttpOnly, SameSite=Lax, Secure in production."""
    return {"httponly": True, "samesite": "lax", "secure": settings.is_production, "path": "/"}


def request_id(request: Request) -> str:
    """This request's id (from X-Request-ID when sane, else generated); it is logged with every access."""
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else uuid.uuid4().hex


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def session_claims(request: Request) -> SessionClaims | None:
    claims = getattr(request.state, "session_claims", None)
    return claims if isinstance(claims, SessionClaims) else None


# Declares bearer tokens in the OpenAPI document (the header itself is read below, for clearer refusals).
bearer_scheme = HTTPBearer(
    auto_error=False, description="From `joinedup access token USERNAME`: a signed JWT with SMART scopes."
)


def current_principal(
    request: Request,
    session: DbSession,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None,
) -> Principal:
    """The caller: from `Authorization: Bearer`, else from the session cookie; refused when neither."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    settings: Settings = request.app.state.settings
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("the Authorization header must be 'Bearer <token>'")
        principal = access.principal_from_token(
            session, token.strip(), secret=settings.signing_key, request_id=request_id(request),
            source_address=client_address(request),
        )  # fmt: skip
    else:
        claims = session_claims(request)
        found = access.principal_from_session(session, claims) if claims else None
        if found is None:
            raise _not_signed_in(request)
        principal = found
    request.state.principal = principal
    request.state.user = principal
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def is_api_path(path: str) -> bool:
    return path.startswith(("/api/", "/fhir/")) or path in ("/api", "/fhir")


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


def _not_signed_in(request: Request) -> Exception:
    if is_api_path(request.url.path):
        return Unauthorized(NO_CREDENTIALS)
    if request.headers.get("hx-request"):
        return HTTPException(401, detail="Please log in", headers={"HX-Redirect": login_url(request)})
    return HTTPException(303, detail="Please log in", headers={"Location": login_url(request)})


def _refuse(
    session: Session, request: Request, principal: Principal, reason: str, resource: str | None
) -> None:
    access.audit(
        session, actor=principal, event="authorisation", action=request.method.lower(), outcome="refused",
        reason=reason, resource_type=resource, resource_id=request.url.path[:128],
        request_id=request_id(request), source_address=client_address(request),
    )  # fmt: skip


def require_scope(resource_type: str, *actions: str) -> Callable[..., Principal]:
    """A dependency: the caller's token must carry SMART scopes for `actions` on `resource_type`."""

    def check_scope(request: Request, principal: CurrentUser, session: DbSession) -> Principal:
        if principal.scopes is None:
            return principal
        contexts = SCOPE_CONTEXTS.get(principal.role, ("user",))
        missing = [a for a in actions if not covers(principal.scopes, resource_type, a, contexts)]
        if missing:
            held = format_scopes(principal.scopes) or "none"
            reason = f"the token's scopes ({held}) do not allow {' or '.join(missing)} of {resource_type}"
            _refuse(session, request, principal, reason, resource_type)
            raise Forbidden(reason)
        return principal

    return check_scope


def require_role(*roles: Role) -> Callable[..., Principal]:
    """A dependency: the caller must hold one of `roles` (pages for the administrator, privacy officer...)."""
    names = " or ".join(role.value for role in roles)

    def check_role(request: Request, principal: CurrentUser, session: DbSession) -> Principal:
        if principal.role not in roles:
            reason = f"this is for the {names} only; you are signed in as {principal.role.value}"
            _refuse(session, request, principal, reason, None)
            raise Forbidden(reason)
        return principal

    return check_role


@dataclass(frozen=True)
class AccessContext:
    """What `access.service.authorise` needs from a request besides the resource itself."""

    principal: Principal
    request_id: str
    break_glass_reason: str | None
    source_address: str

    def authorise(
        self,
        session: Session,
        action: str,
        resource_type: str,
        *,
        resource_id: str | None = None,
        patient: PatientContext | None = None,
    ) -> Decision:
        """Decide and audit one access by this request's caller; raises Forbidden when refused."""
        return access.authorise(
            session, principal=self.principal, action=action, resource_type=resource_type,
            resource_id=resource_id, patient=patient, break_glass_reason=self.break_glass_reason,
            request_id=self.request_id, source_address=self.source_address,
        )  # fmt: skip


async def access_context(request: Request, principal: CurrentUser) -> AccessContext:
    """The caller, the request id and the break-glass reason sent in `X-Break-Glass-Reason` (if any).

    Async because it reads only the request: FastAPI would otherwise send it to a worker thread.
    """
    reason = (request.headers.get(BREAK_GLASS_HEADER) or "").strip() or None
    return AccessContext(principal, request_id(request), reason, client_address(request))


Access = Annotated[AccessContext, Depends(access_context)]
