"""Upload sessions: negotiation, durable parts, and verified publication of the whole blob.

Order of completion: all parts present -> staged object assembled -> whole SHA-256 and size verified ->
session marked verified -> object published under its hash -> blob row committed. The row is what makes a
blob visible, so a crash at any step leaves nothing half-visible, and completing again picks up from the
recorded state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from studio.protocol import api, problems
from studio.server import failpoints, quotas, schema
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
    if to_open:
        opened = _open_sessions(ctx, caller, body.space, to_open)
        for (sha, size), session_id in zip(to_open, opened, strict=True):
            answers[sha] = _upload_answer(session_id, sha, size, api.PART_SIZE, [])
    return _in_order(body, answers)


def _open_sessions(ctx: Context, caller: Caller, space: str, blobs: list[tuple[str, int]]) -> list[str]:
    """Open one session per blob, all or none: the account's quotas of open sessions and of bytes (its
    stored blobs plus the announced size of every open session) are checked first, in the same
    transaction, so staging space is reserved before any byte arrives."""
    now = ctx.clock.now()
    rows: list[dict[str, Any]] = [
        {
            "id": new_id(),
            "account_id": caller.account_id,
            "sha256": sha,
            "size": size,
            "part_size": api.PART_SIZE,
            "space_id": space,
            "created_at": now,
            "state": "open",
            "store_ref": "",
        }
        for sha, size in blobs
    ]
    with ctx.db.read() as conn:
        _within_quotas(ctx, conn, caller, blobs)
    for row in rows:
        row["store_ref"] = ctx.store.begin(row["id"], row["size"])
    try:
        with ctx.db.write() as conn:
            quotas.lock_account(conn, caller.account_id)
            _within_quotas(ctx, conn, caller, blobs)
            conn.execute(insert(schema.upload_sessions), rows)
    except BaseException:
        for row in rows:
            ctx.store.discard(row["id"], row["store_ref"])
        raise
    return [row["id"] for row in rows]


def _within_quotas(ctx: Context, conn: Connection, caller: Caller, blobs: list[tuple[str, int]]) -> None:
    used = quotas.usage(conn, caller.account_id)
    quotas.require(ctx.settings, used, "uploads", len(blobs))
    quotas.require(ctx.settings, used, "bytes", sum(size for _, size in blobs))


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

    The body is kept as the chunks the HTTP layer delivered, so a part holds only the bytes that have
    arrived: a client that announces a part and stalls costs what it sent, not what it announced. The
    work runs on the worker threads in two lanes, each fed the chunks received so far strictly in order
    and about a megabyte at a time: one lane updates the part's checksum, the other hands the bytes to
    the store's writer. Neither lane waits for the other. xxhash and os.pwrite release the GIL, so the
    event loop keeps receiving meanwhile. Given `whole`, the chunks are also handed to it in order, in
    the same batches, without waiting for it: the whole-upload SHA-256 (studio.server.running_hash).
    """

    BATCH = 1 << 20

    def __init__(
        self,
        pool: Executor,
        length: int,
        checksum: Any,
        writer: PartWriter | None,
        whole: Callable[[list[bytes]], None] | None = None,
    ) -> None:
        self.length = length
        self.chunks: list[bytes] = []
        self._lanes = [_Lane(pool, _hashing(checksum))]
        self._whole = whole
        self._whole_fed = 0
        self._whole_fed_bytes = 0
        if writer is not None:
            self._lanes.append(_Lane(pool, _writing(writer)))
        self.received = 0

    def add(self, chunk: bytes) -> None:
        if not chunk:
            return
        end = self.received + len(chunk)
        if end > self.length:
            raise ProblemError(400, "the body is longer than its Content-Length")
        self.chunks.append(chunk)
        self.received = end
        for lane in self._lanes:
            if self.received - lane.fed_bytes >= self.BATCH and lane.idle():
                lane.feed(self.chunks, self.received)
        if self._whole is not None and self.received - self._whole_fed_bytes >= self.BATCH:
            self._feed_whole()

    def _feed_whole(self) -> None:
        if self._whole is not None and self._whole_fed < len(self.chunks):
            self._whole(self.chunks[self._whole_fed :])
            self._whole_fed, self._whole_fed_bytes = len(self.chunks), self.received

    async def finish(self) -> None:
        """Wait until every received byte has been consumed, then raise what a consumer raised: no lane is
        left running, so the writer can be closed. The rest goes to `whole`, which is not waited for."""
        self._feed_whole()
        while True:
            running = [asyncio.wrap_future(lane.pending) for lane in self._lanes if lane.pending is not None]
            await asyncio.gather(*running, return_exceptions=True)
            for lane in self._lanes:
                lane.settle()
            behind = [lane for lane in self._lanes if lane.fed_bytes < self.received]
            if not behind:
                return
            for lane in behind:
                lane.feed(self.chunks, self.received)


class _Lane:
    """One consumer of a part's chunks: at most one batch in flight, batches in order."""

    def __init__(self, pool: Executor, consume: Callable[[list[bytes], int], None]) -> None:
        self._pool = pool
        self._consume = consume
        self.pending: Future[None] | None = None
        self.fed = 0
        self.fed_bytes = 0

    def idle(self) -> bool:
        return self.pending is None or self.pending.done()

    def settle(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def feed(self, chunks: list[bytes], received: int) -> None:
        self.settle()
        upto = len(chunks)
        self.pending = self._pool.submit(self._consume, chunks[self.fed : upto], self.fed_bytes)
        self.fed, self.fed_bytes = upto, received


def _hashing(digest: Any) -> Callable[[list[bytes], int], None]:
    def feed(chunks: list[bytes], _position: int) -> None:
        for chunk in chunks:
            digest.update(chunk)

    return feed


def _writing(writer: PartWriter) -> Callable[[list[bytes], int], None]:
    def feed(chunks: list[bytes], position: int) -> None:
        writer.write_chunks(chunks, position)

    return feed


def store_part(ctx: Context, row: Any, number: int, data: list[bytes], checksum: str, written: bool) -> None:
    """Write the verified part unless its bytes were written while arriving, then record it (a crash in
    between only costs a resend)."""
    etag = ""
    if not written:
        whole = b"".join(data)
        etag = ctx.store.put_part(row.id, row.store_ref, number, (number - 1) * row.part_size, whole)
    try:
        with ctx.db.write() as conn:
            conn.execute(
                _RECORD_PART,
                {
                    "session_id": row.id,
                    "number": number,
                    "checksum": checksum,
                    "size": sum(len(chunk) for chunk in data),
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
            if _published_meanwhile(ctx, row):
                return row.sha256, row.size
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
        if _published_meanwhile(ctx, row):
            return row.sha256, row.size
        _drop(ctx, row)
        raise ProblemError(
            409, "the staged upload was lost; negotiate again", problems.UPLOAD_INCOMPLETE, missing=[]
        ) from None
    failpoints.hit("blob-published")
    _commit_blob(ctx, row)
    return row.sha256, row.size


def _published_meanwhile(ctx: Context, row: Any) -> bool:
    """Whether another completion of the same session (another request, another server process) has
    published the blob while this one looked at the staged bytes it moved away: then this completion
    succeeded too, and nothing may be discarded."""
    with ctx.db.read() as conn:
        state = conn.execute(
            select(schema.upload_sessions.c.state).where(schema.upload_sessions.c.id == row.id)
        ).scalar()
    return state == "done"


def _commit_blob(ctx: Context, row: Any) -> None:
    b, u, r = schema.blobs, schema.blob_uploaders, schema.blob_refs
    with ctx.db.write() as conn:
        if conn.execute(select(b.c.sha256).where(b.c.sha256 == row.sha256)).first() is None:
            conn.execute(insert(b).values(sha256=row.sha256, size=row.size, created_at=ctx.clock.now()))
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
