"""The documents of the sync protocol (push and feed), as both sides name them (docs/server.md).

Plain TypedDicts, so the sync client needs none of the server's dependencies: the client types the
changes it builds and the answers it reads with them, and each of the server's pydantic models of these
documents is checked against its shape when the server's models are imported
(`studio.server.models.mirrors`), so a field added on one side only fails at once. No `from __future__
import annotations` here: TypedDict reads NotRequired only from evaluated annotations.
The clip record's document and the credit shape are in `studio.protocol.records`.
"""

from typing import Any, Literal, NotRequired, TypedDict, get_args

from studio.protocol import refusals

Role = Literal["owner", "editor", "viewer"]
RecordKind = Literal["contributor", "clip", "project", "membership"]
ConflictReason = Literal["concurrent-set", "edit-of-deleted", "invariant"]
Applied = Literal["applied", "merged", "conflict"]
PushStatus = Literal["applied", "merged", "conflict", "duplicate", "refused"]
RefusalReason = Literal[
    "not-owner", "change-id-reused", "op-id-reused", "foreign-client", "unregistered-client"
]
BlobStatus = Literal["present", "upload", "rejected"]

if get_args(RefusalReason) != refusals.REASONS:
    raise RuntimeError("RefusalReason must list studio.protocol.refusals.REASONS")


class RecordChange(TypedDict):
    """A pushed change of a small record: the fields it sets, against the revision it started from."""

    change_id: str
    kind: RecordKind
    id: str
    base_rev: NotRequired[int | None]
    fields: NotRequired[dict[str, Any]]
    deleted: NotRequired[bool | None]


class OpsChange(TypedDict):
    """Pushed timeline ops of one project: opaque to the server apart from each op's id and Lamport stamp."""

    change_id: str
    kind: Literal["ops"]
    project: str
    ops: list[dict[str, Any]]


class Conflict(TypedDict):
    field: str
    reason: ConflictReason
    detail: str
    base: NotRequired[Any]
    server: NotRequired[Any]
    client: NotRequired[Any]
    rev: int
    change_id: str


class PushResult(TypedDict):
    """What became of one change; a refused one carries `reason` and `detail` (and what it names)."""

    change_id: str
    status: PushStatus
    rev: int
    conflicts: list[Conflict]
    accepted: NotRequired[int | None]
    original: NotRequired[Applied | None]
    reason: NotRequired[RefusalReason | None]
    detail: NotRequired[str | None]
    ops: NotRequired[list[str] | None]
    clients: NotRequired[list[str] | None]
    high_water: NotRequired[int | None]


class PushReply(TypedDict):
    results: list[PushResult]
    epoch: str


class FeedEntry(TypedDict):
    seq: int
    kind: str
    id: str
    change_id: str
    author: str
    doc: NotRequired[dict[str, Any] | None]
    deleted: NotRequired[bool | None]
    conflicts: NotRequired[list[Conflict] | None]
    ops: NotRequired[list[dict[str, Any]] | None]


class FeedPage(TypedDict):
    entries: list[FeedEntry]
    cursor: str
    more: bool
    epoch: str
