"""SMART on FHIR scopes: parsed from text and checked against a resource type and an action.

Grammar from SMART App Launch 2.0 ("Scopes and Launch Context", HL7, 2021): `context/ResourceType.perms`,
context one of `patient`, `user`, `system`; ResourceType a FHIR type or `*`; perms a subset of `cruds` in
that order. The version 1 forms `.read` (= `rs`), `.write` (= `cud`) and `.*` (= `cruds`) are accepted too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

CONTEXTS = ("patient", "user", "system")
PERMISSIONS = "cruds"
ACTION_LETTERS = {"create": "c", "read": "r", "update": "u", "delete": "d", "search": "s"}
V1_PERMISSIONS = {"read": "rs", "write": "cud", "*": "cruds"}
# Scopes a SMART client may ask for that grant no resource access; accepted and ignored.
NON_RESOURCE_SCOPES = frozenset(
    {"openid", "fhirUser", "profile", "launch", "launch/patient", "offline_access", "online_access"}
)

_SCOPE = re.compile(r"^(?P<context>[a-z]+)/(?P<type>\*|[A-Z][A-Za-z]*)\.(?P<perms>[a-z*]+)$")
_V2_PERMS = re.compile(r"^c?r?u?d?s?$")


class ScopeError(ValueError):
    """A scope string that does not follow the SMART grammar, or asks for something not supported."""


@dataclass(frozen=True, order=True)
class Scope:
    """One SMART scope: who it speaks for (`context`), which resource type, which permissions."""

    context: str
    resource_type: str
    permissions: str

    def __str__(self) -> str:
        return f"{self.context}/{self.resource_type}.{self.permissions}"

    def allows(self, resource_type: str, action: str) -> bool:
        """True when this scope grants `action` (create, read, update, delete, search) on `resource_type`."""
        letter = ACTION_LETTERS.get(action)
        if letter is None or letter not in self.permissions:
            return False
        return self.resource_type in ("*", resource_type)


def parse_scope(text: str) -> Scope:
    """One scope from its text; raises ScopeError naming what is wrong."""
    if "?" in text:
        raise ScopeError(f"scope {text!r}: constraints after '?' are not supported")
    match = _SCOPE.match(text)
    if match is None:
        raise ScopeError(f"scope {text!r} is not of the form context/ResourceType.cruds")
    context, resource_type, perms = match["context"], match["type"], match["perms"]
    if context not in CONTEXTS:
        raise ScopeError(f"scope {text!r}: context must be one of {', '.join(CONTEXTS)}")
    perms = V1_PERMISSIONS.get(perms, perms)
    if not perms or not _V2_PERMS.match(perms):
        raise ScopeError(f"scope {text!r}: permissions must be letters of 'cruds' in that order")
    return Scope(context, resource_type, perms)


def parse_scopes(text: str | Iterable[str]) -> tuple[Scope, ...]:
    """Every resource scope in a space-separated string (or list); OpenID and launch scopes are skipped."""
    words = text.split() if isinstance(text, str) else [w for part in text for w in part.split()]
    parsed = {parse_scope(word) for word in words if word not in NON_RESOURCE_SCOPES}
    return tuple(sorted(parsed))


def format_scopes(scopes: Iterable[Scope]) -> str:
    """The space-separated form carried in a token's `scope` claim."""
    return " ".join(str(s) for s in scopes)


def covers(scopes: Iterable[Scope], resource_type: str, action: str, contexts: Iterable[str]) -> bool:
    """True when any scope of an allowed `contexts` grants `action` on `resource_type`."""
    allowed = set(contexts)
    return any(s.context in allowed and s.allows(resource_type, action) for s in scopes)
