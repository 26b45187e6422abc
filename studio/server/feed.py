"""Reading a space's change feed: pages of live entries, and cursors that carry the server's epoch and the
stamp of the entry they stopped at, so a client of a restored or different database reconciles instead of
skipping changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from studio.protocol.cursor import Cursor
from studio.server import schema


def cursor_for(conn: Connection, space_id: str, seq: int, epoch: str) -> Cursor:
    stamp = ""
    if seq > 0:
        stamp = conn.execute(
            select(schema.changes.c.stamp).where(
                schema.changes.c.space_id == space_id, schema.changes.c.seq == seq
            )
        ).scalar_one()
    return Cursor(epoch=epoch, seq=seq, stamp=stamp)


def check_cursor(conn: Connection, space: Any, cursor: Cursor, epoch: str) -> str | None:
    """Why the cursor is not from this server's history of the space, or None when it is."""
    if cursor.epoch != epoch:
        return "the cursor comes from another server database (epoch differs)"
    if cursor.seq > space.seq:
        return f"the cursor is at change {cursor.seq} but the space has only {space.seq} (a restored backup?)"
    if cursor.seq == 0:
        return None if cursor.stamp == "" else "the cursor stamp does not match"
    stamp = conn.execute(
        select(schema.changes.c.stamp).where(
            schema.changes.c.space_id == space.id, schema.changes.c.seq == cursor.seq
        )
    ).scalar_one_or_none()
    if stamp != cursor.stamp:
        return f"change {cursor.seq} of this space is not the one the cursor saw: restored from a backup?"
    return None


def read_feed(conn: Connection, space: Any, after: int, limit: int) -> tuple[list[str], int, bool]:
    """Raw JSON of the live entries after `after`, the sequence the next page starts after, and whether
    more may follow. Bounded by the space's sequence read before, so a page is one consistent cut."""
    c = schema.changes
    rows = conn.execute(
        select(c.c.seq, c.c.body)
        .where(c.c.space_id == space.id, c.c.seq > after, c.c.seq <= space.seq, c.c.superseded.is_(False))
        .order_by(c.c.seq)
        .limit(limit)
    ).all()
    entries = [f'{{"seq":{row.seq},{row.body[1:]}' for row in rows]
    if len(rows) == limit:
        return entries, rows[-1].seq, rows[-1].seq < space.seq
    return entries, max(after, space.seq), False
