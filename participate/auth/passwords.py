"""Password hashing (argon2id), apart from the operations so the demo seeder, the CLI and
the test factories hash the same way without importing any operation."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from participate.models import User

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@cache
def _dummy_hash() -> str:
    """A real hash to compare against when the email is unknown, so timing doesn't reveal
    accounts. Made on first use, not at import: every process (job consumers, commands)
    imports this module and most never see a login."""
    return _hasher.hash("not-a-real-password-just-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    """Does ``password`` match? A match on an outdated hash upgrades it in place (written
    with the rest of the request)."""
    if not user.password_hash:
        return False
    try:
        ok = _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if ok and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return ok


def spend_equal_time(password: str) -> None:
    """Verify against a dummy hash, so a login for an unknown email takes as long as one
    for a known email with a wrong password."""
    try:
        _hasher.verify(_dummy_hash(), password or "x")
    except VerificationError:
        pass
