"""Argon2id password hashes."""

from __future__ import annotations

from joinedup.access import passwords


def test_a_password_verifies_against_its_own_hash_only() -> None:
    stored = passwords.hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "correct horse battery staple")
    assert not passwords.verify_password(stored, "Correct horse battery staple")
    assert not passwords.needs_rehash(stored)


def test_two_hashes_of_one_password_differ_by_salt() -> None:
    assert passwords.hash_password("same") != passwords.hash_password("same")


def test_a_missing_or_corrupt_hash_never_verifies() -> None:
    assert not passwords.verify_password(None, "anything")
    assert not passwords.verify_password("not-a-hash", "anything")
