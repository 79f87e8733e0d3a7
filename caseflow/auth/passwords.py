"""Password hashing with argon2id (argon2-cffi's defaults are argon2id, RFC 9106 low-memory)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with RFC 9106's low-memory profile
_DUMMY_HASH = _hasher.hash("caseflow-timing-equaliser")


def configure(time_cost: int | None = None, memory_cost: int | None = None) -> None:
    """Tests lower the cost (never the algorithm); production keeps argon2-cffi's defaults."""
    global _hasher, _DUMMY_HASH
    if time_cost is None and memory_cost is None:
        return
    _hasher = PasswordHasher(time_cost=time_cost or 1, memory_cost=memory_cost or 8192, parallelism=1)
    _DUMMY_HASH = _hasher.hash("caseflow-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches; runs a full hash even for unknown users (no timing oracle)."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
