"""Conflicts and refused changes: listing them (offline) and settling them. A timeline conflict is settled
by an edit of the project; a record conflict by queueing the chosen value on the revision that holds it;
a refused change by retrying it (it goes up again on the next sync) or dropping it (it stays local).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from studio.core import edits
from studio.core.errors import EditRejected, InvalidInput, NotFound, StudioError
from studio.core.project import ProjectSession, find_project
from studio.core.store import Store
from studio.services.local_store import opened as _opened
from studio.sync import outbox, records, state
from studio.sync.engine import list_conflicts


def conflicts(store: Store | None = None) -> list[dict[str, Any]]:
    """Every unresolved conflict (timeline and record), as listed by `studio sync --json`."""
    with _opened(store) as opened:
        return list_conflicts(opened)


def resolve_conflict(
    project: str, conflict_id: str, choice: int | None = None, *, store: Store | None = None
) -> str:
    """Settle a timeline conflict: choose one of its values (index), or for an "overlap:A:B" pair keep
    both items by moving B to a free track. Returns the undo label. The resolution syncs like any edit."""
    with _opened(store) as opened:
        session = ProjectSession(opened, find_project(opened, project))
        if conflict_id.startswith("overlap:"):
            parts = conflict_id.split(":")
            if len(parts) != 3:
                raise InvalidInput(f"{conflict_id!r} is not an overlap id (overlap:ITEM:ITEM)")
            return keep_both(session, parts[1], parts[2])
        label = "Resolve conflict"
        session.apply(label, lambda tl: edits.resolve_conflict(tl, conflict_id, choice))
        return label


def keep_both(session: ProjectSession, first: str, second: str) -> str:
    """Two items placed over each other by concurrent edits: keep both, moving `second` to the lowest
    track of its kind where it fits (a new track when none has room)."""
    label = "Keep both items"
    with session.edit(label) as tx:
        item = edits.get_item(tx.timeline, second)
        edits.get_item(tx.timeline, first)
        kind = tx.timeline.tracks[item.track].kind
        for track in tx.timeline.ordered_tracks(kind):
            if track.id == item.track or track.locked:
                continue
            try:
                tx.do(edits.move_item(tx.timeline, item.id, track_ref=track.id))
                return label
            except EditRejected:
                continue
        ops = edits.add_track(tx.timeline, kind)
        tx.do(ops)
        tx.do(edits.move_item(tx.timeline, item.id, track_ref=ops[0]["id"]))
    return label


def resolve_record_conflict(
    kind: str, record_id: str, field: str, value: Any, *, store: Store | None = None, space: str | None = None
) -> None:
    """Settle a conflict the server keeps on a record: set `field` to `value` (either side's, or a new
    one); the next sync pushes it on the current revision, which clears the conflict."""
    if kind not in records.KINDS:
        raise InvalidInput(f"records of kind {kind!r} are not kept locally")
    with _opened(store) as opened, opened.write() as conn:
        doc, _home, _origin = records.local_doc(conn, kind, record_id)
        if doc is None:
            raise NotFound(f"no {kind} {record_id} here")
        spaces = [space] if space else state.shadow_spaces(conn, kind, record_id)
        shadows = [s for s in (state.get_shadow(conn, sp, kind, record_id) for sp in spaces) if s]
        if not any(c.get("field") == field for s in shadows for c in s.conflicts):
            raise NotFound(f"{kind} {record_id} has no conflict on {field!r}")
        records.write_local(
            conn,
            kind,
            record_id,
            {**doc, field: value},
            space=shadows[0].space,
            owner=shadows[0].owner,
            rev=shadows[0].rev,
            create=False,
        )
        for shadow in shadows:
            outbox.queue_resolution(conn, shadow.space, kind, record_id, shadow.rev, {field: value})


# --- refused changes -------------------------------------------------------------------------------------


class ChangeRefused(StudioError):
    """The server refused a change (it names why); the change is kept locally, listed by `studio sync`;
    `change_id` names it for a retry or a drop."""

    exit_code = 5

    def __init__(self, message: str, *, change_id: str = "") -> None:
        super().__init__(message)
        self.change_id = change_id


def refused_changes(store: Store | None = None) -> list[dict[str, Any]]:
    """Changes the server refused, with its reason (works offline)."""
    with _opened(store) as opened, opened.read() as conn:
        return state.refused_changes(conn)


def _find_refused(conn: sqlite3.Connection, ref: str) -> dict[str, Any]:
    found = [r for r in state.refused_changes(conn) if r["change"] == ref or r["change"].startswith(ref)]
    if not ref or not found:
        raise NotFound(f"no refused change {ref!r} (studio sync lists them)")
    if len(found) > 1:
        raise InvalidInput(f"{ref!r} names {len(found)} refused changes: give more of the id")
    return found[0]


def _take_refused(conn: Any, ref: str) -> dict[str, Any]:
    """The refused change `ref` names, taken off the refused list (in the caller's transaction)."""
    found = _find_refused(conn, ref)
    state.forget_refused(conn, found["space"], found["change"])
    return found


def retry_refused(ref: str, *, store: Store | None = None) -> dict[str, Any]:
    """Put a refused change back in line: the next sync pushes it again (after, say, the owner let you in)."""
    with _opened(store) as opened, opened.write() as conn:
        found = _take_refused(conn, ref)
    return found


def drop_refused(ref: str, *, store: Store | None = None) -> dict[str, Any]:
    """Give up a refused change: it is no longer pushed. The local data keeps the edit (nothing here is
    deleted); a refused project edit stays in this machine's timeline only."""
    with _opened(store) as opened, opened.write() as conn:
        found = _find_refused(conn, ref)
        state.drop_refused_change(conn, found)
    return found
