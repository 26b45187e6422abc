"""Stable contributor ids: a person known by name has the same id on every machine.

The id is derived from the name (whitespace collapsed, case folded), not drawn at random, so crediting
"Ann Lee" on two machines, or editing a clip on one and then the other, never makes two people of one, and
shares never count one person twice.
"""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("7c1f9c5e-2a53-4c0b-9a57-3f0c2b1d8e41")


def normal_name(name: str) -> str:
    return " ".join(name.split())


def contributor_id(name: str) -> str:
    """The id of the person credited as `name`: 32 hex digits, the same everywhere."""
    return uuid.uuid5(_NAMESPACE, "contributor:" + normal_name(name).casefold()).hex


# A person with an account is that account in every credit: the contributor id is derived from the account
# id the server gave it (random 128 bits, so unique across servers), never from a name or a machine.
ACCOUNT_PREFIX = "a-"
_HEX = frozenset("0123456789abcdef")


def account_contributor_id(account_id: str) -> str:
    """The contributor id of the person who holds account `account_id` (32 hex from the server)."""
    if len(account_id) != 32 or not set(account_id) <= _HEX:
        raise ValueError(f"account id {account_id!r} is not 32 lowercase hex digits")
    return ACCOUNT_PREFIX + account_id


def account_of(contributor: str) -> str | None:
    """The account id an account contributor id names, or None for a name-derived (or other) id."""
    rest = contributor.removeprefix(ACCOUNT_PREFIX)
    if rest != contributor and len(rest) == 32 and set(rest) <= _HEX:
        return rest
    return None
