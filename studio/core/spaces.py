"""The server spaces this machine knows, as the server last listed them: name, the caller's role and
whether an owner marked the space for commercial work. A project's `space` names its row here, which is
how an export learns the rules of the project's space with no network at export time."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from studio.core.store import Store, utc_now


@dataclass(frozen=True, slots=True)
class KnownSpace:
    id: str
    name: str
    kind: str
    role: str | None
    commercial: bool
    listed: bool  # False once the server stops listing it (the caller left or was removed)


def remember_spaces(conn: sqlite3.Connection, spaces: Iterable[Mapping[str, Any]]) -> None:
    """Store a full listing. A space no longer listed keeps its last mark (only `listed` drops), so a
    removed member's copy of a brand's project still exports under the brand's commercial rule."""
    ids = []
    for space in spaces:
        remember_space(conn, space)
        ids.append(str(space["id"]))
    conn.execute(f"UPDATE spaces SET listed = 0 WHERE id NOT IN ({', '.join('?' * len(ids))})", ids)


def remember_space(conn: sqlite3.Connection, space: Mapping[str, Any]) -> None:
    """Store one space as the server just answered about it (after creating or changing it)."""
    conn.execute(
        "INSERT INTO spaces (id, name, kind, role, commercial, listed, seen) VALUES (?, ?, ?, ?, ?, 1, ?) "
        "ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind, role = excluded.role, "
        "commercial = excluded.commercial, listed = 1, seen = excluded.seen",
        (
            str(space["id"]),
            str(space.get("name") or ""),
            str(space.get("kind") or "private"),
            space.get("role"),
            int(bool(space.get("commercial"))),
            utc_now(),
        ),
    )


def _row(row: Any) -> KnownSpace:
    return KnownSpace(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]))


def known_space(store: Store, space_id: str) -> KnownSpace | None:
    if not space_id:
        return None
    with store.read() as conn:
        row = conn.execute(
            "SELECT id, name, kind, role, commercial, listed FROM spaces WHERE id = ?", (space_id,)
        ).fetchone()
    return _row(row) if row is not None else None


def known_spaces(store: Store) -> list[KnownSpace]:
    with store.read() as conn:
        rows = conn.execute(
            "SELECT id, name, kind, role, commercial, listed FROM spaces ORDER BY kind DESC, name, id"
        ).fetchall()
    return [_row(r) for r in rows]


def commercial_space_of(store: Store, space_id: str) -> KnownSpace | None:
    """The project's space when it is marked for commercial work, else None."""
    found = known_space(store, space_id)
    return found if found is not None and found.commercial else None
