"""SMART App Launch 2.0 scopes: the grammar's examples parse, malformed ones are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from joinedup.access.scopes import Scope, ScopeError, covers, format_scopes, parse_scope, parse_scopes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Examples from "Scopes and Launch Context", SMART App Launch 2.0.
        ("patient/Observation.rs", Scope("patient", "Observation", "rs")),
        ("user/Appointment.cruds", Scope("user", "Appointment", "cruds")),
        ("patient/*.cruds", Scope("patient", "*", "cruds")),
        ("system/*.rs", Scope("system", "*", "rs")),
        ("user/Observation.cruds", Scope("user", "Observation", "cruds")),
        ("patient/Encounter.c", Scope("patient", "Encounter", "c")),
        # Version 1 forms: .read is rs, .write is cud, .* is cruds.
        ("user/Patient.read", Scope("user", "Patient", "rs")),
        ("user/Patient.write", Scope("user", "Patient", "cud")),
        ("system/Observation.*", Scope("system", "Observation", "cruds")),
    ],
)
def test_scopes_from_the_smart_specification_parse(text: str, expected: Scope) -> None:
    assert parse_scope(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("patient/Observation.sr", "in that order"),
        ("patient/Observation.x", "in that order"),
        ("patient/Observation.", "not of the form"),
        ("doctor/Observation.rs", "context must be one of"),
        ("patient/observation.rs", "not of the form"),
        ("Observation.rs", "not of the form"),
        ("patient/Observation.rs?category=laboratory", "not supported"),
    ],
)
def test_malformed_scopes_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(ScopeError, match=problem):
        parse_scope(text)


def test_openid_and_launch_scopes_are_accepted_and_grant_nothing() -> None:
    assert parse_scopes("openid fhirUser launch/patient offline_access user/Patient.r") == (
        Scope("user", "Patient", "r"),
    )


def test_covers_checks_context_type_and_letter() -> None:
    scopes = parse_scopes("user/Observation.rs system/*.c")
    assert covers(scopes, "Observation", "search", ["user"])
    assert not covers(scopes, "Observation", "create", ["user"])
    assert covers(scopes, "Patient", "create", ["system"])
    assert not covers(scopes, "Patient", "read", ["user", "system"])


perms = st.sets(st.sampled_from("cruds"), min_size=1)


@given(st.sampled_from(["patient", "user", "system"]), st.sampled_from(["*", "Observation"]), perms)
def test_formatting_and_parsing_round_trip(context: str, resource: str, perms: set[str]) -> None:
    ordered = "".join(ch for ch in "cruds" if ch in perms)
    scopes = parse_scopes(f"{context}/{resource}.{ordered}")
    assert parse_scopes(format_scopes(scopes)) == scopes
