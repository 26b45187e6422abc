"""Pydantic request and response models: they validate input and publish the OpenAPI schema.

Opaque JSON (record fields, op payloads) is checked for nesting depth so that no document the server
stores can blow a reader's stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from studio.protocol import api, shapes
from studio.protocol import ids as pid
from studio.protocol.shapes import (
    Applied,
    BlobStatus,
    ConflictReason,
    PushStatus,
    RecordKind,
    RefusalReason,
    Role,
)

Sha256 = Annotated[str, Field(pattern=pid.SHA256_PATTERN, min_length=64, max_length=64)]
Hex32 = Annotated[str, Field(pattern=pid.HEX32_PATTERN, min_length=32, max_length=32)]
SpaceId = Annotated[str, Field(pattern=pid.SPACE_ID_PATTERN, min_length=6, max_length=32)]
RecordId = Annotated[str, Field(pattern=pid.RECORD_ID_PATTERN, min_length=1, max_length=128)]
ChangeId = Annotated[str, Field(pattern=pid.CHANGE_ID_PATTERN, min_length=8, max_length=128)]
OpId = Annotated[str, Field(pattern=pid.OP_ID_PATTERN, min_length=34, max_length=51)]
Username = Annotated[str, Field(pattern=pid.USERNAME_PATTERN, min_length=2, max_length=32)]


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value, iteratively (no recursion on hostile input)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _shallow(value: Any) -> Any:
    if json_depth(value) > api.MAX_JSON_DEPTH:
        raise ValueError(f"JSON nested deeper than {api.MAX_JSON_DEPTH} levels")
    return value


Fields = Annotated[dict[str, Any], AfterValidator(_shallow), Field(max_length=1000)]


M = TypeVar("M", bound=type[BaseModel])


def mirrors(shape: Any) -> Callable[[M], M]:
    """Check at import that a model has exactly the fields of its protocol shape (a TypedDict), required
    where the shape requires them: the protocol owns the document, the model validates and publishes it."""

    def check(model: M) -> M:
        fields = model.__pydantic_fields__
        required = {name for name, f in fields.items() if f.is_required()}
        if set(fields) != set(shape.__annotations__) or required != set(shape.__required_keys__):
            raise TypeError(f"{model.__name__} does not match studio.protocol.shapes.{shape.__name__}")
        return model

    return check


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HealthOut(BaseModel):
    status: Literal["ok"]
    epoch: str
    version: str


class SignupIn(Strict):
    username: Username
    password: Annotated[str, Field(min_length=8, max_length=1024)]


class AccountOut(BaseModel):
    id: str
    username: str


class AccountLookupOut(BaseModel):
    """Who a user name is on this server: the account id and the contributor id credits name it by."""

    id: str
    username: str
    contributor: str


class LoginIn(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    device_name: Annotated[str, Field(min_length=1, max_length=100)] = "device"
    ttl_seconds: Annotated[int, Field(ge=1, le=10 * 365 * 86400)] | None = None
    client_id: Hex32 | None = None  # the data folder's op client id, registered for this device


class TokenOut(BaseModel):
    token: str
    device_id: str
    expires_at: str
    account: AccountOut


class QuotaOut(BaseModel):
    bytes: int
    uploads: int
    records: int
    spaces: int


class MeOut(BaseModel):
    id: str
    username: str
    device_id: str
    usage: QuotaOut
    quotas: QuotaOut


class DeviceOut(BaseModel):
    id: str
    name: str
    created_at: str
    last_used_at: str
    expires_at: str
    current: bool


class SpaceIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]


class SpacePatch(Strict):
    """What an owner may change of a private space; a field left out stays as it is."""

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    commercial: StrictBool | None = None  # true or false, never "yes" or 1


class SpaceOut(BaseModel):
    id: str
    name: str
    kind: Literal["public", "private"]
    role: Role | None
    epoch: str
    commercial: bool = False


class MemberIn(Strict):
    role: Role


class MemberOut(BaseModel):
    username: str
    role: Role


@mirrors(shapes.RecordChange)
class RecordChangeIn(Strict):
    change_id: ChangeId
    kind: RecordKind
    id: RecordId
    base_rev: Annotated[int, Field(ge=0, le=2**62)] | None = None
    fields: Fields = Field(default_factory=dict)
    deleted: bool | None = None


class OpIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: OpId
    lamport: Annotated[int, Field(ge=0, le=2**62)]


def _shallow_op(op: OpIn) -> OpIn:
    _shallow(op.model_dump())
    return op


@mirrors(shapes.OpsChange)
class OpsChangeIn(Strict):
    change_id: ChangeId
    kind: Literal["ops"]
    project: RecordId
    ops: Annotated[
        list[Annotated[OpIn, AfterValidator(_shallow_op)]],
        Field(min_length=1, max_length=api.MAX_OPS_PER_CHANGE),
    ]


Change = Annotated[RecordChangeIn | OpsChangeIn, Field(discriminator="kind")]


class PushIn(Strict):
    changes: Annotated[list[Change], Field(min_length=1, max_length=api.MAX_CHANGES_PER_PUSH)]


class HeldIn(Strict):
    change_ids: Annotated[list[ChangeId], Field(min_length=1, max_length=api.MAX_CHANGES_PER_PUSH)]


class HeldOut(BaseModel):
    """Which of the caller's change ids the space holds: a client learns which confirmed changes a server
    restored from an older backup lost, whatever its cursor says."""

    held: list[str]


@mirrors(shapes.Conflict)
class ConflictOut(BaseModel):
    field: str
    reason: ConflictReason
    detail: str
    base: Any = None
    server: Any = None
    client: Any = None
    rev: int
    change_id: str


@mirrors(shapes.PushResult)
class PushResultOut(BaseModel):
    change_id: str
    status: PushStatus
    rev: int
    conflicts: list[ConflictOut]
    accepted: int | None = None
    original: Applied | None = None
    reason: RefusalReason | None = None
    detail: str | None = None
    ops: list[str] | None = None
    clients: list[str] | None = None
    high_water: int | None = None


@mirrors(shapes.PushReply)
class PushOut(BaseModel):
    results: list[PushResultOut]
    epoch: str


@mirrors(shapes.FeedEntry)
class FeedEntryOut(BaseModel):
    seq: int
    kind: str
    id: str
    change_id: str
    author: str
    doc: dict[str, Any] | None = None
    deleted: bool | None = None
    conflicts: list[ConflictOut] | None = None
    ops: list[dict[str, Any]] | None = None


@mirrors(shapes.FeedPage)
class FeedOut(BaseModel):
    entries: list[FeedEntryOut]
    cursor: str
    more: bool
    epoch: str


class RecordOut(BaseModel):
    kind: str
    id: str
    rev: int
    doc: dict[str, Any]
    deleted: bool
    conflicts: list[ConflictOut]
    owner: str


class SearchOut(BaseModel):
    results: list[RecordOut]
    next: str | None


class BlobIn(Strict):
    sha256: Sha256
    size: Annotated[int, Field(ge=0, le=2**53)]


class NegotiateIn(Strict):
    space: SpaceId
    blobs: Annotated[list[BlobIn], Field(min_length=1, max_length=api.MAX_BLOBS_PER_NEGOTIATION)]


class BlobNegotiationOut(BaseModel):
    sha256: str
    status: BlobStatus
    session_id: str | None = None
    part_size: int | None = None
    part_count: int | None = None
    parts_received: list[int] | None = None
    reason: str | None = None
    limit: int | None = None


class NegotiateOut(BaseModel):
    blobs: list[BlobNegotiationOut]


class UploadOut(BaseModel):
    session_id: str
    sha256: str
    size: int
    part_size: int
    part_count: int
    parts_received: list[int]


class PartOut(BaseModel):
    number: int
    size: int
    checksum: str


class CompleteOut(BaseModel):
    sha256: str
    size: int
    status: Literal["published"]


class ProblemOut(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None
