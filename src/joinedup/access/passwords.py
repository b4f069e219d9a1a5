"""Password hashing with Argon2id (RFC 9106), through argon2-cffi's defaults."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """An Argon2id hash of `password` with a fresh salt, in PHC string form."""
    return _HASHER.hash(password)


@lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    return _HASHER.hash("joinedup: no such user")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches `stored_hash`; a missing hash costs the same time, so names don't leak."""
    try:
        return _HASHER.verify(stored_hash or _unknown_user_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's, so it should be replaced at login."""
    return _HASHER.check_needs_rehash(stored_hash)
