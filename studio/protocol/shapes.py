"""Typed shapes of the JSON documents on the wire (see docs/server.md for the full description).

Plain TypedDicts, so the sync client can use them without the server's dependencies.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

Role = Literal["owner", "editor", "viewer"]
RecordKind = Literal["contributor", "clip", "project", "membership"]


class TokenGrant(TypedDict):
    token: str
    device_id: str
    expires_at: str
    account: dict[str, str]


class Space(TypedDict):
    id: str
    name: str
    kind: Literal["public", "private"]
    role: Role | None
    epoch: str
    commercial: bool  # marked for commercial work: exports of its projects refuse NonCommercial sources


class Op(TypedDict):
    """A timeline op: opaque to the server apart from its id and Lamport stamp."""

    id: str
    lamport: int


class RecordChange(TypedDict):
    change_id: str
    kind: RecordKind
    id: str
    base_rev: int | None
    fields: dict[str, Any]
    deleted: NotRequired[bool]


class OpsChange(TypedDict):
    change_id: str
    kind: Literal["ops"]
    project: str
    ops: list[dict[str, Any]]


class Conflict(TypedDict):
    field: str
    reason: Literal["concurrent-set", "edit-of-deleted", "invariant"]
    detail: str
    server: NotRequired[Any]
    client: NotRequired[Any]
    base: NotRequired[Any]
    rev: int
    change_id: str


class PushResult(TypedDict):
    change_id: str
    status: Literal["applied", "merged", "conflict", "duplicate"]
    rev: int
    conflicts: list[Conflict]


class FeedEntry(TypedDict):
    seq: int
    kind: str
    id: str
    change_id: str
    author: str
    doc: NotRequired[dict[str, Any]]
    deleted: NotRequired[bool]
    conflicts: NotRequired[list[Conflict]]
    ops: NotRequired[list[dict[str, Any]]]


class FeedPage(TypedDict):
    entries: list[FeedEntry]
    cursor: str
    more: bool
    epoch: str


class BlobNegotiation(TypedDict):
    sha256: str
    status: Literal["present", "upload", "rejected"]
    session_id: NotRequired[str]
    part_size: NotRequired[int]
    parts_received: NotRequired[list[int]]
    reason: NotRequired[str]
