"""Identifier formats shared by client and server, checked before any id reaches a path, key or query.

Each pattern is anchored for OpenAPI and pydantic; the `is_*` helpers use re.fullmatch so that a trailing
newline (which `$` would accept) is refused too.
"""

from __future__ import annotations

import hashlib
import re
from typing import TypeGuard

SHA256_PATTERN = r"^[0-9a-f]{64}$"
HEX32_PATTERN = r"^[0-9a-f]{32}$"
SPACE_ID_PATTERN = r"^(public|[0-9a-f]{32})$"
RECORD_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"
CHANGE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_:-]{7,127}$"
OP_ID_PATTERN = r"^[0-9a-f]{32}:[1-9][0-9]{0,17}$"
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{1,31}$"

PUBLIC_SPACE = "public"
ROLES = ("owner", "editor", "viewer")
WRITER_ROLES = ("owner", "editor")


def _full(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.removeprefix("^").removesuffix("$"))


_SHA256 = _full(SHA256_PATTERN)
_HEX32 = _full(HEX32_PATTERN)
_SPACE = _full(SPACE_ID_PATTERN)
_RECORD = _full(RECORD_ID_PATTERN)
_CHANGE = _full(CHANGE_ID_PATTERN)
_OP = _full(OP_ID_PATTERN)
_USERNAME = _full(USERNAME_PATTERN)


def is_sha256(value: object) -> TypeGuard[str]:
    """Lowercase 64-hex SHA-256: the only form a blob id takes on the wire, on disk and in S3 keys."""
    return isinstance(value, str) and _SHA256.fullmatch(value) is not None


def is_hex32(value: object) -> TypeGuard[str]:
    """Server-made ids (upload sessions, devices, private spaces) and client ids."""
    return isinstance(value, str) and _HEX32.fullmatch(value) is not None


def is_space_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _SPACE.fullmatch(value) is not None


def is_record_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _RECORD.fullmatch(value) is not None


def is_change_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _CHANGE.fullmatch(value) is not None


def is_username(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _USERNAME.fullmatch(value) is not None


def parse_op_id(value: object) -> tuple[str, int]:
    """Split "<client_id>:<counter>" into its parts; ValueError names what is wrong."""
    if not isinstance(value, str) or _OP.fullmatch(value) is None:
        raise ValueError(f"op id {value!r} is not '<32 lowercase hex>:<positive counter>'")
    client_id, counter = value.split(":")
    return client_id, int(counter)


def op_order_key(op: dict[str, object]) -> tuple[int, str, int]:
    """The total order every client folds a project's op log in: (lamport, client id, counter)."""
    client_id, counter = parse_op_id(op["id"])
    lamport = op["lamport"]
    if not isinstance(lamport, int) or isinstance(lamport, bool) or lamport < 0:
        raise ValueError(f"op {op['id']!r} has lamport {lamport!r}, not an integer >= 0")
    return lamport, client_id, counter


def claim_id(account_id: str, media: str) -> str:
    """The id of one account's public clip record about a media hash: the hash, a dash and 16 hex digits
    derived from the account, so two publishers of the same bytes get two records that sort together."""
    mark = hashlib.sha256(f"studio-claim/1:{account_id}:{media}".encode()).hexdigest()[:16]
    return f"{media}-{mark}"


def claim_media(record_id: str) -> str | None:
    """The media hash a claim id is about, or None when `record_id` is not a claim id."""
    media, dash, mark = record_id.partition("-")
    if dash and is_sha256(media) and len(mark) == 16 and is_sha256(mark * 4):
        return media
    return None


def public_clip_media(record_id: str, doc: object = None) -> str | None:
    """The media hash a public clip record is about: its claim id's, else a hash id (records made before
    claims), else its document's `media` field; None when it names no hash."""
    media = claim_media(record_id)
    if media is not None:
        return media
    if is_sha256(record_id):
        return record_id
    named = doc.get("media") if isinstance(doc, dict) else None
    return named if is_sha256(named) else None


def certificate_serial(serial: int) -> str:
    """A signing certificate's serial as the server lists, revokes and names it, and as a verdict reports
    it: lowercase hex, no leading zeros."""
    return format(serial, "x")
