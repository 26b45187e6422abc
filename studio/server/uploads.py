"""Upload sessions: negotiation, durable parts, and verified publication of the whole blob.

Order of completion: all parts present -> staged object assembled -> whole SHA-256 and size verified ->
session marked verified -> object published under its hash -> blob row committed. The row is what makes a
blob visible, so a crash at any step leaves nothing half-visible, and completing again picks up from the
recorded state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from studio.protocol import api, problems
from studio.server import failpoints, schema
from studio.server.access import can_read_blob, write_space
from studio.server.auth import Caller
from studio.server.blobstore import PartWriter
from studio.server.context import Context
from studio.server.errors import ProblemError, not_found
from studio.server.models import BlobNegotiationOut, NegotiateIn, UploadOut
from studio.server.security import new_id

LIVE = ("open", "verified")


def negotiate(ctx: Context, caller: Caller, body: NegotiateIn) -> list[BlobNegotiationOut]:
    us = schema.upload_sessions
    answers: dict[str, BlobNegotiationOut] = {}
    to_open: list[tuple[str, int]] = []
    with ctx.db.read() as conn:
        write_space(conn, body.space, caller)
        for blob in body.blobs:
            if blob.sha256 in answers or any(blob.sha256 == s for s, _ in to_open):
                continue
            if blob.size > ctx.settings.max_blob_size:
                answers[blob.sha256] = BlobNegotiationOut(
                    sha256=blob.sha256,
                    status="rejected",
                    reason="too-large",
                    limit=ctx.settings.max_blob_size,
                )
            elif can_read_blob(conn, blob.sha256, caller):
                answers[blob.sha256] = BlobNegotiationOut(sha256=blob.sha256, status="present")
            else:
                row = conn.execute(
                    select(us)
                    .where(
                        us.c.account_id == caller.account_id,
                        us.c.sha256 == blob.sha256,
                        us.c.size == blob.size,
                        us.c.space_id == body.space,
                        us.c.state.in_(LIVE),
                    )
                    .order_by(us.c.created_at.desc())
                    .limit(1)
                ).first()
                if row is None:
                    to_open.append((blob.sha256, blob.size))
                else:
                    answers[blob.sha256] = _upload_answer(
                        row.id, row.sha256, row.size, row.part_size, _received(conn, row.id)
                    )
    for sha, size in to_open:
        session_id = new_id()
        store_ref = ctx.store.begin(session_id, size)
        row_values = {
            "id": session_id,
            "account_id": caller.account_id,
            "sha256": sha,
            "size": size,
            "part_size": api.PART_SIZE,
            "space_id": body.space,
            "created_at": time.time(),
            "state": "open",
            "store_ref": store_ref,
        }
        with ctx.db.write() as conn:
            conn.execute(insert(us).values(**row_values))
        answers[sha] = _upload_answer(session_id, sha, size, api.PART_SIZE, [])
    return _in_order(body, answers)


def _in_order(body: NegotiateIn, answers: dict[str, BlobNegotiationOut]) -> list[BlobNegotiationOut]:
    out, seen = [], set()
    for blob in body.blobs:
        if blob.sha256 not in seen:
            seen.add(blob.sha256)
            out.append(answers[blob.sha256])
    return out


def _upload_answer(
    session_id: str, sha256: str, size: int, part_size: int, received: list[int]
) -> BlobNegotiationOut:
    return BlobNegotiationOut(
        sha256=sha256,
        status="upload",
        session_id=session_id,
        part_size=part_size,
        part_count=api.part_count(size, part_size),
        parts_received=received,
    )


def _received(conn: Connection, session_id: str) -> list[int]:
    p = schema.upload_parts
    return list(
        conn.execute(select(p.c.number).where(p.c.session_id == session_id).order_by(p.c.number)).scalars()
    )


_SESSION = select(schema.upload_sessions).where(schema.upload_sessions.c.id == bindparam("session_id"))
_PART_CHECKSUM = select(schema.upload_parts.c.checksum).where(
    schema.upload_parts.c.session_id == bindparam("session_id"),
    schema.upload_parts.c.number == bindparam("number"),
)
_RECORD_PART = insert(schema.upload_parts)
"""The statements of every part, built once: building one costs more than SQLite answering it."""


def load_session(conn: Connection, session_id: str, caller: Caller) -> Any:
    """The caller's own session in a space they may still write to; 404 for anything else."""
    row = conn.execute(_SESSION, {"session_id": session_id}).first()
    if row is None or row.account_id != caller.account_id:
        raise not_found(f"upload session {session_id}")
    write_space(conn, row.space_id, caller)
    return row


def describe(ctx: Context, caller: Caller, session_id: str) -> UploadOut:
    with ctx.db.read() as conn:
        row = load_session(conn, session_id, caller)
        received = _received(conn, session_id)
    return UploadOut(
        session_id=row.id,
        sha256=row.sha256,
        size=row.size,
        part_size=row.part_size,
        part_count=api.part_count(row.size, row.part_size),
        parts_received=received,
    )


def admit_part(
    conn: Connection, caller: Caller, session_id: str, number: int, length: int, checksum: str
) -> tuple[Any, bool]:
    """Everything that can be judged before reading a byte, read on the caller's transaction: their
    session, and whether the same part is already stored (then the body need not be read at all)."""
    row = load_session(conn, session_id, caller)
    existing = conn.execute(_PART_CHECKSUM, {"session_id": session_id, "number": number}).scalar()
    if row.state != "open":
        raise ProblemError(409, f"upload session {session_id} is already {row.state}", problems.CONFLICT)
    count = api.part_count(row.size, row.part_size)
    if number > count:
        raise ProblemError(422, f"part {number} is beyond this blob's {count} parts")
    expected = api.part_length(row.size, number, row.part_size)
    if length > row.part_size:
        raise ProblemError(413, f"a part holds at most {row.part_size} bytes, not {length}")
    if length != expected:
        raise ProblemError(
            422, f"part {number} must be exactly {expected} bytes, Content-Length says {length}"
        )
    if existing is not None and existing != checksum:
        raise ProblemError(
            409, f"part {number} was already received with another checksum", problems.PART_CONFLICT
        )
    return row, existing is not None


class PartReceiver:
    """Collects one part's body and hashes it (and, given a writer, stores it) while it arrives.

    The work runs on the worker threads in two lanes, each fed the bytes received so far strictly in order
    and a batch at a time: one lane updates the part's checksum, the other hands the bytes to the store's
    writer. Neither lane waits for the other, so the slower one (writing fresh pages into the page cache) is
    kept busy and little is left when the last byte is in. xxhash and os.pwrite release the GIL, so the event
    loop keeps receiving meanwhile. (The whole-upload SHA-256 is computed afterwards, off the request's path:
    studio.server.running_hash.)
    """

    BATCH = 1 << 20

    def __init__(self, pool: Executor, length: int, checksum: Any, writer: PartWriter | None) -> None:
        self.buffer = bytearray(length)
        self._view = memoryview(self.buffer)
        self._lanes = [_Lane(pool, _hashing(checksum))]
        if writer is not None:
            self._lanes.append(_Lane(pool, writer.write))
        self.received = 0

    def add(self, chunk: bytes) -> None:
        end = self.received + len(chunk)
        if end > len(self.buffer):
            raise ProblemError(400, "the body is longer than its Content-Length")
        self._view[self.received : end] = chunk
        self.received = end
        for lane in self._lanes:
            if lane.idle() and self.received - lane.fed >= self.BATCH:
                lane.feed(self._view, self.received)

    async def finish(self) -> None:
        """Wait until every received byte has been consumed, then raise what a consumer raised: no lane is
        left running, so the writer can be closed."""
        while True:
            running = [asyncio.wrap_future(lane.pending) for lane in self._lanes if lane.pending is not None]
            await asyncio.gather(*running, return_exceptions=True)
            for lane in self._lanes:
                lane.settle()
            behind = [lane for lane in self._lanes if lane.fed < self.received]
            if not behind:
                return
            for lane in behind:
                lane.feed(self._view, self.received)


class _Lane:
    """One consumer of a part's bytes: at most one batch in flight, batches in order."""

    def __init__(self, pool: Executor, consume: Callable[[memoryview, int], None]) -> None:
        self._pool = pool
        self._consume = consume
        self.pending: Future[None] | None = None
        self.fed = 0

    def idle(self) -> bool:
        return self.pending is None or self.pending.done()

    def settle(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def feed(self, view: memoryview, upto: int) -> None:
        self.settle()
        self.pending = self._pool.submit(self._consume, view[self.fed : upto], self.fed)
        self.fed = upto


def _hashing(digest: Any) -> Callable[[memoryview, int], None]:
    def feed(piece: memoryview, _position: int) -> None:
        digest.update(piece)

    return feed


def store_part(
    ctx: Context, row: Any, number: int, data: bytes | bytearray, checksum: str, written: bool
) -> None:
    """Write the verified part unless its bytes were written while arriving, then record it (a crash in
    between only costs a resend)."""
    etag = ""
    if not written:
        etag = ctx.store.put_part(row.id, row.store_ref, number, (number - 1) * row.part_size, data)
    try:
        with ctx.db.write() as conn:
            conn.execute(
                _RECORD_PART,
                {
                    "session_id": row.id,
                    "number": number,
                    "checksum": checksum,
                    "size": len(data),
                    "etag": etag,
                },
            )
    except IntegrityError:
        pass


def complete(ctx: Context, caller: Caller, session_id: str) -> tuple[str, int]:
    us, parts = schema.upload_sessions, schema.upload_parts
    with ctx.db.read() as conn:
        row = load_session(conn, session_id, caller)
        received = conn.execute(
            select(parts.c.number, parts.c.etag)
            .where(parts.c.session_id == session_id)
            .order_by(parts.c.number)
        ).all()
    if row.state == "done":
        return row.sha256, row.size
    if row.state == "open":
        count = api.part_count(row.size, row.part_size)
        missing = sorted(set(range(1, count + 1)) - {r.number for r in received})
        if missing:
            raise ProblemError(
                409,
                f"{len(missing)} of {count} parts are missing",
                problems.UPLOAD_INCOMPLETE,
                missing=missing[:1000],
            )
        ctx.store.assemble(session_id, row.store_ref, [(r.number, r.etag) for r in received], row.size)
        running = ctx.forget_upload(session_id)
        if running is not None and running.covers(count) and ctx.store.has_staged(session_id):
            digest: tuple[str, int] | None = (running.digest.hexdigest(), running.size)
        else:
            digest = ctx.store.staged_digest(session_id)
        if digest != (row.sha256, row.size):
            _drop(ctx, row)
            got = "nothing" if digest is None else f"{digest[1]} bytes hashing to {digest[0]}"
            raise ProblemError(
                422,
                f"the uploaded content is {got}, not {row.size} bytes hashing to "
                f"{row.sha256}; the session is discarded",
                problems.HASH_MISMATCH,
            )
        with ctx.db.write() as conn:
            conn.execute(update(us).where(us.c.id == session_id).values(state="verified"))
    try:
        ctx.store.publish(session_id, row.sha256)
    except FileNotFoundError:
        _drop(ctx, row)
        raise ProblemError(
            409, "the staged upload was lost; negotiate again", problems.UPLOAD_INCOMPLETE, missing=[]
        ) from None
    failpoints.hit("blob-published")
    _commit_blob(ctx, row)
    return row.sha256, row.size


def _commit_blob(ctx: Context, row: Any) -> None:
    b, u, r = schema.blobs, schema.blob_uploaders, schema.blob_refs
    with ctx.db.write() as conn:
        if conn.execute(select(b.c.sha256).where(b.c.sha256 == row.sha256)).first() is None:
            conn.execute(insert(b).values(sha256=row.sha256, size=row.size, created_at=time.time()))
        if (
            conn.execute(
                select(u.c.sha256).where(u.c.sha256 == row.sha256, u.c.account_id == row.account_id)
            ).first()
            is None
        ):
            conn.execute(insert(u).values(sha256=row.sha256, account_id=row.account_id))
        conn.execute(
            update(r)
            .where(and_(r.c.sha256 == row.sha256, r.c.author_id == row.account_id))
            .values(granted=True)
        )
        conn.execute(delete(schema.upload_parts).where(schema.upload_parts.c.session_id == row.id))
        conn.execute(
            update(schema.upload_sessions).where(schema.upload_sessions.c.id == row.id).values(state="done")
        )


def abandon(ctx: Context, caller: Caller, session_id: str) -> None:
    with ctx.db.read() as conn:
        row = load_session(conn, session_id, caller)
    if row.state == "done":
        raise ProblemError(409, f"upload session {session_id} is already complete")
    _drop(ctx, row)


def _drop(ctx: Context, row: Any) -> None:
    ctx.forget_upload(row.id)
    ctx.store.discard(row.id, row.store_ref)
    with ctx.db.write() as conn:
        conn.execute(delete(schema.upload_parts).where(schema.upload_parts.c.session_id == row.id))
        conn.execute(delete(schema.upload_sessions).where(schema.upload_sessions.c.id == row.id))
