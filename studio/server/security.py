"""Secrets at rest: argon2 password hashes, device tokens stored only as SHA-256 digests.

Tokens carry 256 random bits, so a fast digest is enough for them; passwords need argon2.
"""

from __future__ import annotations

import hashlib
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "st_"

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password anyone has")


_HASHING = threading.BoundedSemaphore(2)
"""Each argon2 hash takes 64 MiB: at most two at a time, so a burst of logins or signups waits for memory
instead of taking it."""


def hash_password(password: str) -> str:
    with _HASHING:
        return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists, so timing does not reveal usernames."""
    try:
        with _HASHING:
            return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_weakness(password: str, username: str) -> str | None:
    """Why a new password is too easy to guess, or None. zxcvbn matches it against its lists of common
    passwords, words, names, keyboard patterns and dates, and against the user name."""
    from zxcvbn import zxcvbn

    if len(password) < 8:
        return "use at least 8 characters"
    lowered = password.lower()
    if username.lower() in lowered and len(lowered) - len(username) < 8:
        return "a password may not be the user name (or close to it)"
    result = zxcvbn(password[:100], user_inputs=[username])
    if result["score"] >= 2:
        return None
    warning = result["feedback"].get("warning") or "it is among the most common passwords"
    return f"too easy to guess ({warning.rstrip('.')}); a few unrelated words make a strong one"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_id() -> str:
    return secrets.token_hex(16)
