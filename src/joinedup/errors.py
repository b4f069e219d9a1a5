"""The error vocabulary every edge (JSON, FHIR, pages, CLI) translates in exactly one place."""

from __future__ import annotations


class JoinedupError(Exception):
    """Base of every error joinedup raises on purpose; `status` is the HTTP status an edge answers with."""

    status = 500
    code = "exception"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Invalid(JoinedupError):
    """The caller sent something malformed or out of range."""

    status = 422
    code = "invalid"


class BadRequest(Invalid):
    """The request could not be parsed at all."""

    status = 400


class Unauthorized(JoinedupError):
    """No credentials, or credentials that do not prove who the caller is."""

    status = 401
    code = "login"


class Forbidden(JoinedupError):
    """The caller is known but may not do this."""

    status = 403
    code = "forbidden"


class NotFound(JoinedupError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    status = 404
    code = "not-found"


class Conflict(JoinedupError):
    """The request clashes with the current state."""

    status = 409
    code = "conflict"


class PreconditionFailed(JoinedupError):
    """A version precondition (If-Match) did not hold."""

    status = 412
    code = "conflict"


class TooManyRequests(JoinedupError):
    """The caller is sending too much, too fast."""

    status = 429
    code = "throttled"
