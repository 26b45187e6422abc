"""Garbage collection: blobs no current record references (after a grace period) and stale uploads.

The blob row is deleted first (in a transaction that re-checks that nothing references the blob and no
upload of it is under way), then the bytes, so no reader is ever handed a row without content for long.
"""

from __future__ import annotations

import logging

from sqlalchemy import and_, delete, exists, func, or_, select

from studio.server import schema
from studio.server.context import Context

log = logging.getLogger("studio.server.garbage")


def collect(ctx: Context, now: float | None = None) -> dict[str, int]:
    """One pass; returns how many blobs and upload sessions were removed."""
    now = ctx.clock.now() if now is None else now
    b, r, us = schema.blobs, schema.blob_refs, schema.upload_sessions
    deadline = now - ctx.settings.gc_grace
    unreferenced = and_(
        ~exists().where(r.c.sha256 == b.c.sha256),
        ~exists().where(us.c.sha256 == b.c.sha256, us.c.state.in_(("open", "verified"))),
        func.coalesce(b.c.released_at, b.c.created_at) < deadline,
        b.c.created_at < deadline,
    )
    removed_blobs = 0
    with ctx.db.read() as conn:
        candidates = list(conn.execute(select(b.c.sha256).where(unreferenced).limit(1000)).scalars())
    for sha in candidates:
        with ctx.db.write() as conn:
            gone = conn.execute(delete(b).where(b.c.sha256 == sha, unreferenced)).rowcount
            if gone:
                conn.execute(delete(schema.blob_uploaders).where(schema.blob_uploaders.c.sha256 == sha))
        if gone:
            ctx.store.delete(sha)
            removed_blobs += 1
    stale = or_(
        and_(us.c.state.in_(("open", "verified")), us.c.created_at < now - ctx.settings.upload_ttl),
        and_(us.c.state == "done", us.c.created_at < now - ctx.settings.upload_ttl),
    )
    with ctx.db.read() as conn:
        sessions = conn.execute(select(us.c.id, us.c.state, us.c.store_ref).where(stale).limit(1000)).all()
    for session in sessions:
        ctx.forget_upload(session.id)
        if session.state != "done":
            ctx.store.discard(session.id, session.store_ref)
        with ctx.db.write() as conn:
            conn.execute(delete(schema.upload_parts).where(schema.upload_parts.c.session_id == session.id))
            conn.execute(delete(us).where(us.c.id == session.id))
    if removed_blobs or sessions:
        log.info("gc removed %d blobs and %d upload sessions", removed_blobs, len(sessions))
    return {"blobs": removed_blobs, "sessions": len(sessions)}
