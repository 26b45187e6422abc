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
