"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shipyard.core.errors import InvalidInput

__all__ = ["MIN_LENGTH", "check_password_rules", "hash_password", "verify_password"]

MIN_LENGTH = 10
MAX_LENGTH = 1024


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("not a real password, only spends the same time")


def check_password_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password is too short: use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"the password is too long: use at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher().hash(password)


def verify_password(password: str, stored_hash: str | None) -> bool:
    """True if ``password`` matches; spends the same time when there is no hash to check."""
    try:
        return _hasher().verify(stored_hash or _dummy_hash(), password) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False
