"""Blob repair: a reader reports that a blob's download did not hash to its name.

The server re-hashes its copy. A copy that is intact is left alone (the damage was on the way). A corrupt
copy is taken out of service: its row goes (so negotiation answers `upload` to the next account that has
the bytes, which republishes it) and its bytes are deleted; records and grants that name it stay, so it
is readable again as soon as a good copy lands. Re-hashing costs a full read, so one blob is re-hashed at
most once per VERIFY_INTERVAL seconds.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy import delete, insert, select, update

from studio.protocol import api
from studio.protocol.ids import SHA256_PATTERN
from studio.server import schema
from studio.server.access import can_read_blob
from studio.server.auth import Caller, CallerDep
from studio.server.context import Context, Ctx
from studio.server.errors import not_found
from studio.server.routes.docs import problems as responses

router = APIRouter(tags=["blobs"])

BlobHash = Annotated[str, Path(pattern=SHA256_PATTERN, min_length=64, max_length=64)]
VERIFY_INTERVAL = 600.0


class VerifyOut(BaseModel):
    sha256: str
    status: str  # "intact" | "quarantined" | "recently-checked"


@router.post(api.BLOB_VERIFY, response_model=VerifyOut, responses=responses(401, 404))
async def verify_blob(sha256: BlobHash, caller: CallerDep, ctx: Ctx) -> VerifyOut:
    return await run_in_threadpool(_verify, ctx, sha256, caller)


def _verify(ctx: Context, sha256: str, caller: Caller) -> VerifyOut:
    key = f"verified:{sha256}"
    m = schema.meta
    with ctx.db.write() as conn:
        if not can_read_blob(conn, sha256, caller):
            raise not_found(f"blob {sha256}")
        last = conn.execute(select(m.c.value).where(m.c.key == key)).scalar_one_or_none()
        now = ctx.clock.now()
        if last is not None and now - float(last) < VERIFY_INTERVAL:
            return VerifyOut(sha256=sha256, status="recently-checked")
        if last is None:
            conn.execute(insert(m).values(key=key, value=repr(now)))
        else:
            conn.execute(update(m).where(m.c.key == key).values(value=repr(now)))
        size = conn.execute(select(schema.blobs.c.size).where(schema.blobs.c.sha256 == sha256)).scalar_one()
    if ctx.store.digest(sha256) == (sha256, size):
        return VerifyOut(sha256=sha256, status="intact")
    with ctx.db.write() as conn:
        conn.execute(delete(schema.blobs).where(schema.blobs.c.sha256 == sha256))
    ctx.store.delete(sha256)
    return VerifyOut(sha256=sha256, status="quarantined")
