"""After a server restore: a reconcile when the server disowns the cursor (pull the whole feed again and
re-push what it lacks, resumable), and the re-send of confirmed edits and record changes a server restored
from an older backup lost while the cursor lagged behind."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

from studio.protocol import api
from studio.protocol.ids import PUBLIC_SPACE
from studio.sync import records, state
from studio.sync.base import EngineBase
from studio.sync.client import ApiError
from studio.sync.outbox import queue_record
from studio.sync.records import KINDS, MISSING
from studio.sync.state import Shadow, get_shadow, put_shadow


class Restorer(EngineBase):
    """Finding and re-sending what a restored server lost."""

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
