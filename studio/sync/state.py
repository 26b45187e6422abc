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

The tables are created by the store's versioned migrations (studio.core.migrations, version 7); this
module owns every statement that reads or writes them. They only ever hold data the sync client can
rebuild from the server and the outbox.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from studio.core.store import Store, utc_now


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


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


def forget_refused(conn: sqlite3.Connection, space: str, change_id: str) -> None:
    """Take a change off the refused list: it is pushed again unless the caller also drops it."""
    conn.execute("DELETE FROM sync_refused WHERE space = ? AND change_id = ?", (space, change_id))


def drop_refused_change(conn: sqlite3.Connection, refused: dict[str, Any]) -> None:
    """Give up a refused change (as `refused_changes` lists it): a record change leaves the pending
    list; a refused op log's unsent ops are marked as never to be sent (they stay in the local log)."""
    forget_refused(conn, refused["space"], refused["change"])
    if refused["kind"] == "ops":
        conn.execute(
            "UPDATE ops SET server_rev = 0 WHERE project_id = ? AND server_rev IS NULL", (refused["id"],)
        )
    else:
        conn.execute(
            "DELETE FROM sync_pending WHERE space = ? AND change_id = ?",
            (refused["space"], refused["change"]),
        )


def forget_refusals(conn: sqlite3.Connection, reason: str) -> None:
    """Take every change refused for `reason` off the refused list (the cause is gone)."""
    conn.execute("DELETE FROM sync_refused WHERE reason = ?", (reason,))


def refused_logs(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    """(space, project) of op logs with a refused change: their ops wait for a retry or a drop."""
    return {
        (r[0], r[1]) for r in conn.execute("SELECT space, record_id FROM sync_refused WHERE kind = 'ops'")
    }


def unshadowed_local_clips(conn: sqlite3.Connection, space: str) -> set[str]:
    """Clips made here and homed in `space` that the server has not shown yet (no shadow there)."""
    rows = conn.execute(
        "SELECT c.id FROM clips c WHERE c.space = ? AND c.origin = 'local' AND NOT EXISTS "
        "(SELECT 1 FROM sync_shadow s WHERE s.space = ? AND s.kind = 'clip' AND s.record_id = c.id)",
        (space, space),
    ).fetchall()
    return {row[0] for row in rows}


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
