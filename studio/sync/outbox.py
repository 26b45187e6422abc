"""From the store's outbox to pushable changes.

Every local record change lands in the store's outbox with its change id in the same transaction as the
edit. Freezing turns those rows into pending changes (`sync_pending`): for each space the record lives in,
the fields that differ from what the server is known to hold, with the base revision they were made on,
under the outbox's change id. A pending change not yet sent absorbs later edits of the same record; once
sent its body never changes, so resending it after a lost answer is a harmless duplicate.

Freezing runs before a pulled version of the record is merged in (see engine), so a local edit always
carries the revision it was really based on and the server can tell a concurrent set from a later one.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from studio.protocol.shapes import RecordChange, RecordKind
from studio.sync import records
from studio.sync.records import KINDS, MISSING
from studio.sync.state import Shadow, dumps, get_shadow, shadow_spaces

CanPush = Callable[[str, str, str, "Shadow | None"], bool]
"""(space, kind, record_id, shadow) -> whether this client may push that record to that space."""


@dataclass(frozen=True)
class Pending:
    seq: int
    change_id: str
    space: str
    kind: str
    record_id: str
    base_rev: int | None
    fields: dict[str, Any]
    deleted: bool | None
    sent: bool

    def wire(self) -> RecordChange:
        change: RecordChange = {
            "change_id": self.change_id,
            "kind": cast(RecordKind, self.kind),
            "id": self.record_id,
            "base_rev": self.base_rev,
            "fields": self.fields,
        }
        if self.deleted is not None:
            change["deleted"] = self.deleted
        return change


_PENDING_COLUMNS = "seq, change_id, space, kind, record_id, base_rev, fields, deleted, sent"


def _pending(row: tuple[Any, ...]) -> Pending:
    return Pending(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        json.loads(row[6]),
        None if row[7] is None else bool(row[7]),
        bool(row[8]),
    )


def pending_for(conn: sqlite3.Connection, space: str, kind: str, record_id: str) -> list[Pending]:
    rows = conn.execute(
        f"SELECT {_PENDING_COLUMNS} FROM sync_pending "
        "WHERE space = ? AND kind = ? AND record_id = ? ORDER BY seq",
        (space, kind, record_id),
    ).fetchall()
    return [_pending(r) for r in rows]


def all_pending(conn: sqlite3.Connection) -> list[Pending]:
    return [_pending(r) for r in conn.execute(f"SELECT {_PENDING_COLUMNS} FROM sync_pending ORDER BY seq")]


def pending_fields(conn: sqlite3.Connection, space: str, kind: str, record_id: str) -> set[str]:
    """Fields with a local change the server has not acknowledged ("deleted" for a pending delete)."""
    names: set[str] = set()
    for change in pending_for(conn, space, kind, record_id):
        names.update(change.fields)
        if change.deleted is not None:
            names.add("deleted")
    return names


def freeze(
    conn: sqlite3.Connection, can_push: CanPush, *, kind: str | None = None, record_id: str | None = None
) -> int:
    """Turn outbox rows (all, or one record's) into pending changes; returns how many were written."""
    sql = f"SELECT seq, change_id, kind, record_id FROM outbox WHERE kind IN ({', '.join('?' * len(KINDS))})"
    params: list[Any] = list(KINDS)
    if kind is not None:
        sql += " AND kind = ? AND record_id = ?"
        params += [kind, record_id]
    grouped: dict[tuple[str, str], tuple[str, list[int]]] = {}
    for seq, change_id, row_kind, row_id in conn.execute(sql + " ORDER BY seq", params).fetchall():
        _old, seqs = grouped.get((row_kind, row_id), ("", []))
        grouped[(row_kind, row_id)] = (change_id, [*seqs, seq])
    written = 0
    for (row_kind, row_id), (change_id, seqs) in grouped.items():
        written += queue_record(conn, row_kind, row_id, change_id, can_push)
        for start in range(0, len(seqs), 500):
            chunk = seqs[start : start + 500]
            conn.execute(f"DELETE FROM outbox WHERE seq IN ({', '.join('?' * len(chunk))})", chunk)
    return written


def queue_record(
    conn: sqlite3.Connection,
    kind: str,
    record_id: str,
    change_id: str | None,
    can_push: CanPush,
    *,
    extra_spaces: Iterable[str] = (),
) -> int:
    """Queue what the server lacks of one record, in its home space, every space holding it, and
    `extra_spaces`; returns how many pending changes were written or extended."""
    local, home, _origin = records.local_doc(conn, kind, record_id)
    spaces = set(shadow_spaces(conn, kind, record_id)) | set(extra_spaces)
    if home:
        spaces.add(home)
    written = 0
    for space in sorted(spaces):
        shadow = get_shadow(conn, space, kind, record_id)
        if not can_push(space, kind, record_id, shadow):
            continue
        if _queue_in_space(conn, space, kind, record_id, local, shadow, change_id or uuid.uuid4().hex):
            written += 1
    return written


def _queue_in_space(
    conn: sqlite3.Connection,
    space: str,
    kind: str,
    record_id: str,
    local: dict[str, Any] | None,
    shadow: Shadow | None,
    change_id: str,
) -> bool:
    queued = pending_for(conn, space, kind, record_id)
    expected: dict[str, Any] = dict(shadow.doc) if shadow else {}
    exists = shadow is not None and not shadow.deleted
    for change in queued:
        expected.update(change.fields)
        if change.deleted is not None:
            exists = not change.deleted
        elif change.fields:
            exists = True
    if local is None:
        if not exists:
            return False
        fields: dict[str, Any] = {}
        deleted: bool | None = True
    else:
        fields = {name: value for name, value in local.items() if expected.get(name, MISSING) != value}
        deleted = None if exists or shadow is None else False
        if not fields and deleted is None:
            return False
    last = queued[-1] if queued else None
    if last is not None and not last.sent:
        merged = {**last.fields, **fields}
        if deleted is True:
            merged = {}
        new_deleted = deleted if deleted is not None else last.deleted
        if local is not None and new_deleted is True:
            new_deleted = False
        conn.execute(
            "UPDATE sync_pending SET fields = ?, deleted = ? WHERE seq = ?",
            (dumps(merged), None if new_deleted is None else int(new_deleted), last.seq),
        )
        return True
    if (
        conn.execute(
            "SELECT 1 FROM sync_pending WHERE space = ? AND change_id = ?", (space, change_id)
        ).fetchone()
        is not None
    ):
        change_id = uuid.uuid4().hex
    conn.execute(
        "INSERT INTO sync_pending (change_id, space, kind, record_id, base_rev, fields, deleted, sent) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
        (
            change_id,
            space,
            kind,
            record_id,
            shadow.rev if shadow else None,
            dumps(fields),
            None if deleted is None else int(deleted),
        ),
    )
    return True


def queue_unbased(
    conn: sqlite3.Connection, space: str, kind: str, record_id: str, fields: dict[str, Any]
) -> None:
    """Queue local values whose server history is unknown (a record made on both sides, or a server
    restored from a backup): pushed with no base revision, every field that differs on the server
    becomes a conflict there."""
    queued = pending_for(conn, space, kind, record_id)
    last = queued[-1] if queued else None
    if last is not None and not last.sent:
        conn.execute(
            "UPDATE sync_pending SET fields = ?, base_rev = NULL WHERE seq = ?",
            (dumps({**last.fields, **fields}), last.seq),
        )
        return
    conn.execute(
        "INSERT INTO sync_pending (change_id, space, kind, record_id, base_rev, fields, deleted, sent) "
        "VALUES (?, ?, ?, ?, NULL, ?, NULL, 0)",
        (uuid.uuid4().hex, space, kind, record_id, dumps(fields)),
    )


def queue_resolution(
    conn: sqlite3.Connection, space: str, kind: str, record_id: str, base_rev: int, fields: dict[str, Any]
) -> None:
    """Queue the fields that settle a conflict, based on the revision that holds it (so pushing them
    clears the conflict) rather than frozen from the outbox."""
    conn.execute(
        "INSERT INTO sync_pending (change_id, space, kind, record_id, base_rev, fields, sent) "
        "VALUES (lower(hex(randomblob(16))), ?, ?, ?, ?, ?, 0)",
        (space, kind, record_id, base_rev, dumps(fields)),
    )
