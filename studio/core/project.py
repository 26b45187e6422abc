"""Projects: their records in the store, and the editing session over one project's journal.

A project's state is the fold of its journal with ops.apply in (lamport, client, counter)
order, the order every replica uses, so ops merged in later by sync converge to one state.
A session keeps that fold in memory with the last journal seq it has seen. Every edit runs in
one store write transaction: catch up with rows other processes (or sync) appended, check and
apply the edit's ops, append them with fresh counters and a Lamport stamp above everything
seen, commit. A crash at any point loses nothing that was acknowledged.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from studio.core import ops as op_mod
from studio.core.errors import EditRejected, InvalidInput, NotFound, StudioError
from studio.core.history import MERGE_WINDOW_S, Group, History, inverse_ops
from studio.core.ops import Op
from studio.core.placement import attach
from studio.core.store import FoldCache, JournalRow, Store, utc_now
from studio.core.timeline import Timeline

_NAME_BAD = re.compile(r"[\x00-\x1f\x7f]")
MAX_NAME = 200
CACHE_AFTER = 2000
"""Ops folded on top of the cached fold at open before a new cache is written."""
FOLD_SCHEMA = "studio.fold/2"
"""Version 2 added the writers of each field; an older cache is refolded from the journal."""


# --- records ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    """A project's record (its timeline lives in the journal)."""

    id: str
    name: str
    created: str
    settings: dict[str, Any] = field(default_factory=dict)
    space: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created": self.created,
            "settings": self.settings,
            "space": self.space,
        }


_PROJECT_COLUMNS = "id, name, created, settings, space"


def _info(row: tuple[Any, ...]) -> ProjectInfo:
    return ProjectInfo(id=row[0], name=row[1], created=row[2], settings=json.loads(row[3]), space=row[4])


def check_project_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("a project needs a name")
    if len(name) > MAX_NAME or _NAME_BAD.search(name):
        raise InvalidInput(f"project name {name[:40]!r} is too long or has control characters")
    return name


def create_project(
    store: Store,
    name: str,
    *,
    settings: dict[str, Any] | None = None,
    project_id: str | None = None,
    space: str = "",
    queue: bool = True,
) -> ProjectInfo:
    """A new, empty project. Names are unique in a store. queue=False: do not queue it for sync
    (a project pulled from the server)."""
    name = check_project_name(name)
    info = ProjectInfo(
        id=project_id or uuid.uuid4().hex,
        name=name,
        created=utc_now(),
        settings=dict(settings or {}),
        space=space,
    )
    with store.write() as conn:
        try:
            conn.execute(
                "INSERT INTO projects (id, name, created, settings, space) VALUES (?, ?, ?, ?, ?)",
                (info.id, info.name, info.created, json.dumps(info.settings, sort_keys=True), info.space),
            )
        except sqlite3.IntegrityError:
            raise InvalidInput(f"there is already a project named {name!r}") from None
        if queue:
            store.add_outbox("project", info.id, info.to_dict())
    return info


def list_projects(store: Store) -> list[ProjectInfo]:
    with store.read() as conn:
        rows = conn.execute(f"SELECT {_PROJECT_COLUMNS} FROM projects ORDER BY name").fetchall()
    return [_info(r) for r in rows]


def find_project(store: Store, ref: str) -> ProjectInfo:
    """A project by exact name, id, or unique id prefix."""
    ref = ref.strip()
    with store.read() as conn:
        row = conn.execute(f"SELECT {_PROJECT_COLUMNS} FROM projects WHERE name = ?", (ref,)).fetchone()
        if row is None:
            row = conn.execute(f"SELECT {_PROJECT_COLUMNS} FROM projects WHERE id = ?", (ref,)).fetchone()
        if row is None and len(ref) >= 4 and re.fullmatch(r"[0-9a-f]+", ref):
            rows = conn.execute(
                f"SELECT {_PROJECT_COLUMNS} FROM projects WHERE substr(id, 1, ?) = ? LIMIT 2", (len(ref), ref)
            ).fetchall()
            row = rows[0] if len(rows) == 1 else None
    if row is None:
        raise NotFound(f"no project named {ref!r} (studio project new {ref!r} creates it)")
    return _info(row)


def rename_project(store: Store, project_id: str, name: str) -> ProjectInfo:
    name = check_project_name(name)
    with store.write() as conn:
        try:
            cur = conn.execute("UPDATE projects SET name = ? WHERE id = ?", (name, project_id))
        except sqlite3.IntegrityError:
            raise InvalidInput(f"there is already a project named {name!r}") from None
        if cur.rowcount == 0:
            raise NotFound(f"no project {project_id!r}")
        info = find_project(store, project_id)
        store.add_outbox("project", info.id, info.to_dict())
    return info


# --- session ------------------------------------------------------------------------------------


def _encode(timeline: Timeline) -> dict[str, Any]:
    """A fold as JSON for the cache, tombstones included (they decide later merges)."""
    return {
        "schema": FOLD_SCHEMA,
        "timeline": timeline.to_dict(),
        "tombstones": [[entity, eid, value] for (entity, eid), value in timeline.tombstones.items()],
        "writers": [
            [entity, eid, {name: list(ids) for name, ids in fields.items()}]
            for (entity, eid), fields in timeline.writers.items()
        ],
    }


def _decode(state: dict[str, Any]) -> Timeline:
    if state.get("schema") != FOLD_SCHEMA:
        raise InvalidInput(f"fold cache schema {state.get('schema')!r} is not {FOLD_SCHEMA}")
    timeline = Timeline.from_dict(state["timeline"])
    timeline.tombstones = {(str(e), str(i)): dict(v) for e, i, v in state["tombstones"]}
    timeline.writers = {
        (str(e), str(i)): {str(n): tuple(str(w) for w in ids) for n, ids in fields.items()}
        for e, i, fields in state["writers"]
    }
    return timeline


@dataclass(frozen=True, slots=True)
class Change:
    """What a listener is told after the timeline changed: the ops applied, or a full reload.

    origin: "edit", "undo" or "redo" (made by this session), "other" (appended by another process
    or by sync, taken in by refresh or before an edit), "reload" (state rebuilt from the journal).
    """

    ops: tuple[Op, ...]
    reloaded: bool
    label: str = ""
    origin: str = "edit"


Listener = Callable[[Change], None]


class EditTx:
    """An edit in progress: `do()` applies ops at once, so later steps see earlier ones."""

    def __init__(self, session: ProjectSession) -> None:
        self._session = session
        self.ops: list[Op] = []
        self.counters: list[int] = []

    @property
    def timeline(self) -> Timeline:
        return self._session.timeline

    def do(self, ops: Iterable[Op]) -> None:
        """Apply `ops` (as returned by studio.core.edits) to the timeline; no-ops are dropped."""
        batch = [op_mod.validate(op) for op in ops if not op_mod.is_noop(op)]
        if not batch:
            return
        session = self._session
        first = session.store.reserve_counters(len(batch))
        session._dirty = True
        for counter, op in enumerate(batch, start=first):
            session._apply(op, f"{session.store.client_id}:{counter}")
            self.ops.append(op)
            self.counters.append(counter)


class ProjectSession:
    """An open project: its folded timeline, its history for this client, and edit/undo/redo.

    Use a session from one thread; other threads (render, export) work on snapshot() values.
    """

    def __init__(
        self, store: Store, project: ProjectInfo | str, *, merge_window: float = MERGE_WINDOW_S
    ) -> None:
        self.store = store
        self.info = project if isinstance(project, ProjectInfo) else find_project(store, project)
        self.merge_window = merge_window
        self._listeners: list[Listener] = []
        self._dirty = False
        self._refold()

    @classmethod
    def open(cls, store: Store, ref: str) -> ProjectSession:
        return cls(store, find_project(store, ref))

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def timeline(self) -> Timeline:
        """The live timeline. Treat it as read-only; take snapshot() to keep a copy."""
        return self._timeline

    @property
    def last_seq(self) -> int:
        return self._last_seq

    def snapshot(self) -> Timeline:
        """An independent copy of the current state (e.g. for a render)."""
        return self._timeline.snapshot()

    # -- listeners -----------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` after every change; returns a function that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    # -- folding -------------------------------------------------------------------------------------
    def _apply(self, op: Op, op_id: str) -> None:
        op_mod.apply(self._timeline, op, op_id)
        if op["entity"] == "item":
            self._placement.refresh(op["id"])

    def _refold(self) -> None:
        """Rebuild state and history: the cached fold plus the journal after it, or the whole journal."""
        with self.store.read():
            cached = self._from_cache()
            if cached is None:
                timeline, seq, key = Timeline(), 0, (0, "", 0)
                rows = self.store.journal_ordered(self.id)
            else:
                timeline, seq, key, rows = cached
            for row in rows:
                op_mod.apply(timeline, row.op, row.op_id)
            history = History(self.merge_window)
            for step in self.store.step_rows(self.id, self.store.client_id):
                history.observe(step)
        self._timeline = timeline
        self._placement = attach(timeline)
        self._history = history
        self._last_seq = max([seq, *(r.seq for r in rows)])
        self._max_key: tuple[int, str, int] = rows[-1].key if rows else key
        self._dirty = False
        if len(rows) >= CACHE_AFTER and self.store.can_write:
            self.store.save_fold_cache(self.id, FoldCache(self._last_seq, self._max_key, _encode(timeline)))

    def _from_cache(self) -> tuple[Timeline, int, tuple[int, str, int], list[JournalRow]] | None:
        """The cached fold and the rows after it, unless those rows sort before the cache's last op."""
        cache = self.store.load_fold_cache(self.id)
        if cache is None:
            return None
        tail = self.store.journal_after(self.id, cache.seq)
        if tail and min(r.key for r in tail) < cache.key:
            return None
        try:
            timeline = _decode(cache.state)
        except (StudioError, KeyError, TypeError, ValueError):
            return None
        return timeline, cache.seq, cache.key, sorted(tail, key=lambda r: r.key)

    def _take(self, rows: list[JournalRow]) -> None:
        """Fold rows that sort after everything folded so far."""
        for row in sorted(rows, key=lambda r: r.key):
            self._apply(row.op, row.op_id)
            self._max_key = row.key
        self._observe(rows)

    def _observe(self, rows: list[JournalRow]) -> None:
        for row in rows:
            if row.client == self.store.client_id:
                self._history.observe(row)
            self._last_seq = max(self._last_seq, row.seq)

    def _catch_up(self) -> Change | None:
        if self._dirty:
            self._refold()
            return Change((), reloaded=True, origin="reload")
        rows = self.store.journal_after(self.id, self._last_seq)
        if not rows:
            return None
        if min(r.key for r in rows) < self._max_key:
            # Ops that sort before ones already folded (merged in by sync): fold again from scratch.
            self._refold()
            return Change((), reloaded=True, origin="reload")
        self._take(rows)
        return Change(tuple(r.op for r in rows), reloaded=False, origin="other")

    def refresh(self) -> bool:
        """Take in what other processes or sync appended; True if the timeline changed."""
        change = self._catch_up()
        if change is not None:
            self._notify(change)
        return change is not None

    # -- editing -------------------------------------------------------------------------------------
    @contextmanager
    def edit(self, label: str, *, merge_key: str | None = None) -> Iterator[EditTx]:
        """One undo step: `with session.edit("Move clip") as tx: tx.do(edits.move_item(tx.timeline, ...))`.

        Everything done in the block is journaled in one transaction on exit, or nothing is
        (an exception rolls back the store and the in-memory timeline alike).
        """
        change = None
        tx = EditTx(self)
        try:
            with self.store.write():
                change = self._catch_up()
                yield tx
                if tx.ops:
                    self._append(tx, "edit", label, merge_key)
        except BaseException:
            if tx.ops:
                self._refold()
            raise
        finally:
            if change is not None:
                self._notify(change)
        if tx.ops:
            self._notify(Change(tuple(tx.ops), reloaded=False, label=label, origin="edit"))

    def apply(
        self,
        label: str,
        ops: Iterable[Op] | Callable[[Timeline], Iterable[Op]],
        *,
        merge_key: str | None = None,
    ) -> list[Op]:
        """Run one edit: `ops` is a list, or a function of the caught-up timeline returning one."""
        with self.edit(label, merge_key=merge_key) as tx:
            tx.do(ops(tx.timeline) if callable(ops) else ops)
        return tx.ops

    def _append(self, tx: EditTx, origin: str, label: str, merge_key: str | None) -> None:
        group = self._history.merge_target(merge_key, time.time()) if origin == "edit" else None
        lamport = self.store.tick_lamport(self._max_key[0])
        rows = self.store.append_ops(
            self.id,
            tx.ops,
            counters=tx.counters,
            lamport=lamport,
            group_id=group or uuid.uuid4().hex,
            origin=origin,
            label=label,
            merge_key=merge_key,
        )
        self._max_key = rows[-1].key
        self._observe(rows)
        self._dirty = False

    # -- history -------------------------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return self._history.can_undo

    @property
    def can_redo(self) -> bool:
        return self._history.can_redo

    @property
    def undo_label(self) -> str | None:
        """The label of the step Undo would revert, for an "Undo Move clip" menu entry (None: nothing)."""
        return self._history.undo_label

    @property
    def redo_label(self) -> str | None:
        return self._history.redo_label

    @property
    def history(self) -> History:
        return self._history

    def undo(self) -> str:
        """Undo this client's latest step; returns its label. EditRejected if there is none."""
        return self._step("undo")

    def redo(self) -> str:
        return self._step("redo")

    def _step(self, origin: str) -> str:
        change = None
        tx = EditTx(self)
        label = ""
        try:
            with self.store.write():
                change = self._catch_up()
                target: Group | None = (
                    self._history.undo_target() if origin == "undo" else self._history.redo_target()
                )
                if target is None:
                    raise EditRejected(f"nothing to {origin} in project {self.name!r}")
                label = target.label
                rows = self.store.journal_group(target.id)
                tx.do(inverse_ops([r.op for r in rows], [r.op_id for r in rows]))
                if not tx.ops:
                    raise EditRejected(f"nothing to {origin}: step {label!r} changed nothing")
                self._append(tx, origin, label, None)
        except BaseException:
            if tx.ops:
                self._refold()
            raise
        finally:
            if change is not None:
                self._notify(change)
        self._notify(Change(tuple(tx.ops), reloaded=False, label=label, origin=origin))
        return label
