"""Blob negotiation, part upload, completion and ranged download."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from sqlalchemy import Connection, bindparam, exists, select
from starlette.requests import ClientDisconnect
from starlette.routing import Route

from studio.protocol import api, problems
from studio.protocol.checksum import PART_CHECKSUM_PATTERN, part_checksum
from studio.protocol.ids import HEX32_PATTERN, SHA256_PATTERN, is_sha256
from studio.server import schema, uploads
from studio.server.access import readable_space_filter
from studio.server.auth import Caller, CallerDep, MaybeCaller, bearer_token, caller_for, unauthenticated
from studio.server.context import Context, Ctx
from studio.server.direct_body import DIRECT_BODY, DirectBody
from studio.server.errors import ProblemError, not_found
from studio.server.models import CompleteOut, NegotiateIn, NegotiateOut, PartOut, UploadOut
from studio.server.routes.docs import problems as responses
from studio.server.running_hash import RunningHash

router = APIRouter(tags=["blobs"])
HASH_LAG = 2
"""Parts of one upload that may wait for the whole-upload hash before the next part is answered."""

SessionId = Annotated[str, Path(pattern=HEX32_PATTERN, min_length=32, max_length=32)]
BlobHash = Annotated[str, Path(pattern=SHA256_PATTERN, min_length=64, max_length=64)]
_BINARY = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


@router.post(api.NEGOTIATE, response_model=NegotiateOut, responses=responses(401, 403, 404))
def negotiate(body: NegotiateIn, caller: CallerDep, ctx: Ctx) -> NegotiateOut:
    return NegotiateOut(blobs=uploads.negotiate(ctx, caller, body))


@router.get(api.UPLOAD, response_model=UploadOut, responses=responses(401, 403, 404))
def upload_status(session_id: SessionId, caller: CallerDep, ctx: Ctx) -> UploadOut:
    return uploads.describe(ctx, caller, session_id)


@router.delete(api.UPLOAD, status_code=204, responses=responses(401, 403, 404, 409))
def abandon_upload(session_id: SessionId, caller: CallerDep, ctx: Ctx) -> Response:
    uploads.abandon(ctx, caller, session_id)
    return Response(status_code=204)


@router.put(
    api.UPLOAD_PART,
    response_model=PartOut,
    responses=responses(401, 403, 404, 409, 411, 413, 507),
    openapi_extra={"requestBody": {"required": True, "content": _BINARY}},
)
async def put_part(
    request: Request,
    session_id: SessionId,
    number: Annotated[int, Path(ge=1, le=api.MAX_PARTS)],
    part_checksum: Annotated[
        str,
        Header(alias=api.PART_CHECKSUM_HEADER, pattern=PART_CHECKSUM_PATTERN, min_length=32, max_length=32),
    ],
    ctx: Ctx,
) -> PartOut:
    return await take_part(request, ctx, session_id, number, part_checksum)


async def take_part(
    request: Request, ctx: Context, session_id: str, number: int, part_checksum: str
) -> PartOut:
    """One part, its parameters already valid (put_part, or PartFastLane for the common request)."""
    # The caller is resolved with the session, not by CallerDep: one worker-thread hop per part.
    token = bearer_token(request)
    if token is None:
        raise unauthenticated()
    length = _content_length(request)
    loop = asyncio.get_running_loop()
    row, already = await loop.run_in_executor(
        None, _admit, request, ctx, token, session_id, number, length, part_checksum
    )
    if already:
        return PartOut(number=number, size=length, checksum=part_checksum)
    running = ctx.running.get(session_id)
    if running is None:  # made once per upload, not for every part (this is the event loop: no race)
        running = ctx.running[session_id] = RunningHash(ctx.hasher, ctx.held)
    async with running.receiving.setdefault(number, asyncio.Lock()):
        recorded = running.recorded.get(number)
        if recorded is None:
            await _receive_part(request, ctx, row, number, length, part_checksum, running)
        elif recorded != part_checksum:
            raise ProblemError(
                409, f"part {number} was already received with another checksum", problems.PART_CONFLICT
            )
    return PartOut(number=number, size=length, checksum=part_checksum)


def _admit(
    request: Request, ctx: Context, token: str, session_id: str, number: int, length: int, checksum: str
) -> tuple[Any, bool]:
    """The caller and their part's session, in one read transaction; the account is noted for the access
    log as soon as it is known, so refused parts are logged with it."""
    with ctx.db.read() as conn:
        caller = caller_for(ctx, conn, token)
        request.state.account = caller.username
        return uploads.admit_part(conn, caller, session_id, number, length, checksum)


async def _receive_part(
    request: Request, ctx: Context, row: Any, number: int, length: int, checksum: str, running: RunningHash
) -> None:
    """Receive, verify and record one part, and take it into the whole-upload hash (as it arrives when it
    is the next part in order); the caller holds the part's lock."""
    inline = running.begin_inline(number)
    try:
        chunks = await _take_body(
            request, ctx, row, number, length, checksum, running.feed_inline if inline else None
        )
    except BaseException:
        if inline:
            running.end_inline(number, None)
        raise
    running.recorded[number] = checksum
    if inline:
        running.end_inline(number, length)
    elif not running.landed(number, chunks):
        return
    await running.caught_up(number, HASH_LAG)


async def _take_body(
    request: Request,
    ctx: Context,
    row: Any,
    number: int,
    length: int,
    checksum: str,
    whole: Callable[[list[bytes]], None] | None,
) -> list[bytes]:
    """The part's body, checked against its length and checksum, written and recorded."""
    part_hash = part_checksum()
    writer = ctx.store.part_writer(row.id, row.store_ref, (number - 1) * row.part_size)
    receiver = uploads.PartReceiver(ctx.receivers, length, part_hash, writer, whole)
    direct: DirectBody | None = request.scope.get("extensions", {}).get(DIRECT_BODY)
    try:
        if direct is not None:
            await direct.read_into(receiver.add)
        else:
            async for chunk in request.stream():
                receiver.add(chunk)
    except ClientDisconnect:
        raise ProblemError(400, "the client went away before sending the whole part") from None
    finally:
        try:
            await receiver.finish()
        finally:
            if writer is not None:
                writer.close()
    if receiver.received != length:
        raise ProblemError(400, f"the body has {receiver.received} bytes, Content-Length said {length}")
    if part_hash.hexdigest() != checksum:
        raise ProblemError(
            422, f"part {number} does not match its {api.PART_CHECKSUM_HEADER}", problems.HASH_MISMATCH
        )
    await asyncio.get_running_loop().run_in_executor(
        None, uploads.store_part, ctx, row, number, receiver.chunks, checksum, writer is not None
    )
    return receiver.chunks


@router.post(api.UPLOAD_COMPLETE, response_model=CompleteOut, responses=responses(401, 403, 404, 409))
async def complete_upload(session_id: SessionId, caller: CallerDep, ctx: Ctx) -> CompleteOut:
    running = ctx.running.get(session_id)
    if running is not None:
        await running.settled()
    # Completions of one session take turns in this process; across processes the session's recorded
    # state decides (uploads.complete).
    lock = ctx.completing.setdefault(session_id, asyncio.Lock())
    try:
        async with lock:
            sha, size = await run_in_threadpool(uploads.complete, ctx, caller, session_id)
    finally:
        if not lock.locked():
            ctx.completing.pop(session_id, None)
    return CompleteOut(sha256=sha, size=size, status="published")


@router.get(
    api.BLOB,
    response_class=StreamingResponse,
    responses={
        200: {"description": "The blob", "content": _BINARY},
        206: {"description": "The requested range", "content": _BINARY},
        304: {"description": "Not modified (If-None-Match)"},
        **responses(401, 404, 416),
    },
)
def download(
    request: Request,
    sha256: BlobHash,
    caller: MaybeCaller,
    ctx: Ctx,
) -> Response:
    return _serve(request, sha256, caller, ctx, body=True)


@router.head(api.BLOB, include_in_schema=False)
def head(
    request: Request,
    sha256: BlobHash,
    caller: MaybeCaller,
    ctx: Ctx,
) -> Response:
    return _serve(request, sha256, caller, ctx, body=False)


def _serve(request: Request, sha256: str, caller: Caller | None, ctx: Context, body: bool) -> Response:
    if not is_sha256(sha256):
        raise ProblemError(422, "a blob id is 64 lowercase hex digits")
    with ctx.db.read() as conn:
        size = _readable_size(conn, sha256, caller)
    if size is None:
        raise not_found(f"blob {sha256}")
    etag = f'"{sha256}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, max-age=31536000, immutable",
    }
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    start, end, status = 0, size, 200
    wanted = _parse_range(request.headers.get("range"), size)
    if_range = request.headers.get("if-range")
    if wanted is not None and (if_range is None or if_range.strip() == etag):
        if wanted == "unsatisfiable":
            raise ProblemError(
                416,
                f"the range is outside the blob's {size} bytes",
                headers={"Content-Range": f"bytes */{size}"},
            )
        start, end = wanted
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    if not body:
        return Response(status_code=status, headers=headers, media_type="application/octet-stream")
    chunks = ctx.store.read_range(sha256, start, end)
    return StreamingResponse(
        chunks, status_code=status, headers=headers, media_type="application/octet-stream"
    )


_SIZE = select(schema.blobs.c.size).where(schema.blobs.c.sha256 == bindparam("sha256"))
_UPLOADED = select(
    exists().where(
        schema.blob_uploaders.c.sha256 == bindparam("sha256"),
        schema.blob_uploaders.c.account_id == bindparam("account_id"),
    )
)


def _readable_size(conn: Connection, sha256: str, caller: Caller | None) -> int | None:
    """The blob's size if the caller may read it, else None. The same three statements run whether the
    blob is missing, hidden or readable, so the time of a 404 does not tell whether the blob exists."""
    r = schema.blob_refs
    params = {"sha256": sha256, "account_id": caller.account_id if caller is not None else ""}
    size = conn.execute(_SIZE, params).scalar()
    uploaded = bool(conn.execute(_UPLOADED, params).scalar())
    referenced = bool(
        conn.execute(
            select(
                exists().where(
                    r.c.sha256 == sha256, r.c.granted.is_(True), readable_space_filter(r.c.space_id, caller)
                )
            )
        ).scalar()
    )
    if size is None or not (uploaded or referenced):
        return None
    return int(size)


def _content_length(request: Request) -> int:
    value = request.headers.get("content-length")
    if value is None:
        raise ProblemError(411, "a part needs a Content-Length header; chunked bodies are refused")
    if not value.isdigit() or len(value) > 15:
        raise ProblemError(400, f"Content-Length {value[:20]!r} is not a byte count")
    return int(value)


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    return any(tag.strip() in (etag, "*") for tag in header.split(","))


_RANGE = re.compile(r"bytes=[ \t]*([0-9]{0,19})-([0-9]{0,19})[ \t]*", re.ASCII)
"""One range of ASCII digits, at most 19 of them (every blob offset fits): anything longer, non-ASCII
digits or several ranges are malformed, and a malformed Range header is ignored, as RFC 9110 allows."""


def _parse_range(header: str | None, size: int) -> Any:
    """(start, end_exclusive), "unsatisfiable", or None to serve the whole blob (absent, malformed or
    multi-range headers are ignored, as RFC 9110 allows)."""
    match = _RANGE.fullmatch(header) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            return "unsatisfiable"
        return max(0, size - suffix), size
    start = int(first)
    end = size if not last else min(int(last) + 1, size)
    if last and int(last) < start:
        return None
    if start >= size:
        return "unsatisfiable"
    return start, end


_PART_PATH = re.compile(re.escape(api.PREFIX) + r"/uploads/([0-9a-f]{32})/parts/([1-9][0-9]{0,4})")
_CHECKSUM_HEADER = api.PART_CHECKSUM_HEADER.lower().encode("ascii")
_CHECKSUM = re.compile(PART_CHECKSUM_PATTERN)


class PartFastLane:
    """The route of a well-formed part upload, ahead of FastAPI's routing: a part is the one request a
    client sends hundreds of in a row, and FastAPI's matching, dependency solving and response model
    cost about a millisecond of the event loop per part (bench/server.py, docs/decisions.md). A request
    whose session id, part number and checksum header are exactly what put_part accepts is handed to
    take_part here; any other goes to put_part itself (`declared`), whose validation answers it. The
    middlewares run for both, and put_part stays what OpenAPI describes."""

    def __init__(self, declared: Any) -> None:
        self.declared = declared

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        found = _PART_PATH.fullmatch(scope["path"])
        checksums = [value for name, value in scope["headers"] if name == _CHECKSUM_HEADER]
        number = int(found.group(2)) if found is not None else 0
        if (
            found is None
            or not 1 <= number <= api.MAX_PARTS
            or len(checksums) != 1
            or not _CHECKSUM.fullmatch(checksums[0].decode("latin-1"))
        ):
            await self.declared(scope, receive, send)
            return
        request = Request(scope, receive, send)
        out = await take_part(
            request, request.app.state.ctx, found.group(1), number, checksums[0].decode("ascii")
        )
        await Response(out.model_dump_json(), media_type="application/json")(scope, receive, send)


def part_fast_lane() -> Route:
    """The fast lane's route, to be put ahead of every other (studio.server.app)."""
    declared = next(
        route
        for route in router.routes
        if isinstance(route, APIRoute) and route.path == api.UPLOAD_PART and "PUT" in (route.methods or ())
    )
    return Route(api.UPLOAD_PART, PartFastLane(declared.app), methods=["PUT"], include_in_schema=False)
