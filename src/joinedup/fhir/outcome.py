"""What a FHIR interaction answers besides the resource: status and headers; and OperationOutcome bodies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from joinedup.errors import BadRequest, JoinedupError
from joinedup.record.storage import Version

FHIR_JSON = "application/fhir+json"
_ETAG = re.compile(r'(?:W/)?"?(\d+)"?', re.ASCII)


@dataclass(frozen=True)
class Outcome:
    """HTTP status and FHIR headers of an interaction's answer (no web framework in here)."""

    status: int = 200
    location: str | None = None
    etag: str | None = None
    last_modified: datetime | None = None

    def headers(self) -> dict[str, str]:
        found = {"Location": self.location, "ETag": self.etag}
        if self.last_modified is not None:
            found["Last-Modified"] = format_datetime(self.last_modified, usegmt=True)
        return {k: v for k, v in found.items() if v is not None}


def version_outcome(version: Version, base: str, status: int = 200) -> Outcome:
    """Status and headers for one stored version: Location (on create), ETag and Last-Modified."""
    location = f"{base}/{version.resource_type}/{version.resource_id}/_history/{version.version}"
    return Outcome(status, location if status == 201 else None, version.etag, version.last_updated)


def parse_etag(text: str | None) -> int | None:
    """The version number in an If-Match header (`W/"3"`); None when absent, BadRequest when unreadable."""
    if text is None or not text.strip():
        return None
    match = _ETAG.fullmatch(text.strip())
    if match is None:
        raise BadRequest(f'If-Match {text!r} is not a version ETag such as W/"3"')
    return int(match.group(1))


def operation_outcome(severity: str, code: str, diagnostics: str) -> dict[str, Any]:
    """An OperationOutcome with one issue."""
    issue = {"severity": severity, "code": code, "diagnostics": diagnostics}
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def error_outcome(error: JoinedupError) -> dict[str, Any]:
    """The OperationOutcome for an error raised on purpose (as `web.app` answers it)."""
    return operation_outcome("error" if error.status < 500 else "fatal", error.code, error.detail)


REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    412: "Precondition Failed",
    422: "Unprocessable Entity",
}


def status_line(status: int) -> str:
    """`201 Created`: the form of Bundle.entry.response.status."""
    return f"{status} {REASONS.get(status, '')}".strip()
