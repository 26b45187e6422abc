"""Sync in the app: connect (sign up or log in), sync now and every few minutes, search the shared
library, pull and publish clips, publish an export as a new clip, share a project, settle conflicts.

Every call goes through studio.services.sync on the network pool, so the UI thread never waits on
the server; results arrive on the main thread. A sync feeds the SyncStatusModel the status bar shows,
then the open project takes in what it merged, the library is read again and the conflicts it left
are listed. One sync runs at a time; asking again while one runs queues one more.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, QTimer, Signal

from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.clips import Clip, Credit
from studio.services.sync_status import SyncStatusModel
from studio.ui import tasks

if TYPE_CHECKING:
    from studio.services.account import Account
    from studio.services.local_server import LocalServer
    from studio.sync.engine import SyncReport
    from studio.ui.catalog import ClipCatalog
    from studio.ui.document import ProjectDocument

Runner = Callable[[str, str, Callable[[tasks.TaskContext], Any], Callable[[Any], None]], tasks.TaskHandle]
"""MainWindow.run_task: (pool, label, work, on_done) with progress and cancel in the status bar."""

SYNC_INTERVAL_KEY = "sync/interval_s"
DEFAULT_SYNC_INTERVAL_S = 120
FIRST_SYNC_DELAY_MS = 1500


def clip_of_hit(hit: dict[str, Any]) -> Clip:
    """A shared library search hit as a Clip for the library list (no media here yet)."""
    credits = []
    for person in hit.get("credits") or []:
        roles = person.get("roles") or ([person["role"]] if person.get("role") else [])
        if person.get("name"):
            credits.append(Credit(str(person["name"]), tuple(str(r) for r in roles) or ("creator",)))
    duration = hit.get("duration")
    kind = str(hit.get("kind") or "video")
    return Clip(
        id=str(hit["id"]),
        title=str(hit.get("title") or hit["id"][:12]),
        kind=kind,
        duration=Fraction(str(duration)) if duration not in (None, "") else None,
        credits=tuple(credits),
        licence=str(hit.get("licence") or ""),
        owner=str(hit.get("owner") or ""),
        has_video=kind in ("video", "image"),
        has_audio=kind in ("video", "audio"),
        lineage=tuple(hit.get("lineage") or ()),
    )


class SyncController(QObject):
    account_changed = Signal(object)  # the Account logged in here, or None
    connect_failed = Signal(str)
    # a ServerCertificate to show before trusting it, and the SHA-256 it would replace (None: first contact)
    certificate_unknown = Signal(object, object)
    synced = Signal(object)  # SyncReport
    conflicts_listed = Signal(list)  # conflicts left after a sync (studio.services.sync.conflicts shape)
    refused_listed = Signal(list)  # changes the server refused (studio.services.sync.refused_changes shape)
    searched = Signal(str, list)  # query, hits as (claim id, Clip) pairs: one per publisher's claim
    search_failed = Signal(str)
    posted = Signal(str)  # a message for the status bar
    local_server_changed = Signal(object)  # the LocalServer running on this machine, or None
    local_server_failed = Signal(str)

    def __init__(
        self,
        status: SyncStatusModel,
        catalog: ClipCatalog,
        document: ProjectDocument,
        settings: QSettings,
        run_task: Runner,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.status = status
        self.catalog = catalog
        self.document = document
        self.settings = settings
        self.run_task = run_task
        self.account: Account | None = None
        self.login_read = False  # the saved login was looked up (load_account), found or not
        self.local_server: LocalServer | None = None
        self.sync_task: tasks.TaskHandle | None = None
        self._sync_again = False
        self._search: tasks.TaskHandle | None = None
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.sync_now)

    @property
    def connected(self) -> bool:
        return self.account is not None

    def interval_s(self) -> int:
        value = self.settings.value(SYNC_INTERVAL_KEY, DEFAULT_SYNC_INTERVAL_S)
        try:
            return max(10, int(str(value)))
        except ValueError:
            return DEFAULT_SYNC_INTERVAL_S

    # -- account -----------------------------------------------------------------------------------
    def load_account(self) -> tasks.TaskHandle:
        """Find the login kept on this machine (a file or the keyring) and, if any, sync soon. When it
        points at the local server and that stopped answering (a reboot, a crash), start it again first."""

        def work(ctx: tasks.TaskContext) -> tuple[Account | None, LocalServer | None, bool, str]:
            # Imported here, on the worker: urllib and the sync client cost the UI thread 30 ms at start.
            from studio.services import account as account_service
            from studio.services import local_server

            account = account_service.current_account()
            try:
                ensured = (
                    None if account is None else local_server.ensure_for(account.server, cancel=ctx.cancel)
                )
            except local_server.LocalServerError as exc:
                return account, None, False, str(exc)
            if ensured is not None:
                return account, ensured[0], ensured[1], ""
            return account, local_server.running(), False, ""

        def done(found: tuple[Account | None, LocalServer | None, bool, str]) -> None:
            account, server, restarted, problem = found
            self._set_local_server(server)
            if restarted and server is not None:
                self.posted.emit(f"Started the local server again at {server.url}")
            if problem:
                self.local_server_failed.emit(problem)
                self.posted.emit(f"The local server could not be started: {problem.splitlines()[0]}")
            self._set_account(account, sync_in_ms=FIRST_SYNC_DELAY_MS)
            self.login_read = True

        def failed(exc: BaseException) -> None:
            self.posted.emit(f"The saved login cannot be read: {exc}")
            self.login_read = True

        return tasks.submit("network", work, name="read login", on_done=done, on_failed=failed, owner=self)

    # -- the local server ----------------------------------------------------------------------------
    def start_local_server(self) -> tasks.TaskHandle:
        """Start `studio serve` on this machine (or find it running); it outlives the app."""
        from studio.services import local_server

        self.posted.emit("Starting the local server…")
        return tasks.submit(
            "network",
            lambda ctx: local_server.start(cancel=ctx.cancel),
            name="start the local server",
            on_done=self._on_local_server_started,
            on_failed=self._on_local_server_failed,
            owner=self,
        )

    def _on_local_server_started(self, started: tuple[LocalServer, bool]) -> None:
        server, fresh = started
        self._set_local_server(server)
        self.posted.emit(
            f"The local server {'is running' if fresh else 'was already running'} at {server.url}"
        )

    def _on_local_server_failed(self, exc: BaseException) -> None:
        self.local_server_failed.emit(str(exc))
        self.posted.emit(f"The local server could not be started: {str(exc).splitlines()[0]}")

    def stop_local_server(self) -> tasks.TaskHandle:
        """Stop the local server; it stays stopped (also at the next start) until started again."""
        from studio.services import local_server

        account = self.account

        def work(_ctx: tasks.TaskContext) -> tuple[bool, bool]:
            return local_server.stop(), account is not None and local_server.serves(account.server)

        def done(result: tuple[bool, bool]) -> None:
            was_running, ours = result
            self._set_local_server(None)
            self.posted.emit(
                "Stopped the local server" if was_running else "The local server was not running"
            )
            if ours:
                self.status.offline("Offline — the local server is stopped (Sync ▸ Start the local server)")

        return tasks.submit(
            "network",
            work,
            name="stop the local server",
            on_done=done,
            on_failed=lambda exc: self.posted.emit(f"The local server could not be stopped: {exc}"),
            owner=self,
        )

    def _set_local_server(self, server: LocalServer | None) -> None:
        self.local_server = server
        self.local_server_changed.emit(server)

    def connect_account(
        self,
        url: str,
        user: str,
        password: str,
        *,
        create: bool = False,
        pin: str | None = None,
        ca_cert: Path | None = None,
    ) -> tasks.TaskHandle:
        """Sign up (create) or log in on the network pool, trusting the server's certificate by `pin` or
        `ca_cert` when given; `account_changed`, `connect_failed` or, at the first contact with a server
        whose certificate nothing here vouches for, `certificate_unknown` tells."""
        from studio.services import account as service

        def work(_ctx: tasks.TaskContext) -> Account:
            call = service.signup if create else service.login
            return service.with_trust(url, lambda: call(url, user, password), ca_cert=ca_cert, pin=pin)

        self.status.syncing(0.0, f"connecting to {url}")
        return tasks.submit(
            "network",
            work,
            name="connect",
            on_done=lambda account: self._set_account(account, sync_in_ms=0),
            on_failed=self._on_connect_failed,
            owner=self,
        )

    def _on_connect_failed(self, exc: BaseException) -> None:
        from studio.services.account import UnknownCertificate

        if isinstance(exc, UnknownCertificate):  # the person decides; nothing was sent to the server
            self.status.offline("Offline — the server's certificate is not trusted yet")
            self.certificate_unknown.emit(exc.certificate, exc.replaces)
            return
        self.status.offline(f"Offline — {plain_reason(exc)}" if self.account is None else "Offline")
        self.connect_failed.emit(plain_reason(exc))

    def _set_account(self, account: Account | None, *, sync_in_ms: int | None = None) -> None:
        self.account = account
        if account is None:
            self.timer.stop()
            self.status.offline("Offline — no server configured")
        else:
            self.settings.setValue("sync/server", account.server)
            self.settings.setValue("sync/account", account.username)
            self.settings.sync()
            self.status.syncing(0.0, f"connected to {account.server} as {account.username}")
            self.timer.start(self.interval_s() * 1000)
            if sync_in_ms is not None:
                QTimer.singleShot(sync_in_ms, self.sync_now)
        self.account_changed.emit(account)

    def logout(self) -> tasks.TaskHandle:
        from studio.services import account as service

        return tasks.submit(
            "network",
            lambda _ctx: service.logout(),
            name="log out",
            on_done=lambda _gone: self._set_account(None),
            on_failed=lambda exc: self.posted.emit(f"Log out failed: {exc}"),
            owner=self,
        )

    # -- sync --------------------------------------------------------------------------------------
    def sync_now(self) -> tasks.TaskHandle | None:
        """Push local work and pull everyone else's (a no-op offline; queued if a sync runs)."""
        from studio.services import sync as service

        if self.account is None:
            self.posted.emit("Connect to a server first (Sync ▸ Connect…)")
            return None
        if self.sync_task is not None:
            self._sync_again = True
            return self.sync_task
        self.sync_task = tasks.submit(
            "network",
            lambda ctx: service.sync(progress=ctx.progress, cancel=ctx.cancel, status=self.status),
            name="sync",
            on_done=self._on_synced,
            on_failed=self._on_sync_failed,
            on_cancelled=self._on_sync_ended,
            owner=self,
        )
        return self.sync_task

    def _on_synced(self, report: SyncReport) -> None:
        self._on_sync_ended()
        self.document.refresh()
        self.catalog.reload()
        self.conflicts_listed.emit(list(report.conflicts))
        self.refused_listed.emit(list(report.refused))
        self.synced.emit(report)
        sent = report.pushed_changes + report.pushed_ops
        done = (
            f"Synced with {report.server or 'the server'}: sent {sent}, received {report.pulled_entries} "
            f"changes and {report.downloaded_blobs} media files"
        )
        if report.conflicts:
            done += f"; {len(report.conflicts)} conflicts to resolve"
        if report.refused:
            done += f"; the server refused {len(report.refused)} of your changes (see Conflicts)"
        self.posted.emit(done)

    def _on_sync_failed(self, exc: BaseException) -> None:
        self._on_sync_ended()
        self.posted.emit(f"Sync failed: {plain_reason(exc)}")

    def _on_sync_ended(self) -> None:
        self.sync_task = None
        if self._sync_again:
            self._sync_again = False
            QTimer.singleShot(0, self.sync_now)

    # -- the shared library ------------------------------------------------------------------------
    def search(self, text: str) -> tasks.TaskHandle | None:
        """Search the server's public library; only the latest search's answer is shown."""
        from studio.services import sync as service

        if self.account is None:
            return None
        if self._search is not None:
            self._search.cancel()

        def done(hits: list[dict[str, Any]]) -> None:
            self._search = None
            self.searched.emit(text, [(str(h.get("claim") or h["id"]), clip_of_hit(h)) for h in hits])

        def failed(exc: BaseException) -> None:
            self._search = None
            self.search_failed.emit(str(exc))

        self._search = tasks.submit(
            "network",
            lambda ctx: service.search_library(text, limit=100, cancel=ctx.cancel),
            name="search shared library",
            on_done=done,
            on_failed=failed,
            owner=self,
        )
        return self._search

    def pull(self, clip_ids: list[str]) -> tasks.TaskHandle | None:
        """Bring shared clips into the library (by clip id, or by claim id for one publisher's claim):
        records, credits, lineage and verified media."""
        from studio.services import sync as service

        states = self.catalog.states
        media = {ref: service.media_of(ref) for ref in clip_ids}  # a ref may name one claim of a file
        wanted = [
            r for r in clip_ids if media[r] not in self.catalog.clips or states.get(media[r]) == "remote"
        ]
        if not wanted:
            return None
        for ref in wanted:
            self.catalog.set_state(media[ref], "pulling")

        work = _one_by_one(
            wanted, lambda ref, progress, cancel: service.pull_clip(ref, progress=progress, cancel=cancel)
        )

        def done(pulled: list[dict[str, Any]]) -> None:
            for clip in pulled:
                self.catalog.set_state(clip["id"], "local")
            self.catalog.reload()
            self.posted.emit(f"Pulled {', '.join(c['title'] for c in pulled)}")

        label = f"Pulling {len(wanted)} clip{'s' if len(wanted) != 1 else ''}"
        return self._run(label, work, done, [media[r] for r in wanted])

    def publish(self, clip_ids: list[str]) -> tasks.TaskHandle | None:
        """Publish library clips to the public space: media (resumable upload), credits, licence. When
        the server cannot be reached, each publish is queued and goes out with the next sync."""
        from studio.services import publish_queue

        if not clip_ids:
            return None
        for clip_id in clip_ids:
            self.catalog.set_state(clip_id, "uploading")

        work = _one_by_one(
            clip_ids,
            lambda ref, progress, cancel: publish_queue.publish_or_queue(
                ref, progress=progress, cancel=cancel
            ),
        )

        def done(results: list[dict[str, Any]]) -> None:
            published = [r for r in results if not r["queued"]]
            queued = [r for r in results if r["queued"]]
            for result in published:
                self.catalog.set_state(result["clip"], "published")
            for result in queued:
                self.catalog.set_state(result["clip"], "queued")
            if queued:
                self.status.offline(f"Offline — {queued[0]['reason']}")
            parts = []
            if published:
                parts.append(f"Published {', '.join(r['title'] for r in published)}")
            if queued:
                parts.append(
                    f"The server could not be reached: {', '.join(r['title'] for r in queued)} will be "
                    "published at the next sync"
                )
            self.posted.emit("; ".join(parts))

        label = f"Publishing {len(clip_ids)} clip{'s' if len(clip_ids) != 1 else ''}"
        return self._run(label, work, done, clip_ids)

    def publish_export(self, path: Path) -> tasks.TaskHandle:
        """An export as a new public clip: its embedded credits name the people, its sources its lineage.
        When the server cannot be reached it joins the library and is published at the next sync."""
        from studio.services import publish_queue

        def done(result: dict[str, Any]) -> None:
            self.catalog.reload()  # the library reads the clip's state (published or queued) again
            if result["queued"]:
                self.status.offline(f"Offline — {result['reason']}")
                self.posted.emit(
                    f"The server could not be reached: {result['title']} is in the library and will be "
                    "published at the next sync"
                )
                return
            self.catalog.set_state(result["clip"], "published")
            self.posted.emit(f"Published {result['title']} as a new clip")

        return self.run_task(
            "network",
            f"Publishing {path.name}",
            lambda ctx: publish_queue.publish_export_or_queue(path, progress=ctx.progress, cancel=ctx.cancel),
            done,
        )

    def share_project(self, name: str, user: str, role: str) -> tasks.TaskHandle:
        """Put the project in a private space of its own with `user` as editor or viewer."""
        from studio.services import sync as service

        def done(result: dict[str, Any]) -> None:
            self.posted.emit(f"Shared {result['name']} with {result['user']} ({result['role']})")
            self.document.refresh()

        return self.run_task(
            "network",
            f"Sharing {name} with {user}",
            lambda ctx: service.share_project(name, user, role, progress=ctx.progress, cancel=ctx.cancel),
            done,
        )

    def resolve_record(self, conflict: dict[str, Any], value: Any) -> tasks.TaskHandle:
        """Settle a conflict the server keeps on a record with `value`; the next sync sends it."""
        from studio.services import sync as service

        def work(_ctx: tasks.TaskContext) -> None:
            service.resolve_record_conflict(
                conflict["kind"], conflict["id"], conflict["field"], value, space=conflict.get("space")
            )

        return tasks.submit(
            "network",
            work,
            name="resolve conflict",
            on_done=lambda _none: self.sync_now(),
            on_failed=lambda exc: self.posted.emit(f"Conflict not resolved: {exc}"),
            owner=self,
        )

    def settle_refused(self, change: str, drop: bool) -> tasks.TaskHandle:
        """Give up (`drop`) or push again a change the server refused, then sync."""
        from studio.services import sync as service

        def work(_ctx: tasks.TaskContext) -> None:
            (service.drop_refused if drop else service.retry_refused)(change)

        return tasks.submit(
            "network",
            work,
            name="settle refused change",
            on_done=lambda _none: self.sync_now(),
            on_failed=lambda exc: self.posted.emit(f"Refused change not settled: {exc}"),
            owner=self,
        )

    def _run(
        self,
        label: str,
        work: Callable[[tasks.TaskContext], Any],
        done: Callable[[Any], None],
        clip_ids: list[str],
    ) -> tasks.TaskHandle:
        handle = self.run_task("network", label, work, done)

        def settle(*_: object) -> None:
            if handle.error is not None or handle.cancelled:
                for clip_id in clip_ids:
                    self.catalog.set_state(clip_id, "local" if clip_id in self.catalog.clips else "remote")

        handle.signals.failed.connect(settle)
        handle.signals.cancelled.connect(settle)
        return handle


def _one_by_one(
    refs: list[str], call: Callable[[str, ProgressCallback, CancelToken], Any]
) -> Callable[[tasks.TaskContext], list[Any]]:
    """A task calling `call` for each ref in turn, its progress one share of the whole per ref."""

    def work(ctx: tasks.TaskContext) -> list[Any]:
        out = []
        for n, ref in enumerate(refs):

            def step(fraction: float, message: str, n: int = n) -> None:
                ctx.progress((n + fraction) / len(refs), message)

            out.append(call(ref, step, ctx.cancel))
        return out

    return work


def plain_reason(exc: BaseException) -> str:
    """A network failure as a person reads it (the account service drops the transport's details); the
    service is imported on first use, which is after a failure, not at start."""
    from studio.services.account import UntrustedServer, network_reason

    if isinstance(exc, UntrustedServer) and exc.kind == "changed":
        return (
            f"{network_reason(exc)}. If its owner replaced it on purpose, connect again "
            "(Sync ▸ Connect to a server…) to review the new certificate"
        )
    return network_reason(exc)
