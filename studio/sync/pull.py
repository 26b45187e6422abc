"""Pulling: each space's feed page by page, each page and its cursor applied in one local transaction;
ops join the journal, records merge field by field into the local rows, other publishers' claims are kept
beside the library's clip."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from studio.core import ops as op_mod
from studio.core.errors import InvalidInput
from studio.core.library import remember_claim
from studio.core.store import ORIGINS, utc_now
from studio.protocol import api, problems
from studio.protocol.ids import PUBLIC_SPACE, is_record_id, parse_op_id, public_clip_media
from studio.sync import records, state
from studio.sync.base import failpoint
from studio.sync.client import ApiError
from studio.sync.outbox import freeze, pending_fields, queue_unbased
from studio.sync.records import KINDS, MISSING, RecordRejected
from studio.sync.restore import Restorer
from studio.sync.state import Shadow, get_shadow, put_shadow

FEED_PAGE = api.FEED_MAX_LIMIT


class Puller(Restorer):
    """The pull half of a run (a pull that finds the server restored reconciles through `Restorer`)."""

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
