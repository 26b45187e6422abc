"""Pushing: record changes frozen from the outbox (after the media they reference), in batches under the
server's body limit, then every project op no server has acknowledged."""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any, cast

from studio.core.paths import media_path
from studio.protocol import api, refusals
from studio.protocol.ids import is_sha256
from studio.protocol.shapes import OpsChange, PushReply, PushResult
from studio.sync import state
from studio.sync.base import CLIPS_OF_PROJECT, EngineBase, failpoint
from studio.sync.client import ApiError, SyncError
from studio.sync.outbox import Pending, all_pending, freeze, queue_record
from studio.sync.records import KINDS
from studio.sync.state import Shadow, get_shadow, put_shadow
from studio.sync.transfer import BlobSource, upload_blobs

OPS_PER_PUSH = 2000
PUSH_BYTES = 4 * 1024 * 1024


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


class Pusher(EngineBase):
    """The push half of a run."""

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
            for (clip_id,) in conn.execute(CLIPS_OF_PROJECT, (project_id,)).fetchall():
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
        results = {r["change_id"]: r for r in cast(PushReply, doc)["results"]}
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

    def _acknowledge(self, conn: sqlite3.Connection, change: Pending, result: PushResult) -> None:
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
        conflicts += [dict(c) for c in result.get("conflicts") or []] if status == "conflict" else []
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
                change: OpsChange = {
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
                result = cast(PushReply, doc)["results"][0]
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

    def _rekey(self, result: PushResult) -> bool:
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
