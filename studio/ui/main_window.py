"""The main window: library, preview, inspector and timeline docks, menus with shortcuts, status bar.

Owns the open project (ProjectDocument), the clip catalog and the media cache, and wires the panels to
them. It is shown as a light skeleton (its size, colours and the outline of its panels) and built on
the event loop right after its first paint, one dock per turn, while a worker opens the store and the
last project (see studio.ui.startup); `ready` fires once both are done. Layout, theme and the last
project are remembered with QSettings, so after a crash or a kill the app reopens the project as its
journal left it: every acknowledged edit is there.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import QByteArray, QSettings, QTimer, Signal
from PySide6.QtWidgets import QMainWindow

from studio.core.display import shown
from studio.ui import theme, window_stages
from studio.ui.startup import Skeleton, open_project_session
from studio.ui.untrusted import PlainLabel, escaped

# Qt classes the skeleton does not need are looked up on their modules when first used (QtCore.Qt,
# QtWidgets.QMessageBox ...): PySide6 makes a class's Python enums when its name is first taken, and
# Qt's namespace alone costs about 35 ms, a third of a bare window's start.

if TYPE_CHECKING:
    from fractions import Fraction

    from PySide6.QtGui import QAction, QCloseEvent
    from PySide6.QtWidgets import QDockWidget, QMenu, QProgressBar, QTabWidget, QToolButton

    from studio.core.clips import Clip
    from studio.core.project import ProjectSession
    from studio.core.store import Store
    from studio.services.sync_status import SyncStatusModel
    from studio.ui import tasks
    from studio.ui.calls_panel import CallsPanel
    from studio.ui.catalog import ClipCatalog
    from studio.ui.document import ProjectDocument
    from studio.ui.import_dialog import ImportRequest
    from studio.ui.inspector_dock import InspectorDock
    from studio.ui.library_dock import LibraryDock
    from studio.ui.media_cache import MediaCache
    from studio.ui.payouts_docks import PayoutsDocks
    from studio.ui.payouts_panel import EarningsView, PayoutsPanel
    from studio.ui.preview import PreviewWidget
    from studio.ui.sync_controller import SyncController
    from studio.ui.sync_panel import ConflictsPanel, StatusBridge, SyncBadge
    from studio.ui.timeline.panel import TimelinePanel
    from studio.ui.transport import Transport

LAST_PROJECT_KEY = "project/last"


def _action_text(label: str) -> str:
    """An undo step's label (it may name a clip or track from someone else) as menu text: visible
    control characters, and a literal & rather than a shortcut marker."""
    return shown(label).replace("&", "&&")


def remove_clips(clip_ids: list[str]) -> list[str]:
    """Remove clips from the library on a worker thread (its own store connection); returns titles."""
    from studio.services.library import remove_clip
    from studio.services.projects import open_store

    with open_store() as store:
        return [remove_clip(store, clip_id).clip.title for clip_id in clip_ids]


class MainWindow(QMainWindow):
    first_shown = Signal()  # the skeleton is on screen
    ready = Signal()  # every dock built and the project on the timeline

    # Made by the build stages, one per event-loop turn (hasattr tells whether a stage ran yet).
    document: ProjectDocument
    catalog: ClipCatalog
    media: MediaCache
    sync: SyncController
    timeline: TimelinePanel
    library: LibraryDock
    inspector: InspectorDock
    conflicts: ConflictsPanel
    preview: PreviewWidget
    transport: Transport
    menus: dict[str, QMenu]
    library_dock: QDockWidget
    inspector_dock: QDockWidget
    conflicts_dock: QDockWidget
    timeline_dock: QDockWidget
    actions_by_name: dict[str, QAction]
    theme_actions: dict[str, QAction]
    payout_docks: PayoutsDocks
    message: PlainLabel
    _message_timer: QTimer
    bridge: StatusBridge
    task_label: PlainLabel
    task_bar: QProgressBar
    task_cancel: QToolButton
    publish_queue: PlainLabel
    sync_badge: SyncBadge

    def __init__(self, settings: QSettings, *, show_welcome: bool = False) -> None:
        super().__init__()
        self.settings = settings
        self.sync_status: SyncStatusModel | None = None
        self.is_ready = False
        self.welcome_pending = show_welcome
        self._task: tasks.TaskHandle | None = None
        self._project_task: tasks.TaskHandle | None = None
        self._project_done = False
        self._stages: list[Callable[[], None]] = [partial(stage, self) for stage in window_stages.STAGES]
        self._started = False
        self._closed = False
        self.setWindowTitle("Remix Studio")
        self.setDockNestingEnabled(True)
        self.resize(1440, 900)
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self.skeleton: Skeleton | None = Skeleton()
        self.skeleton.painted.connect(self._on_first_paint)
        self.setCentralWidget(self.skeleton)
        self._opened_early: ProjectSession | None = None
        self._open_failure: BaseException | None = None
        self._start_project_open()  # the store and the journal fold overlap Qt showing the window

    @property
    def store(self) -> Store | None:
        return self.document.store if hasattr(self, "document") else None

    # The Payouts dock's panels and the open calls are made when first shown (studio.ui.payouts_docks).
    @property
    def payouts(self) -> PayoutsPanel:
        return self.payout_docks.panels()[0]

    @property
    def earnings(self) -> EarningsView:
        return self.payout_docks.panels()[1]

    @property
    def payouts_tabs(self) -> QTabWidget:
        return self.payout_docks.panels()[2]

    @property
    def calls(self) -> CallsPanel:
        return self.payout_docks.calls()

    # -- startup -----------------------------------------------------------------------------------
    def _on_first_paint(self) -> None:
        self.first_shown.emit()
        if not self._started:
            self._started = True
            # The skeleton stays on screen while the stages build: painting each half-built state
            # (a relayout and repaint of the whole window per dock) is work nobody sees for long.
            self.setUpdatesEnabled(False)
            QTimer.singleShot(0, self._next_stage)

    def _next_stage(self) -> None:
        if self._stages:
            self._stages.pop(0)()
            QTimer.singleShot(0, self._next_stage)
        else:
            window_stages.apply_style_sheet(self)
            self.setUpdatesEnabled(True)
            self._maybe_ready()

    def finish_startup(self) -> None:
        """Build what is left and wait for the project here (scripts and tests that need the whole
        window at once; a shown window gets there by itself and says so with `ready`)."""
        self._started = True
        while self._stages:
            self._stages.pop(0)()
        window_stages.apply_style_sheet(self)
        self.setUpdatesEnabled(True)
        task = self._project_task
        if not self._project_done and task is not None:
            task.done.wait()
            task.orphaned = True  # its queued delivery is taken here instead
            if task.error is not None:
                self._on_project_failed(task.error)
            else:
                self._on_project_opened_in_background(task.result)
        self._maybe_ready()

    def _start_project_open(self) -> None:
        from studio.ui import tasks

        last = str(self.settings.value(LAST_PROJECT_KEY, "") or "")
        self._project_task = tasks.submit(
            "project",
            lambda _ctx: open_project_session(last),
            name="open project",
            on_done=self._on_project_opened_in_background,
            on_failed=self._on_project_failed,
            owner=self,
        )

    def _on_project_opened_in_background(self, session: ProjectSession) -> None:
        self._project_done = True
        if not hasattr(self, "document"):
            self._opened_early = session  # attached when the first stage makes the document
            return
        self.document.attach(session)
        self._maybe_ready()

    def _on_project_failed(self, exc: BaseException) -> None:
        self._project_done = True
        if not hasattr(self, "message"):  # failed before the first stage built the status bar
            self._open_failure = exc
            return
        self.post(f"The library could not be opened: {exc}", 60000)
        QtWidgets.QMessageBox.warning(
            self, "Remix Studio", escaped(f"The library could not be opened:\n\n{exc}")
        )
        self._maybe_ready()

    def _maybe_ready(self) -> None:
        if self.is_ready or self._stages or not self._project_done:
            return
        from studio.ui.startup import AfterNextPaint

        self.is_ready = True
        self.ready.emit()
        # The saved login's worker imports the HTTP and TLS stack (over 100 ms of interpreter time
        # holding the GIL): after the built window's first paint, not while it is drawn.
        AfterNextPaint(self, self._start_background_work)
        if self.welcome_pending:
            self.welcome_pending = False
            QTimer.singleShot(0, self.show_welcome)

    def _start_background_work(self) -> None:
        """The saved login (and a sync soon after) and the warm-up imports, once the window is drawn
        (not when it was closed meanwhile: its pools are shut down)."""
        from studio.ui import tasks
        from studio.ui.startup import warm_up

        if self._closed:
            return
        self.sync.load_account()
        tasks.submit("import", lambda _ctx: warm_up(), name="warm up", owner=self)

    # -- project -----------------------------------------------------------------------------------
    def new_project(self) -> None:
        name, ok = QtWidgets.QInputDialog.getText(self, "New project", "Name:")
        if ok and name.strip():
            try:
                self.document.create(name.strip())
            except Exception as exc:
                self.post(str(exc))

    def open_project_dialog(self) -> None:
        names = self.document.project_names()
        if not names:
            self.post("No projects yet")
            return
        name, ok = QtWidgets.QInputDialog.getItem(self, "Open project", "Project:", names, 0, False)
        if ok:
            self.document.open(name)

    def _on_project_opened(self, name: str) -> None:
        if self.settings.value(LAST_PROJECT_KEY) != name:  # a write (and its fsync) only on a change
            self.settings.setValue(LAST_PROJECT_KEY, name)
            self.settings.sync()
        self.setWindowTitle(f"Remix Studio — {shown(name)}")
        if self.document.timeline.items:
            QTimer.singleShot(0, self.timeline.zoom_fit)

    def _on_document_changed(self) -> None:
        from studio.services.sync_status import CONFLICTS

        n = self.conflicts.count()
        self.conflicts_dock.setWindowTitle(f"Conflicts ({n})" if n else "Conflicts")
        if self.sync_status is not None and self.sync_status.status.state == CONFLICTS:
            self.sync_status.conflicts(n)  # resolving here updates the badge before the next sync
        self._on_timeline_selection_changed(self.timeline.selected_ids())

    def _on_history_changed(self) -> None:
        undo, redo = self.document.undo_label, self.document.redo_label
        self.actions_by_name["undo"].setText(f"&Undo {_action_text(undo)}" if undo else "&Undo")
        self.actions_by_name["undo"].setEnabled(undo is not None)
        self.actions_by_name["redo"].setText(f"&Redo {_action_text(redo)}" if redo else "&Redo")
        self.actions_by_name["redo"].setEnabled(redo is not None)

    def _library_has_focus(self) -> bool:
        focus = self.focusWidget()
        return focus is not None and (focus is self.library or self.library.isAncestorOf(focus))

    def delete_selected(self, ripple: bool) -> None:
        """Delete acts where the keyboard is: on the library's clips there, else on the timeline."""
        if self._library_has_focus():
            self.remove_library_clips()
        else:
            self.timeline.delete_selected(ripple)

    def remove_library_clips(self) -> tasks.TaskHandle | None:
        """Remove the clips selected in the library (and their media) after asking; clips a project
        uses are refused by the library service with the project named."""
        ids = [i for i in self.library.selected_ids() if i in self.catalog.clips]
        if not ids:
            self.post("Select the clips to remove in the library first")
            return None
        titles = ", ".join(self.catalog.clips[i].title for i in ids)
        buttons = QtWidgets.QMessageBox.StandardButton
        answer = QtWidgets.QMessageBox.question(
            self,
            "Remove from the library",
            escaped(
                f"Remove {titles} from this library, with {'their' if len(ids) > 1 else 'its'} media?\n\n"
                "Copies already published stay on the server."
            ),
            buttons.Yes | buttons.Cancel,
            buttons.Cancel,
        )
        if answer != buttons.Yes:
            return None

        def done(removed: list[str]) -> None:
            self.catalog.reload()
            self.post(f"Removed {', '.join(removed)} from the library")

        return self.run_task("import", "Removing clips", lambda _ctx: remove_clips(ids), done)

    def select_all(self) -> None:
        self.timeline.select(list(self.document.timeline.items))

    # -- selection and inspector -------------------------------------------------------------------
    def _on_timeline_selection_changed(self, ids: list[str]) -> None:
        items = [self.document.timeline.items[i] for i in ids if i in self.document.timeline.items]
        if len(items) >= 1:
            item = items[0]
            self.inspector.show_item(item, self.catalog.get(item.clip) if item.clip else None)
        elif self.inspector.item is not None:
            self.inspector.show_nothing()  # nothing selected on the timeline any more

    def _on_library_clip_selected(self, clip_id: str) -> None:
        clip = self.catalog.get(clip_id) or self.catalog.shared_clip(clip_id)  # shared, not pulled yet
        if clip is not None:
            self.inspector.show_clip(clip)

    def _on_clips_dropped(self, clip_ids: list[str], track_id: str, at: Fraction) -> None:
        """A drop from the library: shared clips not pulled yet are pulled first and placed once here."""
        shared = self.catalog.shared_ids()
        remote = [c for c in clip_ids if c not in self.catalog.clips and c in shared]
        if not remote:
            self.timeline.place_dropped(clip_ids, track_id, at)
            return
        if not self.sync.connected:
            self.post("Connect to the server to pull these clips (Sync ▸ Connect…)")
            return
        titles = ", ".join(clip.title for c in remote if (clip := self.catalog.shared_clip(c)) is not None)
        self.post(f"Pulling {titles}: placed on the timeline once here", 15000)

        def place_when_pulled() -> None:
            if all(self.catalog.media_file(c) is not None for c in clip_ids):
                self.catalog.changed.disconnect(place_when_pulled)
                self.timeline.place_dropped(clip_ids, track_id, at)

        self.catalog.changed.connect(place_when_pulled)
        self.sync.pull(remote)

    def _on_item_edited(self, item_id: str, label: str, changes: dict[str, Any]) -> None:
        self.timeline.set_item_fields(item_id, label, **changes)

    # -- long work ---------------------------------------------------------------------------------
    def post(self, message: str, timeout_ms: int = 6000) -> None:
        self.message.setText(message)
        self._message_timer.start(timeout_ms)

    def run_task(self, pool: str, label: str, fn: Any, on_done: Any) -> tasks.TaskHandle:
        """Run work on a pool with its progress and a cancel button in the status bar."""
        from studio.ui import status_bar

        self._task = status_bar.run_task(self, pool, label, fn, on_done)
        return self._task

    def cancel_task(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def import_files(self, paths: list[str]) -> None:
        from studio.ui.import_dialog import ImportDialog

        dialog = ImportDialog(paths, list(self.catalog.clips.values()), self, settings=self.settings)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        self.start_import(dialog.request())

    def start_import(self, request: ImportRequest) -> tasks.TaskHandle:
        from studio.ui.import_dialog import run_import

        n = len(request.paths)
        return self.run_task(
            "import",
            f"Importing {n} file{'s' if n != 1 else ''}",
            lambda ctx: run_import(request, ctx.progress, ctx.cancel),
            self._on_imported,
        )

    def _on_imported(self, clips: list[Clip]) -> None:
        self.catalog.add(clips)
        self.post(f"Imported {', '.join(c.title for c in clips)}")

    def export(self) -> None:
        from studio.ui.export_dialog import ExportDialog

        dialog = ExportDialog(
            self.document,
            self.catalog,
            self,
            mark_range=self.transport.marked_range(),
            online=self.sync.connected,
            settings=self.settings,
        )
        dialog.exported.connect(self._on_exported)
        dialog.publish_requested.connect(self.publish_export)
        dialog.exec()

    def publish_export(self, path: str) -> None:
        """An export as a new clip: published when connected, else added to the library (its embedded
        credits and sources come along either way)."""
        from pathlib import Path

        from studio.ui.import_dialog import ImportRequest

        if self.sync.connected:
            self.sync.publish_export(Path(path))
        else:
            self.start_import(ImportRequest(paths=[Path(path)]))

    # -- sync --------------------------------------------------------------------------------------
    def _on_account_changed(self, account: Any) -> None:
        online = account is not None
        self.library.set_online(online)
        for name in ("sync_now", "publish", "share", "logout"):
            self.actions_by_name[name].setEnabled(online)

    def _on_local_server_changed(self, server: Any) -> None:
        self.actions_by_name["local_stop"].setEnabled(server is not None)
        tip = f"Running at {server.url}" if server is not None else "Not running"
        self.actions_by_name["local_stop"].setToolTip(tip)

    def start_local_server(self) -> tasks.TaskHandle:
        """Sync ▸ Start the local server: once it answers, offer to connect to it when not connected."""

        def started(_result: Any) -> None:
            server = self.sync.local_server
            if server is not None and not self.sync.connected:
                self.offer_local_connect(server.url)

        handle = self.sync.start_local_server()
        handle.signals.finished.connect(started)  # after the controller took the server in
        return handle

    def _on_shared_searched(self, _text: str, claims: list[tuple[str, Clip]]) -> None:
        self.catalog.set_shared(claims)
        self.library.show_search_result()

    def _on_sync_conflicts(self, conflicts: list[dict[str, Any]]) -> None:
        self.conflicts.set_sync_conflicts(conflicts)
        self._on_document_changed()

    def show_connect(self) -> None:
        from studio.ui.connect import ConnectDialog

        dialog = ConnectDialog(self.sync, self)
        dialog.form.connected.connect(
            lambda account: self.post(f"Connected to {account.server} as {account.username}.", 15000)
        )
        dialog.exec()

    def offer_local_connect(self, url: str) -> QtWidgets.QDialog:
        """The connect form filled in for a new account on the local server (window-modal, shown without
        a nested event loop: it comes from a task's result)."""
        from studio.ui.connect import ConnectDialog

        dialog = ConnectDialog(self.sync, self)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.form.server.setText(url)
        dialog.form.create_account.setChecked(True)
        dialog.form.state.setText(f"The local server runs at {url}: choose an account and a password.")
        dialog.form.connected.connect(
            lambda account: self.post(f"Connected to {account.server} as {account.username}.", 15000)
        )
        dialog.open()
        dialog.form.account.setFocus()
        return dialog

    def share_project(self) -> None:
        from studio.ui.connect import ShareDialog

        if self.document.session is None:
            return
        dialog = ShareDialog(self.document.name, self)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.sync.share_project(self.document.name, dialog.user.text().strip(), dialog.role.currentText())

    def _on_exported(self, path: str) -> None:
        self.post(f"Exported {path}")
        self.catalog.reload()

    def open_demo(self) -> None:
        from studio.ui.welcome import open_demo_library

        open_demo_library(self)

    # -- playback ----------------------------------------------------------------------------------
    def _on_playing_changed(self, playing: bool) -> None:
        from studio.ui import icons

        self.actions_by_name["play"].setIcon(icons.icon("pause" if playing else "play"))
        self.transport.playing_changed(playing)

    # -- dialogs -----------------------------------------------------------------------------------
    def show_conflicts(self) -> None:
        self.conflicts_dock.show()
        self.conflicts_dock.raise_()

    def show_preferences(self) -> None:
        from studio.ui.preferences import PreferencesDialog

        dialog = PreferencesDialog(self.settings, self.sync, self)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.set_theme(str(self.settings.value("ui/theme", "dark")))

    def show_welcome(self) -> None:
        from studio.ui.welcome import WelcomeDialog

        WelcomeDialog(self, self.settings).exec()

    def shortcut_rows(self) -> list[tuple[str, str]]:
        from studio.ui.actions import shortcut_rows

        return shortcut_rows(self.actions_by_name)

    def show_shortcuts(self) -> None:
        from studio.ui.help_dialogs import shortcuts_dialog

        shortcuts_dialog(self, self.actions_by_name).exec()

    def show_about(self) -> None:
        from studio.ui.help_dialogs import show_about

        show_about(self)

    def set_theme(self, name: str) -> None:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if isinstance(app, QApplication):
            # While the stages build, only the palette: the style sheet is set once the docks exist
            # (_apply_style_sheet), since under a style sheet every reparenting of a built widget tree
            # restyles all of it, and the skeleton paints itself in the theme's colours.
            theme.apply_theme(app, name, with_style_sheet=not self._stages)
        self.settings.setValue("ui/theme", name)
        for key, action in getattr(self, "theme_actions", {}).items():
            action.setChecked(key == name)
        if hasattr(self, "timeline"):
            self.timeline.scene.sync(self.document.timeline, self.timeline.scale)
            for drawn in self.timeline.scene.items_by_id.values():
                drawn.update()
            self.timeline.view.resetCachedContent()
        self.update()

    # -- layout memory -----------------------------------------------------------------------------
    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        if not self._stages:  # the docks exist: their layout is worth keeping
            self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closed = True
        self.save_layout()
        if hasattr(self, "preview"):
            self.preview.shutdown()
        if hasattr(self, "bridge"):
            self.bridge.close()
        from studio.ui import tasks

        tasks.shutdown(2000)
        super().closeEvent(event)

    def release(self) -> None:
        """Close the store (after the event loop ends)."""
        if self._opened_early is not None:  # closed before its first stage ran
            self._opened_early.store.close()
            self._opened_early = None
        if self.store is not None:
            self.store.close()
