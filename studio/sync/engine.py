"""The sync engine: push local work, pull the change feeds, fetch the media the user asked for.

One run (`SyncEngine.sync`):
1. push: freeze the outbox into pending record changes, upload the media those records reference, push the
   changes (idempotent by change id), then push every project op no server has acknowledged;
2. pull: for each space, fetch feed pages; each page and its cursor are applied in ONE local transaction,
   so a crash re-applies at most a page, and applying one twice changes nothing (ops are keyed by op id,
   records are set to a revision);
3. push again whatever the pull made pending (edits frozen while merging, a reconcile's re-push);
4. fetch media: clips pulled on request and clips that local projects use but whose bytes are missing.

A `410 cursor-reset` (the server was restored, or is another database) makes the engine reconcile: pull
the whole feed of that space again and re-push every local change the server does not have.

Timeline ops merge by the shared fold in (lamport, client, counter) order (studio.core.ops), never by
wall clock, so clients whose clocks disagree merge exactly as if they agreed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from studio.core import ops as op_mod
from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.errors import InvalidInput
from studio.core.library import remember_claim
from studio.core.paths import media_path
from studio.core.project import ProjectSession
from studio.core.spaces import remember_spaces
from studio.core.store import ORIGINS, Store, utc_now
from studio.core.timeline import Timeline
from studio.protocol import api, problems, refusals
from studio.protocol.ids import (
    PUBLIC_SPACE,
    WRITER_ROLES,
    is_record_id,
    is_sha256,
    parse_op_id,
    public_clip_media,
)
from studio.sync import records, state
from studio.sync.client import ApiClient, ApiError, NotAuthenticated, SyncError
from studio.sync.outbox import Pending, all_pending, freeze, pending_fields, queue_record, queue_unbased
from studio.sync.records import KINDS, MISSING, RecordRejected
from studio.sync.state import Shadow, get_shadow, put_shadow
from studio.sync.transfer import BlobCorrupt, BlobSource, TransferStats, download_blob, upload_blobs

FEED_PAGE = api.FEED_MAX_LIMIT
OPS_PER_PUSH = 2000
PUSH_BYTES = 4 * 1024 * 1024
FAILPOINT_ENV = "STUDIO_SYNC_FAILPOINT"


def failpoint(name: str) -> None:
    """Die right here when STUDIO_SYNC_FAILPOINT names this point (crash tests); otherwise nothing."""
    if os.environ.get(FAILPOINT_ENV) == name:
        sys.stderr.write(f"studio sync: failpoint {name} reached, exiting\n")
        sys.stderr.flush()
        os._exit(75)


@dataclass
class SyncReport:
    """What one sync did and what is left for the user."""

    server: str = ""
    state: str = "up_to_date"
    pushed_changes: int = 0
    pushed_ops: int = 0
    pulled_entries: int = 0
    applied_records: int = 0
    applied_ops: int = 0
    uploaded_blobs: int = 0
    uploaded_parts: int = 0
    downloaded_blobs: int = 0
    requests: int = 0
    reconciled: list[str] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def wire_op(row: Any) -> dict[str, Any]:
    """A journal row as an op on the wire: id and Lamport stamp for the server, the rest for clients."""
    return {
        "id": row.op_id,
        "lamport": row.lamport,
        "payload": row.op,
        "group": row.group_id,
        "origin": row.origin,
        "label": row.label,
    }


def ops_change_id(wired: list[dict[str, Any]]) -> str:
    """The change id of a push of ops: their first and last id and a digest of their content, so the
    same id always means the same ops (a resend is a harmless duplicate, never a clash)."""
    digest = hashlib.sha256(state.dumps(wired).encode()).hexdigest()[:12]
    return f"ops-{wired[0]['id']}-{wired[-1]['id']}-{digest}"


def fold(store: Store, project_id: str) -> Timeline:
    """The project's timeline as every replica computes it: its journal folded in total order."""
    timeline = Timeline()
    for row in store.journal_ordered(project_id):
        op_mod.apply(timeline, row.op, row.op_id)
    return timeline


def project_conflicts(store: Store, project_id: str, name: str) -> list[dict[str, Any]]:
    timeline = ProjectSession(store, project_id).timeline
    out: list[dict[str, Any]] = []
    for c in sorted(timeline.conflicts.values(), key=lambda c: c.id):
        out.append(
            {
                "where": "project",
                "project": name,
                "project_id": project_id,
                "id": c.id,
                "kind": c.kind,
                "entity": c.entity,
                "target": c.target,
                "field": c.field,
                "values": c.values,
            }
        )
    for a, b in timeline.overlaps():
        out.append(
            {
                "where": "project",
                "project": name,
                "project_id": project_id,
                "id": f"overlap:{a.id}:{b.id}",
                "kind": "overlap",
                "entity": "item",
                "target": a.id,
                "field": None,
                "values": [a.id, b.id],
            }
        )
    return out


def list_conflicts(store: Store) -> list[dict[str, Any]]:
    """Every unresolved conflict: in shared projects' timelines (including overlapping items) and on
    records the server flagged."""
    with store.read() as conn:
        projects = conn.execute("SELECT id, name FROM projects WHERE space != '' ORDER BY name").fetchall()
        found = [{"where": "record", **c} for c in state.record_conflicts(conn)]
    out: list[dict[str, Any]] = []
    for project_id, name in projects:
        out += project_conflicts(store, project_id, name)
    return out + found


_CLIPS_OF_PROJECT = (
    "SELECT DISTINCT json_extract(payload, '$.value.clip') FROM ops WHERE project_id = ? "
    "AND json_extract(payload, '$.op') = 'insert' AND json_extract(payload, '$.entity') = 'item'"
)


class SyncEngine:
    """Syncs one local store with one server as one user."""

    def __init__(
        self,
        store: Store,
        client: ApiClient,
        username: str,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.username = username
        self.cancel = cancel or client.cancel
        client.cancel = self.cancel
        self._progress = progress
        self._span = (0.0, 1.0)
        self.report = SyncReport(server=client.base_url)
        self.transfers = TransferStats()
        self._roles: dict[str, str | None] = {}
        self._blocked: set[str] = set()
        self._stale: dict[str, set[tuple[str, str]]] = {}
        self._uploaded: set[tuple[str, str]] = set()
        state.bind(store, client.base_url, username)
        with store.write() as conn:
            # Other publishers' claims live in clip_claims (store migration 6), not under the hash.
            conn.execute(
                "DELETE FROM sync_shadow WHERE space = ? AND kind = 'clip' AND owner NOT IN ('', ?)",
                (PUBLIC_SPACE, username),
            )

    # -- progress ------------------------------------------------------------------------------------------
    def _phase(self, start: float, end: float) -> None:
        self._span = (start, end)
        self._tell(0.0, "")

    def _tell(self, fraction: float, message: str) -> None:
        if self._progress is not None:
            start, end = self._span
            self._progress(start + (end - start) * max(0.0, min(1.0, fraction)), message)

    def _sub(self, message: str) -> Callable[[float, str], None]:
        return lambda fraction, _msg: self._tell(fraction, message)

    # -- spaces and permissions ----------------------------------------------------------------------------
    def load_spaces(self) -> list[dict[str, Any]]:
        spaces = self.client.get_json(api.SPACES)
        self._roles = {s["id"]: s.get("role") for s in spaces}
        with self.store.write() as conn:
            remember_spaces(conn, spaces)  # roles and commercial marks, for exports made offline
        return list(spaces)

    def can_push(self, space: str, kind: str, record_id: str, shadow: Shadow | None) -> bool:
        if space in self._blocked:
            return False
        if space == PUBLIC_SPACE:
            if shadow is not None:
                return shadow.owner in ("", self.username)
            # A public clip is our claim only once we publish it: a clip pulled from another publisher
            # (theirs until then) never goes up as ours by an edit here.
            return kind != "clip" or self._clip_is_ours(record_id)
        if space not in self._roles:
            return True
        return self._roles[space] in WRITER_ROLES

    def _clip_is_ours(self, clip_id: str) -> bool:
        with self.store.read() as conn:
            row = conn.execute("SELECT owner, origin FROM clips WHERE id = ?", (clip_id,)).fetchone()
        return row is None or row[1] != "pulled" or row[0] in ("", self.username)

    def _writable(self, space: str) -> bool:
        return space not in self._blocked and (
            space == PUBLIC_SPACE or self._roles.get(space) in WRITER_ROLES
        )

    # -- the whole run ------------------------------------------------------------------------------------
    def sync(self) -> SyncReport:
        spaces = self.load_spaces()
        self._phase(0.0, 0.25)
        self._push_then_go_on()
        failpoint("after-push")
        self._phase(0.25, 0.8)
        for index, space in enumerate(spaces):
            self._span = (0.25 + 0.55 * index / len(spaces), 0.25 + 0.55 * (index + 1) / len(spaces))
            self.pull_space(space["id"])
        self._phase(0.8, 0.85)
        if self._has_outgoing():
            self._push_then_go_on()
            # What a reconcile sent again may have met newer changes: show the conflicts it made now.
            for again in dict.fromkeys(self.report.reconciled):
                self.pull_space(again)
        self._phase(0.85, 1.0)
        self.fetch_media()
        return self.finish()

    def _push_then_go_on(self) -> None:
        """Push; a push the server fails does not keep the user from receiving collaborators' edits (what
        was not acknowledged stays pending and goes up on the next sync)."""
        try:
            self.push()
        except NotAuthenticated:
            raise
        except ApiError as exc:
            self.report.warnings.append(
                f"pushing failed ({exc.detail}); your changes are kept for the next sync"
            )

    def finish(self) -> SyncReport:
        self.report.conflicts = list_conflicts(self.store)
        with self.store.read() as conn:
            self.report.rejected = state.rejected_entries(conn)
            self.report.refused = state.refused_changes(conn)
        self.report.state = (
            "conflicts" if self.report.conflicts else "refused" if self.report.refused else "up_to_date"
        )
        self.report.requests = self.client.requests_made
        self.report.uploaded_parts = self.transfers.parts_sent
        self._tell(1.0, "done")
        return self.report

    def _has_outgoing(self) -> bool:
        with self.store.read() as conn:
            if conn.execute("SELECT 1 FROM sync_pending LIMIT 1").fetchone():
                return True
            if conn.execute(
                f"SELECT 1 FROM outbox WHERE kind IN ({', '.join('?' * len(KINDS))}) LIMIT 1", KINDS
            ).fetchone():
                return True
            return (
                conn.execute(
                    "SELECT 1 FROM ops JOIN projects p ON p.id = ops.project_id "
                    "WHERE ops.server_rev IS NULL AND p.space != '' LIMIT 1"
                ).fetchone()
                is not None
            )

    # -- push ---------------------------------------------------------------------------------------------
    def push(self) -> None:
        """Push record changes (after the media they reference) and unacknowledged project ops."""
        with self.store.write() as conn:
            freeze(conn, self.can_push)
            self._queue_project_clips(conn)
        self._push_pending()
        self._push_ops()

    def _queue_project_clips(self, conn: sqlite3.Connection) -> None:
        """A shared project's collaborators need the records of the clips its timeline uses."""
        for project_id, space in conn.execute(
            "SELECT id, space FROM projects WHERE space != '' ORDER BY id"
        ).fetchall():
            if not self._writable(space):
                continue
            for (clip_id,) in conn.execute(_CLIPS_OF_PROJECT, (project_id,)).fetchall():
                if not is_sha256(clip_id) or get_shadow(conn, space, "clip", clip_id) is not None:
                    continue
                if conn.execute(
                    "SELECT 1 FROM sync_pending WHERE space = ? AND kind = 'clip' AND record_id = ?",
                    (space, clip_id),
                ).fetchone():
                    continue
                if conn.execute("SELECT 1 FROM clips WHERE id = ?", (clip_id,)).fetchone():
                    queue_record(conn, "clip", clip_id, None, self.can_push, extra_spaces=[space])

    def _next_batch(self) -> dict[str, list[Pending]]:
        """The oldest pending change of each record, per space: one change per record per push, so a
        later change can be rebased on the revision its predecessor produced. A record whose oldest change
        was refused waits (its later changes too) until the user retries or drops it. A batch stays under
        PUSH_BYTES of JSON, so no push outgrows the server's body limit."""
        with self.store.read() as conn:
            pending = all_pending(conn)
            refused = {(r["space"], r["change"]) for r in state.refused_changes(conn)}
        batch: dict[str, list[Pending]] = {}
        sizes: dict[str, int] = {}
        seen: set[tuple[str, str, str]] = set()
        for change in pending:
            key = (change.space, change.kind, change.record_id)
            if key in seen or change.space in self._blocked:
                continue
            seen.add(key)
            if (change.space, change.change_id) in refused:
                continue
            size = len(state.dumps(change.wire()))
            group = batch.setdefault(change.space, [])
            if group and (len(group) >= api.MAX_CHANGES_PER_PUSH or sizes[change.space] + size > PUSH_BYTES):
                continue
            group.append(change)
            sizes[change.space] = sizes.get(change.space, 0) + size
        return {space: group for space, group in batch.items() if group}

    def _push_pending(self) -> None:
        while True:
            self.cancel.raise_if_cancelled()
            batch = self._next_batch()
            if not batch:
                return
            for space, changes in batch.items():
                self._upload_media_of(space, changes)
                self._send_changes(space, changes)
                self._tell(0.5, f"pushed {self.report.pushed_changes} changes")

    def _send_changes(self, space: str, changes: list[Pending]) -> None:
        """Push `changes` in one request; a body the server finds too large is split in halves."""
        seqs = [c.seq for c in changes]
        with self.store.write() as conn:
            conn.executemany("UPDATE sync_pending SET sent = 1 WHERE seq = ?", [(s,) for s in seqs])
        try:
            doc = self.client.post_json(
                api.CHANGES.format(space_id=space),
                {"changes": [c.wire() for c in changes]},
                idempotent=True,
            )
        except ApiError as exc:
            if exc.status == 413:
                if len(changes) > 1:
                    half = len(changes) // 2
                    self._send_changes(space, changes[:half])
                    self._send_changes(space, changes[half:])
                    return
                with self.store.write() as conn:
                    change = changes[0]
                    state.refuse(
                        conn, space, change.change_id, change.kind, change.record_id, "too-large", exc.detail
                    )
                return
            if exc.status not in (403, 404):
                raise
            # Refused as a whole (role changed, space gone): nothing was applied; keep it all.
            self._block(space, exc)
            with self.store.write() as conn:
                conn.executemany("UPDATE sync_pending SET sent = 0 WHERE seq = ?", [(s,) for s in seqs])
            return
        results = {r["change_id"]: r for r in doc["results"]}
        with self.store.write() as conn:
            for change in changes:
                result = results.get(change.change_id)
                if result is None:
                    raise SyncError(f"the server did not answer for change {change.change_id}")
                if result.get("status") == "refused":
                    state.refuse(
                        conn,
                        space,
                        change.change_id,
                        change.kind,
                        change.record_id,
                        str(result.get("reason", "")),
                        str(result.get("detail", "")),
                    )
                    continue
                self._acknowledge(conn, change, result)

    def _block(self, space: str, exc: ApiError) -> None:
        self._blocked.add(space)
        self.report.warnings.append(
            f"space {space}: the server refused local changes ({exc.detail}); they are kept and retried "
            "on the next sync"
        )

    def _acknowledge(self, conn: sqlite3.Connection, change: Pending, result: dict[str, Any]) -> None:
        """Whatever the answer kind (applied, merged, conflict, or a duplicate of one after a lost answer),
        the server now holds this change at `rev`: the shadow and the later pending changes of the record
        move to that revision, so the user's next edit is never a conflict with their own earlier one."""
        conn.execute("DELETE FROM sync_pending WHERE seq = ?", (change.seq,))
        self.report.pushed_changes += 1
        rev = int(result["rev"])
        status = result.get("status")
        if status == "duplicate":
            status = result.get("original") or "applied"
        shadow = get_shadow(conn, change.space, change.kind, change.record_id)
        if shadow is not None and shadow.rev >= rev:
            return  # a pull already brought this revision or a later one
        # Confirmed, not yet seen in the feed: checked after the next pull (a restore may lose it).
        base = {k: shadow.doc[k] for k in change.fields if shadow is not None and k in shadow.doc}
        conn.execute(
            "INSERT OR IGNORE INTO sync_confirmed (space, change_id, kind, record_id, fields, base, deleted) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                change.space,
                change.change_id,
                change.kind,
                change.record_id,
                state.dumps(change.fields),
                state.dumps(base),
                None if change.deleted is None else int(change.deleted),
            ),
        )
        clashed = {c.get("field") for c in result.get("conflicts") or []}
        doc = dict(shadow.doc) if shadow else {}
        doc.update({k: v for k, v in change.fields.items() if k not in clashed})
        deleted = bool(shadow and shadow.deleted)
        if change.deleted is not None and "deleted" not in clashed:
            deleted = change.deleted
        conflicts = [c for c in (shadow.conflicts if shadow else []) if c.get("field") not in change.fields]
        conflicts += list(result.get("conflicts") or []) if status == "conflict" else []
        owner = shadow.owner if shadow and shadow.owner else self.username
        put_shadow(
            conn, Shadow(change.space, change.kind, change.record_id, rev, doc, deleted, conflicts, owner)
        )
        conn.execute(
            "UPDATE sync_pending SET base_rev = ? WHERE space = ? AND kind = ? AND record_id = ? "
            "AND sent = 0 AND base_rev IS ?",
            (rev, change.space, change.kind, change.record_id, change.base_rev),
        )

    def _upload_media_of(self, space: str, changes: list[Pending]) -> None:
        blobs: list[BlobSource] = []
        for change in changes:
            sha = change.fields.get("media") if change.kind == "clip" else None
            if not isinstance(sha, str) or not is_sha256(sha) or (space, sha) in self._uploaded:
                continue
            path = media_path(sha)
            if path.is_file():
                blobs.append(BlobSource(sha, path.stat().st_size, path))
        if blobs:
            self.upload(space, blobs)

    def upload(self, space: str, blobs: list[BlobSource]) -> None:
        before = self.transfers.blobs_uploaded
        upload_blobs(
            self.client,
            space,
            blobs,
            progress=self._sub("uploading media"),
            cancel=self.cancel,
            stats=self.transfers,
        )
        self.report.uploaded_blobs += self.transfers.blobs_uploaded - before
        self._uploaded.update((space, b.sha256) for b in blobs)

    def _push_ops(self) -> None:
        with self.store.read() as conn:
            projects = conn.execute(
                "SELECT DISTINCT p.id, p.space FROM projects p JOIN ops o ON o.project_id = p.id "
                "WHERE p.space != '' AND o.server_rev IS NULL AND o.client = ? ORDER BY p.id",
                (self.store.client_id,),
            ).fetchall()
            waiting = state.refused_logs(conn)
        for project_id, space in projects:
            if not self._writable(space):
                if space not in self._blocked:
                    self.report.warnings.append(
                        f"project {project_id[:8]}: you may only view it here, so your edits stay local"
                    )
                continue
            if (space, project_id) in waiting:
                continue
            renumbered = 0
            while True:
                self.cancel.raise_if_cancelled()
                rows = self.store.unacknowledged_ops(
                    project_id, limit=OPS_PER_PUSH, client=self.store.client_id
                )
                if not rows:
                    break
                wired = [wire_op(r) for r in rows]
                change = {
                    "change_id": ops_change_id(wired),
                    "kind": "ops",
                    "project": project_id,
                    "ops": wired,
                }
                try:
                    doc = self.client.post_json(
                        api.CHANGES.format(space_id=space), {"changes": [change]}, idempotent=True
                    )
                except ApiError as exc:
                    if exc.status not in (403, 404):
                        raise
                    self._block(space, exc)
                    break
                result = doc["results"][0]
                if result.get("status") == "refused":
                    if renumbered < 3 and self._rekey(result):
                        renumbered += 1
                        continue
                    with self.store.write() as conn:
                        state.refuse(
                            conn,
                            space,
                            change["change_id"],
                            "ops",
                            project_id,
                            str(result.get("reason", "")),
                            str(result.get("detail", "")),
                        )
                    break
                rev = int(result["rev"])
                self.store.acknowledge_ops({r.op_id: rev for r in rows})
                self.report.pushed_ops += len(rows)
                self._tell(0.9, f"pushed {self.report.pushed_ops} edits")

    def _rekey(self, result: dict[str, Any]) -> bool:
        """After a rollback or a copy of this data folder, ids of our edits are already used on the server
        for other ops: give those edits fresh ids past the server's high-water mark and push again."""
        reason = result.get("reason")
        with self.store.write():
            if reason == refusals.OP_ID_REUSED:
                above = int(result.get("high_water") or 0)
                mapping = self.store.renumber_own_ops(result.get("ops") or [], above)
            else:
                return False
            if mapping:
                failpoint("after-rekey")
        if mapping:
            self.report.warnings.append(
                f"{len(mapping)} edit(s) reused ids this data folder had already sent (restored or copied "
                "folder); they were given new ids and pushed"
            )
        return bool(mapping)

    # -- pull ---------------------------------------------------------------------------------------------
    def pull_space(self, space: str) -> None:
        """Apply the space's feed from the stored cursor; reconcile when the server disowns it."""
        cursor = self.store.get_cursor(space)
        reconciling = self._resume_reconcile(space)
        pages = 0
        while True:
            self.cancel.raise_if_cancelled()
            params: dict[str, Any] = {"limit": FEED_PAGE}
            if cursor:
                params["cursor"] = cursor
            try:
                page = self.client.get_json(api.FEED.format(space_id=space), params=params)
            except ApiError as exc:
                if exc.type == problems.CURSOR_RESET and not reconciling:
                    self._start_reconcile(space)
                    reconciling, cursor = True, None
                    continue
                if exc.status == 404:
                    self.report.warnings.append(f"space {space} is no longer visible to you")
                    return
                raise
            self.apply_page(space, page, previous=cursor)
            pages += 1
            self._tell(1 - 0.5**pages, f"pulled {self.report.pulled_entries} changes")
            cursor = page["cursor"]
            if not page["more"]:
                break
        if reconciling:
            self._finish_reconcile(space)
        else:
            self._resend_lost_ops(space)
            self._resend_lost_records(space)

    def _resend_lost_ops(self, space: str) -> None:
        """Our edits the server confirmed but no longer holds (restored from an older backup while our
        cursor lagged behind, so the cursor did not show it) go up again, whatever the cursor says."""
        with self.store.read() as conn:
            row = conn.execute(
                "SELECT max(o.counter) FROM ops o JOIN projects p ON p.id = o.project_id "
                "WHERE p.space = ? AND o.client = ? AND o.server_rev > 0",
                (space, self.store.client_id),
            ).fetchone()
        confirmed = int(row[0] or 0)
        if not confirmed:
            return
        try:
            mark = self.client.get_json(
                api.CLIENT_MARK.format(space_id=space, client_id=self.store.client_id)
            )
        except ApiError as exc:
            if exc.status == 404:
                return
            raise
        held = int(mark.get("high_water", 0))
        if held >= confirmed:
            return
        with self.store.write() as conn:
            lost = conn.execute(
                "UPDATE ops SET server_rev = NULL WHERE client = ? AND counter > ? AND server_rev > 0 "
                "AND project_id IN (SELECT id FROM projects WHERE space = ?)",
                (self.store.client_id, held, space),
            ).rowcount
        self.report.reconciled.append(space)
        self.report.warnings.append(
            f"space {space}: the server lost {lost} of your confirmed edits (restored from a backup?); "
            "they are sent again"
        )

    def _resend_lost_records(self, space: str) -> None:
        """Our record changes the server confirmed but no longer holds (restored from an older backup while
        our cursor lagged behind, so the cursor did not show it) go up again, whatever the cursor says.

        The changes the feed has not shown back are checked with the server; for each record that lost
        some, the local row gets the values the user had confirmed back (a pull of the restored record
        may have overwritten them) and the fields are queued against the server's current version: a field
        nobody changed since goes up as an edit, one that someone else changed after the restore goes up
        without a base, so the server keeps both values as a conflict instead of either side losing."""
        with self.store.read() as conn:
            rows = conn.execute(
                "SELECT change_id, kind, record_id, fields, base, deleted FROM sync_confirmed "
                "WHERE space = ? ORDER BY seq",
                (space,),
            ).fetchall()
        if not rows:
            return
        held: set[str] = set()
        ids = [r[0] for r in rows]
        try:
            for start in range(0, len(ids), api.MAX_CHANGES_PER_PUSH):
                answer = self.client.post_json(
                    api.CHANGES_HELD.format(space_id=space),
                    {"change_ids": ids[start : start + api.MAX_CHANGES_PER_PUSH]},
                )
                held.update(str(x) for x in answer.get("held") or [])
        except ApiError as exc:
            if exc.status == 404:
                return
            raise
        lost: dict[tuple[str, str], list[tuple[dict[str, Any], dict[str, Any], int | None]]] = {}
        for change_id, kind, record_id, fields, base, deleted in rows:
            if change_id not in held:
                lost.setdefault((kind, record_id), []).append((json.loads(fields), json.loads(base), deleted))
        for (kind, record_id), changes in sorted(lost.items()):
            self._restore_lost(space, kind, record_id, changes)
        with self.store.write() as conn:
            conn.executemany(
                "DELETE FROM sync_confirmed WHERE space = ? AND change_id = ?", [(space, c) for c in ids]
            )
        if lost:
            self.report.reconciled.append(space)
            count = sum(len(c) for c in lost.values())
            self.report.warnings.append(
                f"space {space}: the server lost {count} of your confirmed record changes (restored from a "
                "backup?); they are sent again"
            )

    def _restore_lost(
        self,
        space: str,
        kind: str,
        record_id: str,
        changes: list[tuple[dict[str, Any], dict[str, Any], int | None]],
    ) -> None:
        fields: dict[str, Any] = {}
        base: dict[str, Any] = {}
        for changed, before, _deleted in changes:
            fields.update(changed)
            for name, value in before.items():
                base.setdefault(name, value)
        try:
            current = self.client.get_json(api.RECORD.format(space_id=space, kind=kind, record_id=record_id))
        except ApiError as exc:
            if exc.status not in (404, 409):  # 409: other publishers' claims of the hash, ours is gone
                raise
            current = None
        if current is not None and space == PUBLIC_SPACE and current.get("owner") not in ("", self.username):
            current = None  # another publisher's claim of the same hash: ours is gone
        with self.store.write() as conn:
            local, _home, _origin = records.local_doc(conn, kind, record_id)
            old = get_shadow(conn, space, kind, record_id)
            if current is None:
                # The record itself is gone: it goes up whole, as new.
                conn.execute(
                    "DELETE FROM sync_shadow WHERE space = ? AND kind = ? AND record_id = ?",
                    (space, kind, record_id),
                )
                if kind in KINDS and local is not None:
                    queue_record(conn, kind, record_id, None, self.can_push, extra_spaces=[space])
                return
            doc = dict(current.get("doc") or {})
            rev = int(current["rev"])
            owner = str(current.get("owner") or (old.owner if old else "") or self.username)
            shadow = Shadow(
                space, kind, record_id, rev, doc, bool(current.get("deleted")),
                list(current.get("conflicts") or []), owner,
            )  # fmt: skip
            put_shadow(conn, shadow)
            if kind not in KINDS or local is None:
                return
            restored = dict(local)
            contested: dict[str, Any] = {}
            for name, value in fields.items():
                server = doc.get(name, MISSING)
                if server != value and server != base.get(name, MISSING):
                    contested[name] = value  # someone else changed it after the restore
                if name in restored and restored[name] == server and server != value:
                    restored[name] = value  # the pull of the restored record put the old value back
            if restored != local:
                records.write_local(
                    conn, kind, record_id, restored, space=space, owner=owner, rev=rev, create=False
                )
            # The uncontested fields go up as an edit of the server's version; the contested ones are
            # kept out of it (the shadow holds them for the moment) and go up in a change of their own
            # without a base, which the server keeps as a conflict.
            put_shadow(conn, replace(shadow, doc={**doc, **contested}))
            queue_record(conn, kind, record_id, None, self.can_push, extra_spaces=[space])
            put_shadow(conn, shadow)
            if contested:
                conn.execute(
                    "INSERT INTO sync_pending (change_id, space, kind, record_id, base_rev, fields, deleted, "
                    "sent) VALUES (?, ?, ?, ?, NULL, ?, NULL, 0)",
                    (uuid.uuid4().hex, space, kind, record_id, state.dumps(contested)),
                )

    def apply_page(self, space: str, page: dict[str, Any], previous: str | None = None) -> None:
        """Apply one feed page and store its cursor in one transaction."""
        entries = page.get("entries", [])
        if not entries and page.get("cursor") == previous:
            return
        with self.store.write() as conn:
            for entry in entries:
                self.apply_entry(conn, space, entry)
            if entries:
                failpoint("after-apply")
            self.store.set_cursor(space, page["cursor"])
        self.report.pulled_entries += len(entries)

    def apply_entry(
        self, conn: sqlite3.Connection, space: str, entry: dict[str, Any], *, requested: bool = False
    ) -> None:
        """Apply one feed entry (or one record the user asked for: `requested`) inside `conn`'s write."""
        kind, record_id = entry.get("kind"), entry.get("id")
        if not isinstance(kind, str) or not isinstance(record_id, str) or not is_record_id(record_id):
            state.reject_entry(conn, space, entry, "entry without a valid kind and id")
            return
        if entry.get("author") == self.username and isinstance(entry.get("change_id"), str):
            conn.execute(
                "DELETE FROM sync_confirmed WHERE space = ? AND change_id = ?", (space, entry["change_id"])
            )
        if space == PUBLIC_SPACE and kind == "clip":
            media = public_clip_media(record_id, entry.get("doc"))
            if media is not None:
                author = str(entry.get("author") or "")
                if author and author != self.username:
                    if requested or self._follows_claim(conn, media, author):
                        self._apply_claim(conn, media, record_id, author, entry, requested)
                    return
                record_id, entry = media, {**entry, "id": media}
        if space == PUBLIC_SPACE and not requested and not self._follows_public(conn, kind, record_id, entry):
            return
        if space in self._stale:
            self._stale[space].discard((kind, record_id))
            conn.execute(
                "DELETE FROM sync_reconcile WHERE space = ? AND kind = ? AND record_id = ?",
                (space, kind, record_id),
            )
        if kind == "ops":
            self._apply_ops(conn, space, record_id, entry)
        else:
            self._apply_record(conn, space, kind, record_id, entry)

    def _follows_claim(self, conn: sqlite3.Connection, media: str, author: str) -> bool:
        """Of other publishers' claims about a media hash, the library follows those pulled here."""
        return (
            conn.execute(
                "SELECT 1 FROM clip_claims WHERE media = ? AND publisher = ?", (media, author)
            ).fetchone()
            is not None
        )

    def _apply_claim(
        self,
        conn: sqlite3.Connection,
        media: str,
        claim_id: str,
        author: str,
        entry: dict[str, Any],
        requested: bool,
    ) -> None:
        """Keep another publisher's claim (several per media file, one per publisher). The library's clip
        row follows it while the row is that claim pulled here: a new row for a claim pulled on request,
        field by field against the claim as last pulled (a local change stays), and never over the user's
        own clip or own claim, which stay theirs to publish."""
        doc = dict(entry.get("doc") or {})
        rev = int(entry.get("seq", 0))
        deleted = bool(entry.get("deleted"))
        before = remember_claim(conn, media, author, claim_id, doc, rev, deleted)
        self.report.applied_records += 1
        if deleted:
            return
        row = conn.execute("SELECT owner, origin FROM clips WHERE id = ?", (media,)).fetchone()
        try:
            if row is None:
                records.write_local(
                    conn, "clip", media, doc, space=PUBLIC_SPACE, owner=author, rev=rev, create=True
                )
                return
            owner, origin = row
            if origin != "pulled" or owner == self.username:
                return
            local, _home, _origin = records.local_doc(conn, "clip", media)
            if local is None:
                return
            if owner != author:
                if not requested:
                    return
                merged = {**local, **doc}  # the user asked for this claim: the row follows it from now on
                conn.execute("UPDATE clips SET owner = ? WHERE id = ?", (author, media))
            else:
                base = before or {}
                merged = dict(local)
                for name, value in doc.items():
                    if name in local and local[name] == base.get(name, local[name]):
                        merged[name] = value
            if merged != local:
                records.write_local(
                    conn, "clip", media, merged, space=PUBLIC_SPACE, owner=author, rev=rev, create=False
                )
        except RecordRejected as exc:
            state.reject_entry(conn, PUBLIC_SPACE, entry, f"clip {claim_id}: {exc}")

    def _follows_public(
        self, conn: sqlite3.Connection, kind: str, record_id: str, entry: dict[str, Any]
    ) -> bool:
        """The public feed carries everyone's clips; keep only ours and those pulled here."""
        if entry.get("author") == self.username:
            return True
        if get_shadow(conn, PUBLIC_SPACE, kind, record_id) is not None:
            return True
        table = {
            "clip": "clips",
            "project": "projects",
            "ops": "projects",
            "contributor": "contributors",
        }.get(kind)
        if table is None:
            return False
        row = conn.execute(f"SELECT space FROM {table} WHERE id = ?", (record_id,)).fetchone()
        return row is not None and row[0] == PUBLIC_SPACE

    def _apply_ops(
        self, conn: sqlite3.Connection, space: str, project_id: str, entry: dict[str, Any]
    ) -> None:
        if conn.execute("SELECT 1 FROM projects WHERE id = ?", (project_id,)).fetchone() is None:
            name = records._free_name(conn, project_id, f"shared {project_id[:8]}", "")
            conn.execute(
                "INSERT INTO projects (id, name, settings, space, origin, created) "
                "VALUES (?, ?, '{}', ?, 'pulled', ?)",
                (project_id, name, space, utc_now()),
            )
        seq = int(entry.get("seq", 0))
        rows, bad = [], []
        for op in entry.get("ops") or []:
            try:
                client_id, counter = parse_op_id(op.get("id"))
                lamport = op.get("lamport")
                if not isinstance(lamport, int) or isinstance(lamport, bool) or lamport < 0:
                    raise ValueError("bad lamport")
                origin = op.get("origin", "edit")
                if origin not in ORIGINS:
                    raise ValueError("bad origin")
                payload = op_mod.validate(op.get("payload"))
            except (ValueError, TypeError, AttributeError, InvalidInput):
                bad.append(str(op.get("id") if isinstance(op, dict) else op)[:60])
                continue
            rows.append(
                {
                    "client": client_id,
                    "counter": counter,
                    "lamport": lamport,
                    "group_id": str(op.get("group") or op["id"]),
                    "origin": origin,
                    "label": str(op.get("label", ""))[:200],
                    "payload": payload,
                    "server_rev": seq,
                }
            )
        self._make_room(conn, rows)
        self.report.applied_ops += self.store.insert_remote_ops(project_id, rows)
        conn.executemany(
            "UPDATE ops SET server_rev = ? WHERE op_id = ? AND server_rev IS NULL",
            [(seq, f"{r['client']}:{r['counter']}") for r in rows],
        )
        if bad:
            state.reject_entry(conn, space, entry, f"{len(bad)} op(s) not understood: {', '.join(bad[:5])}")

    def _make_room(self, conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
        """A pulled op under one of our ids that our unpushed edit also uses (this folder was rolled back or
        copied) is another op: our edit moves to a fresh id instead of the pulled one being ignored."""
        mine = {f"{r['client']}:{r['counter']}": r for r in rows if r["client"] == self.store.client_id}
        if not mine:
            return
        marks = ", ".join("?" * len(mine))
        clashing = [
            op_id
            for op_id, payload in conn.execute(
                f"SELECT op_id, payload FROM ops WHERE server_rev IS NULL AND op_id IN ({marks})", list(mine)
            ).fetchall()
            if json.loads(payload) != mine[op_id]["payload"]
        ]
        if clashing:
            above = max(r["counter"] for r in mine.values())
            self.store.renumber_own_ops(clashing, above)
            self.report.warnings.append(
                f"{len(clashing)} edit(s) reused ids this data folder had already sent (restored or copied "
                "folder); they were given new ids"
            )

    def _apply_record(
        self, conn: sqlite3.Connection, space: str, kind: str, record_id: str, entry: dict[str, Any]
    ) -> None:
        doc = entry.get("doc") or {}
        rev = int(entry.get("seq", 0))
        deleted = bool(entry.get("deleted"))
        conflicts = list(entry.get("conflicts") or [])
        old = get_shadow(conn, space, kind, record_id)
        owner = old.owner if old is not None and old.owner else str(entry.get("author", ""))
        adjusted: dict[str, Any] = {}
        if kind in KINDS:
            # Local edits not yet frozen are frozen now, on the revision they were made on.
            freeze(conn, self.can_push, kind=kind, record_id=record_id)
            try:
                adjusted = self._merge_into_local(conn, space, kind, record_id, doc, deleted, rev, owner, old)
            except RecordRejected as exc:
                state.reject_entry(conn, space, entry, f"{kind} {record_id}: {exc}")
        put_shadow(conn, Shadow(space, kind, record_id, rev, {**doc, **adjusted}, deleted, conflicts, owner))
        self.report.applied_records += 1

    def _merge_into_local(
        self,
        conn: sqlite3.Connection,
        space: str,
        kind: str,
        record_id: str,
        doc: dict[str, Any],
        deleted: bool,
        rev: int,
        owner: str,
        old: Shadow | None,
    ) -> dict[str, Any]:
        """Three-way merge of the pulled version into the local row: a field the user changed (pending,
        or different from the last server version) stays as the user left it; the rest follows the server.
        A deleted record is never deleted here: local work is not thrown away.

        Without a trustworthy base (first sight of a record made here too, or a server restored from a
        backup that lost part of the history) a field that differs keeps the local value and is pushed
        with no base revision, so the server shows the disagreement as a conflict instead of either side
        winning silently."""
        local, _home, origin = records.local_doc(conn, kind, record_id)
        mine = pending_fields(conn, space, kind, record_id)
        if deleted:
            return {}
        reconciling = space in self._stale
        if local is None:
            if "deleted" in mine or old is not None:
                return {}  # deleted here on purpose; the pending delete (or its ack) settles it
            return records.write_local(
                conn, kind, record_id, doc, space=space, owner=owner, rev=rev, create=True
            )
        trusted = old is not None and not reconciling
        merged = dict(local)
        differing: dict[str, Any] = {}
        for name, value in doc.items():
            if name in mine or name not in local:
                continue
            if trusted:
                assert old is not None
                if local[name] == old.doc.get(name, MISSING):
                    merged[name] = value
            elif origin == "pulled" and not reconciling:
                merged[name] = value
            elif local[name] != value:
                differing[name] = local[name]
        if differing and self.can_push(space, kind, record_id, None):
            queue_unbased(conn, space, kind, record_id, differing)
        if merged == local:
            return {}
        return records.write_local(
            conn, kind, record_id, merged, space=space, owner=owner, rev=rev, create=False
        )

    # -- reconcile --------------------------------------------------------------------------------------
    def _resume_reconcile(self, space: str) -> bool:
        """A reconcile an earlier run started and did not finish goes on where it stopped."""
        with self.store.read() as conn:
            rows = conn.execute(
                "SELECT kind, record_id FROM sync_reconcile WHERE space = ?", (space,)
            ).fetchall()
        if not rows:
            return False
        self._stale[space] = {(r[0], r[1]) for r in rows}
        return True

    def _start_reconcile(self, space: str) -> None:
        with self.store.write() as conn:
            state.drop_cursor(conn, space)
            self._stale[space] = {
                (r[0], r[1])
                for r in conn.execute("SELECT kind, record_id FROM sync_shadow WHERE space = ?", (space,))
            }
            conn.execute("DELETE FROM sync_reconcile WHERE space = ?", (space,))
            conn.executemany(
                "INSERT INTO sync_reconcile (space, kind, record_id) VALUES (?, ?, ?)",
                [(space, kind, record_id) for kind, record_id in self._stale[space]],
            )
            # Only our own ops go up again: the server takes an op only from the account that made it,
            # so each collaborator re-sends their own edits when they next sync.
            conn.execute(
                "UPDATE ops SET server_rev = NULL "
                "WHERE project_id IN (SELECT id FROM projects WHERE space = ?) AND client = ?",
                (space, self.store.client_id),
            )
        self.report.reconciled.append(space)
        self.report.warnings.append(
            f"space {space}: the server does not know our position in its history "
            "(restored or replaced); pulled everything again and re-pushed what it lacks"
        )

    def _finish_reconcile(self, space: str) -> None:
        """Records we had from this space that the server no longer has go back up whole."""
        lost = self._stale.pop(space, set())
        with self.store.write() as conn:
            conn.execute("DELETE FROM sync_reconcile WHERE space = ?", (space,))
            conn.execute("DELETE FROM sync_confirmed WHERE space = ?", (space,))  # re-pushed whole below
            for kind, record_id in sorted(lost):
                conn.execute(
                    "DELETE FROM sync_shadow WHERE space = ? AND kind = ? AND record_id = ?",
                    (space, kind, record_id),
                )
                conn.execute(
                    "UPDATE sync_pending SET base_rev = NULL WHERE space = ? AND kind = ? AND record_id = ?",
                    (space, kind, record_id),
                )
                if kind in KINDS:
                    queue_record(conn, kind, record_id, None, self.can_push, extra_spaces=[space])

    # -- media --------------------------------------------------------------------------------------------
    def _report_corrupt(self, sha: str) -> str:
        """Tell the server a blob keeps arriving corrupt, so it re-verifies (and repairs) its copy."""
        try:
            answer = self.client.post_json(api.BLOB_VERIFY.format(sha256=sha), {})
        except ApiError as exc:
            return f"reporting it to the server failed ({exc.detail})"
        return _verify_outcome(str(answer.get("status", "")))

    def fetch_media(self) -> None:
        """Download media the user asked for and media of clips local projects use."""
        with self.store.read() as conn:
            wanted = dict(state.wanted_media(conn))
            missing = {r[0] for r in conn.execute("SELECT id FROM clips WHERE media_present = 0")}
            if missing:
                for (project_id,) in conn.execute("SELECT id FROM projects").fetchall():
                    for (clip_id,) in conn.execute(_CLIPS_OF_PROJECT, (project_id,)).fetchall():
                        if clip_id in missing:
                            wanted.setdefault(clip_id, None)
        for index, (sha, size) in enumerate(sorted(wanted.items())):
            self.cancel.raise_if_cancelled()
            low, high = index / len(wanted), (index + 1) / len(wanted)

            def step(fraction: float, _message: str, low: float = low, high: float = high) -> None:
                self._tell(low + (high - low) * fraction, "downloading media")

            self.fetch_one(sha, size, step)

    def fetch_one(self, sha: str, size: int | None, progress: ProgressCallback | None = None) -> Path | None:
        """Download one blob into the media folder; a blob the server will not give is reported, not fatal."""
        dest = media_path(sha)
        if not dest.is_file():
            try:
                download_blob(
                    self.client,
                    sha,
                    dest,
                    size=size,
                    progress=progress,
                    cancel=self.cancel,
                    stats=self.transfers,
                )
            except ApiError as exc:
                if exc.status not in (403, 404):
                    raise
                self.report.warnings.append(f"media {sha[:12]} is not available to you on the server")
                return None
            except BlobCorrupt as exc:
                self.report.warnings.append(f"{exc}; {self._report_corrupt(sha)}")
                return None
            self.report.downloaded_blobs += 1
        with self.store.write() as conn:
            state.media_arrived(conn, sha)
        return dest


def _verify_outcome(status: str) -> str:
    return {
        "quarantined": "the server's copy was damaged and is taken out of service until someone who has "
        "the file uploads it again (publishing it again does)",
        "intact": "the server's copy is intact: the damage happened on the way; the next sync tries again",
    }.get(status, "the server checked its copy a moment ago; the next sync tries again")


def pending_summary(store: Store) -> dict[str, int]:
    """How much local work waits for a server (for `studio sync --json` and the status bar)."""
    with store.read() as conn:
        changes = int(conn.execute("SELECT count(*) FROM sync_pending").fetchone()[0])
        outbox = int(
            conn.execute(
                f"SELECT count(*) FROM outbox o WHERE kind IN ({', '.join('?' * len(KINDS))})", KINDS
            ).fetchone()[0]
        )
        ops = int(
            conn.execute(
                "SELECT count(*) FROM ops JOIN projects p ON p.id = ops.project_id "
                "WHERE ops.server_rev IS NULL AND p.space != ''"
            ).fetchone()[0]
        )
    return {"pending_changes": changes, "outbox": outbox, "unpushed_ops": ops}
