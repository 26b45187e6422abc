"""The sync client's own bookkeeping in the local store, next to the store's outbox and cursors.

- sync_shadow: the last server version of every record seen per space (rev, doc, conflicts); local edits
  are the fields that differ from it, and a pulled version is merged field by field against it.
- sync_pending: record changes taken from the outbox and frozen with the base revision they were made on,
  waiting for the server's answer. `sent` marks a change that may have reached the server, whose body must
  therefore never change again (its change id makes the resend harmless).
- sync_wanted: media the user asked for (pull) that sync downloads.
- sync_rejected: feed entries that could not be applied here, kept with the reason instead of dropped.
- sync_binding: the server and user the cursors and shadows belong to.
- sync_reconcile: during a reconcile after a restore, the records held from that space that the server has
  not shown again yet (none of their versions here can be trusted); kept here so an interrupted reconcile
  resumes instead of trusting pre-restore versions.
- sync_confirmed: record changes the server acknowledged that no feed page has shown back yet, with the
  values their fields had before (`base`); after a pull, those still unseen are checked with the server
  (`changes/held`), and the ones a server restored from an older backup lost are sent again.
- sync_refused: changes the server refused (one record change, or a project's op log from a change on),
  with its reason; they stay out of pushes until the user retries or drops them.

The tables are created on first use inside the store's write transaction (the store's migrations do not
know them; they only ever hold data the sync client can rebuild from the server and the outbox).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from studio.core.store import Store, utc_now

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sync_shadow (
        space TEXT NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL,
        rev INTEGER NOT NULL, doc TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
        conflicts TEXT NOT NULL DEFAULT '[]', owner TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (space, kind, record_id))""",
    "CREATE INDEX IF NOT EXISTS sync_shadow_record ON sync_shadow(kind, record_id)",
    """CREATE TABLE IF NOT EXISTS sync_pending (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, change_id TEXT NOT NULL, space TEXT NOT NULL,
        kind TEXT NOT NULL, record_id TEXT NOT NULL, base_rev INTEGER, fields TEXT NOT NULL,
        deleted INTEGER, sent INTEGER NOT NULL DEFAULT 0, UNIQUE (space, change_id))""",
    "CREATE INDEX IF NOT EXISTS sync_pending_record ON sync_pending(space, kind, record_id)",
    """CREATE TABLE IF NOT EXISTS sync_wanted (
        sha256 TEXT PRIMARY KEY, size INTEGER, added TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sync_rejected (
        space TEXT NOT NULL, seq INTEGER NOT NULL, reason TEXT NOT NULL, entry TEXT NOT NULL,
        PRIMARY KEY (space, seq))""",
    "CREATE TABLE IF NOT EXISTS sync_binding (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS sync_refused (
        space TEXT NOT NULL, change_id TEXT NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL,
        reason TEXT NOT NULL, detail TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (space, change_id))""",
    """CREATE TABLE IF NOT EXISTS sync_confirmed (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, space TEXT NOT NULL, change_id TEXT NOT NULL,
        kind TEXT NOT NULL, record_id TEXT NOT NULL, fields TEXT NOT NULL, base TEXT NOT NULL,
        deleted INTEGER, UNIQUE (space, change_id))""",
    """CREATE TABLE IF NOT EXISTS sync_reconcile (
        space TEXT NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL,
        PRIMARY KEY (space, kind, record_id))""",
)


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def ensure_schema(store: Store) -> None:
    with store.write() as conn:
        for sql in _SCHEMA:
            conn.execute(sql)


# --- binding -------------------------------------------------------------------------------------------


def bind(store: Store, server: str, username: str) -> bool:
    """Tie cursors and shadows to (server, user); a different pair starts them over. True if reset."""
    wanted = f"{server}|{username}"
    with store.write() as conn:
        row = conn.execute("SELECT value FROM sync_binding WHERE key = 'account'").fetchone()
        if row is not None and row[0] == wanted:
            return False
        reset = row is not None
        if reset:
            conn.execute("DELETE FROM sync_state")
            conn.execute("DELETE FROM sync_shadow")
            conn.execute("UPDATE sync_pending SET base_rev = NULL, sent = 0")
        conn.execute(
            "INSERT INTO sync_binding (key, value) VALUES ('account', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (wanted,),
        )
    return reset


# --- cursors (Store.get_cursor / Store.set_cursor read and write them) ---------------------------


def drop_cursor(conn: sqlite3.Connection, space: str) -> None:
    conn.execute("DELETE FROM sync_state WHERE space = ?", (space,))


# --- shadows -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shadow:
    """The server's version of a record as last seen."""

    space: str
    kind: str
    record_id: str
    rev: int
    doc: dict[str, Any]
    deleted: bool
    conflicts: list[dict[str, Any]]
    owner: str


def get_shadow(conn: sqlite3.Connection, space: str, kind: str, record_id: str) -> Shadow | None:
    row = conn.execute(
        "SELECT rev, doc, deleted, conflicts, owner FROM sync_shadow WHERE space = ? AND kind = ? AND "
        "record_id = ?",
        (space, kind, record_id),
    ).fetchone()
    if row is None:
        return None
    return Shadow(
        space, kind, record_id, row[0], json.loads(row[1]), bool(row[2]), json.loads(row[3]), row[4]
    )


def put_shadow(conn: sqlite3.Connection, shadow: Shadow) -> None:
    conn.execute(
        "INSERT INTO sync_shadow (space, kind, record_id, rev, doc, deleted, conflicts, owner) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(space, kind, record_id) DO UPDATE SET "
        "rev = excluded.rev, doc = excluded.doc, deleted = excluded.deleted, conflicts = excluded.conflicts, "
        "owner = excluded.owner",
        (
            shadow.space,
            shadow.kind,
            shadow.record_id,
            shadow.rev,
            dumps(shadow.doc),
            int(shadow.deleted),
            dumps(shadow.conflicts),
            shadow.owner,
        ),
    )


def shadow_spaces(conn: sqlite3.Connection, kind: str, record_id: str) -> list[str]:
    rows = conn.execute(
        "SELECT space FROM sync_shadow WHERE kind = ? AND record_id = ? ORDER BY space", (kind, record_id)
    ).fetchall()
    return [r[0] for r in rows]


def record_conflicts(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Conflicts the server keeps on records we hold, one dict each with where it is."""
    out: list[dict[str, Any]] = []
    for space, kind, record_id, conflicts in conn.execute(
        "SELECT space, kind, record_id, conflicts FROM sync_shadow WHERE conflicts != '[]' "
        "ORDER BY space, kind, record_id"
    ):
        for conflict in json.loads(conflicts):
            out.append({"space": space, "kind": kind, "id": record_id, **conflict})
    return out


# --- refused changes ------------------------------------------------------------------------------------


def refuse(
    conn: sqlite3.Connection, space: str, change_id: str, kind: str, record_id: str, reason: str, detail: str
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO sync_refused (space, change_id, kind, record_id, reason, detail, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (space, change_id, kind, record_id, reason, detail[:500], utc_now()),
    )


def refused_changes(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [
        {"change": r[1], "space": r[0], "kind": r[2], "id": r[3], "reason": r[4], "detail": r[5], "at": r[6]}
        for r in conn.execute(
            "SELECT space, change_id, kind, record_id, reason, detail, at FROM sync_refused "
            "ORDER BY at, change_id"
        )
    ]


def is_refused(conn: sqlite3.Connection, space: str, change_id: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM sync_refused WHERE space = ? AND change_id = ?", (space, change_id)
        ).fetchone()
        is not None
    )


def refused_logs(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    """(space, project) of op logs with a refused change: their ops wait for a retry or a drop."""
    return {
        (r[0], r[1]) for r in conn.execute("SELECT space, record_id FROM sync_refused WHERE kind = 'ops'")
    }


# --- wanted media ----------------------------------------------------------------------------------------


def want_media(conn: sqlite3.Connection, sha256: str, size: int | None = None) -> None:
    conn.execute(
        "INSERT INTO sync_wanted (sha256, size, added) VALUES (?, ?, ?) ON CONFLICT(sha256) DO UPDATE SET "
        "size = COALESCE(excluded.size, sync_wanted.size)",
        (sha256, size, utc_now()),
    )


def wanted_media(conn: sqlite3.Connection) -> list[tuple[str, int | None]]:
    return [(r[0], r[1]) for r in conn.execute("SELECT sha256, size FROM sync_wanted ORDER BY added, sha256")]


def media_arrived(conn: sqlite3.Connection, sha256: str) -> None:
    conn.execute("DELETE FROM sync_wanted WHERE sha256 = ?", (sha256,))
    conn.execute("UPDATE clips SET media_present = 1 WHERE id = ?", (sha256,))


# --- rejected entries -------------------------------------------------------------------------------------


def reject_entry(conn: sqlite3.Connection, space: str, entry: dict[str, Any], reason: str) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO sync_rejected (space, seq, reason, entry) VALUES (?, ?, ?, ?)",
        (space, int(entry.get("seq", 0)), reason[:500], dumps(entry)),
    )


def rejected_entries(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [
        {"space": r[0], "seq": r[1], "reason": r[2]}
        for r in conn.execute("SELECT space, seq, reason FROM sync_rejected ORDER BY space, seq")
    ]
