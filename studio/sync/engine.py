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

The parts live in their own modules: studio.sync.push, .pull, .restore (reconcile after a restore) and
.media (downloads) over studio.sync.base; conflicts are listed by studio.sync.conflicts.
"""

from __future__ import annotations

from studio.core.store import Store
from studio.sync import state
from studio.sync.base import FAILPOINT_ENV, EngineBase, SyncReport, failpoint
from studio.sync.client import ApiError, NotAuthenticated
from studio.sync.conflicts import fold, list_conflicts, project_conflicts
from studio.sync.media import MediaFetcher
from studio.sync.pull import FEED_PAGE, Puller
from studio.sync.push import OPS_PER_PUSH, PUSH_BYTES, Pusher, ops_change_id, wire_op
from studio.sync.records import KINDS

__all__ = [
    "FAILPOINT_ENV",
    "FEED_PAGE",
    "OPS_PER_PUSH",
    "PUSH_BYTES",
    "EngineBase",
    "SyncEngine",
    "SyncReport",
    "failpoint",
    "fold",
    "list_conflicts",
    "ops_change_id",
    "pending_summary",
    "project_conflicts",
    "wire_op",
]


class SyncEngine(Pusher, Puller, MediaFetcher):
    """Syncs one local store with one server as one user."""

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
