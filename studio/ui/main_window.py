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
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import QByteArray, QSettings, QTimer, Signal
from PySide6.QtWidgets import QMainWindow

from studio import __version__
from studio.core.display import shown
from studio.ui import theme
from studio.ui.startup import Skeleton, open_project_session
from studio.ui.untrusted import PlainLabel, escaped

# Qt classes the skeleton does not need are looked up on their modules when first used (QtCore.Qt,
# QtWidgets.QMessageBox ...): PySide6 makes a class's Python enums when its name is first taken, and
# Qt's namespace alone costs about 35 ms, a third of a bare window's start.

if TYPE_CHECKING:
    from fractions import Fraction

    from PySide6.QtGui import QAction, QCloseEvent
    from PySide6.QtWidgets import QDockWidget, QMenu, QTabWidget, QWidget

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
    from studio.ui.sync_panel import ConflictsPanel
    from studio.ui.timeline.panel import TimelinePanel

LAST_PROJECT_KEY = "project/last"
SHUTTLE_RATES = (1, 2, 4, 8)
MENUS = ("&File", "&Edit", "&View", "&Timeline", "&Playback", "&Sync", "&Help")


def _action_text(label: str) -> str:
    """An undo step's label (it may name a clip or track from someone else) as menu text: visible
    control characters, and a literal & rather than a shortcut marker."""
    return shown(label).replace("&", "&&")


def load_library() -> list[tuple[Clip, str]]:
    """Every local clip with its state (runs on a worker thread, with its own store connection)."""
    from studio.services.library import list_library
    from studio.services.projects import open_store

    with open_store() as store:
        return [(entry.clip, entry.state) for entry in list_library(store)]


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
    menus: dict[str, QMenu]
    library_dock: QDockWidget
    inspector_dock: QDockWidget
    conflicts_dock: QDockWidget
    timeline_dock: QDockWidget
    actions_by_name: dict[str, QAction]
    theme_actions: dict[str, QAction]

    def __init__(self, settings: QSettings, *, show_welcome: bool = False) -> None:
        super().__init__()
        self.settings = settings
        self.sync_status: SyncStatusModel | None = None
        self.is_ready = False
        self.welcome_pending = show_welcome
        self.shuttle = 0
        self.mark_in: Fraction | None = None
        self.mark_out: Fraction | None = None
        self._task: tasks.TaskHandle | None = None
        self._project_task: tasks.TaskHandle | None = None
        self._project_done = False
        self._stages: list[Callable[[], None]] = [
            self._build_models,
            self._build_timeline,
            self._build_library,
            self._build_inspector,
            self._build_preview,
            self._build_status_widgets,
            self._build_actions,
            self._connect,
        ]
        self._started = False
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
            self._apply_style_sheet()
            self.setUpdatesEnabled(True)
            self._maybe_ready()

    def finish_startup(self) -> None:
        """Build what is left and wait for the project here (scripts and tests that need the whole
        window at once; a shown window gets there by itself and says so with `ready`)."""
        self._started = True
        while self._stages:
            self._stages.pop(0)()
        self._apply_style_sheet()
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
        from studio.ui import tasks
        from studio.ui.startup import warm_up

        self.is_ready = True
        self.sync.load_account()
        tasks.submit("import", lambda _ctx: warm_up(), name="warm up", owner=self)
        self.ready.emit()
        if self.welcome_pending:
            self.welcome_pending = False
            QTimer.singleShot(0, self.show_welcome)

    # -- construction, one stage per event-loop turn ----------------------------------------------------
    def _build_models(self) -> None:
        from studio.services.sync_status import SyncStatusModel
        from studio.ui.catalog import ClipCatalog
        from studio.ui.document import ProjectDocument
        from studio.ui.icons import app_icon
        from studio.ui.media_cache import MediaCache
        from studio.ui.sync_controller import SyncController
        from studio.ui.sync_panel import StatusBridge

        app = QtWidgets.QApplication.instance()
        if isinstance(app, QtWidgets.QApplication):
            app.setWindowIcon(app_icon())
        self.setWindowIcon(app_icon())
        self.menus = {title: self.menuBar().addMenu(title) for title in MENUS}
        self.message = PlainLabel()
        self.statusBar().addWidget(self.message, 1)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.message.clear)
        self.document = ProjectDocument(parent=self)
        self.catalog = ClipCatalog(load_library, self)
        self.media = MediaCache(self.catalog.media_file, self)
        self.sync_status = SyncStatusModel(str(self.settings.value("sync/server", "") or ""))
        self.bridge = StatusBridge(self.sync_status, self)
        self.sync = SyncController(
            self.sync_status, self.catalog, self.document, self.settings, self.run_task, self
        )
        if self._opened_early is not None:
            self.document.attach(self._opened_early)
            self._opened_early = None
        if self._open_failure is not None:
            failure, self._open_failure = self._open_failure, None
            QTimer.singleShot(0, lambda: self._on_project_failed(failure))
        self.catalog.reload()

    def _build_timeline(self) -> None:
        from studio.ui.timeline.panel import TimelinePanel

        self.timeline = TimelinePanel(self.document, self.catalog.get, self.media)
        self.timeline_dock = self._dock("Timeline", self.timeline, "bottom")

    def _build_library(self) -> None:
        from studio.ui.library_dock import LibraryDock

        self.library = LibraryDock(self.catalog, self.media)
        self.library_dock = self._dock("Library", self.library, "left")

    def _build_inspector(self) -> None:
        from studio.ui.inspector_dock import InspectorDock
        from studio.ui.sync_panel import ConflictsPanel

        self.inspector = InspectorDock(self.catalog)
        self.conflicts = ConflictsPanel(self.document)
        self.conflicts.clip_title = lambda clip_id: getattr(self.catalog.get(clip_id), "title", None)
        self.inspector_dock = self._dock("Inspector", self.inspector, "right")
        self.conflicts_dock = self._dock("Conflicts", self.conflicts, "right")
        self.tabifyDockWidget(self.inspector_dock, self.conflicts_dock)
        self.inspector_dock.raise_()
        from studio.ui import payouts_docks

        self.payout_docks: PayoutsDocks = payouts_docks.install(self)

    def _build_preview(self) -> None:
        from studio.ui.preview import PreviewWidget

        self.preview = PreviewWidget(self.document, self.catalog)
        self.setCentralWidget(self.preview)
        self.skeleton = None

    def _dock(self, title: str, widget: QWidget, side: str) -> QDockWidget:
        """A dock holding `widget` on the left, right or bottom side."""
        area = getattr(QtCore.Qt.DockWidgetArea, f"{side.title()}DockWidgetArea")
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")
        dock.setFeatures(
            QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable  # View ▸ brings it back
        )
        self.addDockWidget(area, dock)
        # The panel goes in last, into containers already in place: under the app's style sheet each
        # reparenting of a built widget tree restyles all of it again (a panel put in a scroll area and
        # that in the dock was styled three times over).
        if side in ("left", "right"):
            # A side panel's content scrolls rather than widen the window: the docks' minimum widths
            # added up made a 1024 px window 1231 px wide, and the docks jumped as Qt fitted them.
            scroller = QtWidgets.QScrollArea()
            scroller.setObjectName(f"scroll-{title.lower()}")
            scroller.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
            scroller.setWidgetResizable(True)
            dock.setWidget(scroller)
            scroller.setWidget(widget)
        else:
            dock.setWidget(widget)
        return dock

    def _build_status_widgets(self) -> None:
        from studio.ui.icons import icon
        from studio.ui.sync_panel import SyncBadge

        bar = self.statusBar()
        self.task_label = PlainLabel()
        self.task_bar = QtWidgets.QProgressBar()
        self.task_bar.setRange(0, 1000)
        self.task_bar.setFixedWidth(160)
        self.task_cancel = QtWidgets.QToolButton()
        self.task_cancel.setIcon(icon("close"))
        self.task_cancel.setToolTip("Cancel")
        self.task_cancel.clicked.connect(self._on_task_cancel_clicked)
        for widget in (self.task_label, self.task_bar, self.task_cancel):
            bar.addPermanentWidget(widget)
            widget.setVisible(False)
        self.publish_queue = PlainLabel()  # stays until the queued publishes went out (not a timed message)
        self.publish_queue.setObjectName("publishQueue")
        self.publish_queue.setVisible(False)
        bar.addPermanentWidget(self.publish_queue)
        self.sync_badge = SyncBadge(self.bridge)
        self.sync_badge.clicked.connect(self.show_conflicts)
        bar.addPermanentWidget(self.sync_badge)

    def _build_actions(self) -> None:
        from studio.ui import actions

        self.actions_by_name = actions.build_actions(self)
        self.theme_actions = actions.build_theme_actions(self, str(self.settings.value("ui/theme", "dark")))
        actions.build_menus(self)
        actions.build_toolbar(self)

    def _connect(self) -> None:
        self.document.changed.connect(self._on_document_changed)
        self.document.history_changed.connect(self._on_history_changed)
        self.document.edit_rejected.connect(self.post)
        self.document.opened.connect(self._on_project_opened)
        self.timeline.status_posted.connect(self.post)
        self.timeline.files_dropped.connect(self.import_files)
        self.timeline.selection_changed.connect(self._on_timeline_selection_changed)
        self.timeline.playhead_changed.connect(self.preview.show_frame_at)
        self.library.import_requested.connect(self.import_files)
        self.library.clip_selected.connect(self._on_library_clip_selected)
        self.timeline.view.clips_dropped.disconnect(self.timeline._on_clips_dropped)
        self.timeline.view.clips_dropped.connect(self._on_clips_dropped)
        self.inspector.item_edited.connect(self._on_item_edited)
        self.inspector.clip_saved.connect(lambda _id: self.catalog.reload())
        self.inspector.status_posted.connect(self.post)
        self.catalog.changed.connect(
            lambda: self.timeline.scene.sync(self.document.timeline, self.timeline.scale)
        )
        self.catalog.load_failed.connect(lambda msg: self.post(f"Library not loaded: {msg}"))
        self.catalog.changed.connect(self._show_publish_queue)
        self.preview.position_changed.connect(lambda t: self.timeline.set_playhead(t, follow=True))
        self.preview.status_posted.connect(self.post)
        self.preview.playing_changed.connect(self._on_playing_changed)
        self.sync.account_changed.connect(self._on_account_changed)
        self.sync.local_server_changed.connect(self._on_local_server_changed)
        self.sync.posted.connect(self.post)
        self.sync.searched.connect(self._on_shared_searched)
        self.sync.search_failed.connect(self.library.show_search_failed)
        self.sync.conflicts_listed.connect(self._on_sync_conflicts)
        self.sync.refused_listed.connect(self.conflicts.set_sync_refused)
        self.conflicts.refused_settle_requested.connect(self.sync.settle_refused)
        self.library.shared_search_requested.connect(self.sync.search)
        self.library.pull_requested.connect(self.sync.pull)
        self.library.publish_requested.connect(self.sync.publish)
        self.conflicts.record_resolution_requested.connect(self.sync.resolve_record)
        self.conflicts.open_project_requested.connect(self.document.open)
        self._on_account_changed(self.sync.account)
        self._on_local_server_changed(self.sync.local_server)
        self._restore_layout()
        if self.document.session is not None:
            self._on_project_opened(self.document.name)
            self._on_document_changed()
            self._on_history_changed()

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
        from studio.ui import tasks

        for widget in (self.task_label, self.task_bar, self.task_cancel):
            widget.setVisible(True)
        self.task_label.setText(label)
        self.task_bar.setValue(0)

        def finish() -> None:
            for widget in (self.task_label, self.task_bar, self.task_cancel):
                widget.setVisible(False)

        def done(result: Any) -> None:
            finish()
            on_done(result)

        def failed(exc: BaseException) -> None:
            finish()
            self.post(f"{label} failed: {exc}", 12000)

        def cancelled() -> None:
            finish()
            self.post(f"{label} cancelled")

        self._task = tasks.submit(
            pool,
            fn,
            name=label,
            on_done=done,
            on_failed=failed,
            on_cancelled=cancelled,
            on_progress=self._on_task_progressed,
            owner=self,
        )
        return self._task

    def _on_task_progressed(self, fraction: float, message: str) -> None:
        self.task_bar.setValue(round(fraction * 1000))
        self.task_bar.setToolTip(escaped(message))

    def _on_task_cancel_clicked(self) -> None:
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
            mark_range=self._marked_range(),
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

    def _show_publish_queue(self) -> None:
        """The clips published while the server could not be reached, in the status bar until the sync
        that sends them (a library selection or a newer message does not hide it)."""
        titles = sorted(
            self.catalog.clips[c].title or c[:12]
            for c, state in self.catalog.states.items()
            if state == "queued" and c in self.catalog.clips
        )
        self.publish_queue.setVisible(bool(titles))
        if titles:
            n = len(titles)
            self.publish_queue.setText(f"{n} clip{'s' if n != 1 else ''} to publish at the next sync")
            self.publish_queue.setToolTip(
                escaped(
                    "Published while the server could not be reached; they go out with the next sync "
                    f"(Sync ▸ Sync now):\n{chr(10).join(titles)}"
                )
            )

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

    def _marked_range(self) -> tuple[Fraction, Fraction] | None:
        if self.mark_in is not None and self.mark_out is not None and self.mark_out > self.mark_in:
            return self.mark_in, self.mark_out
        return None

    def open_demo(self) -> None:
        from studio.ui.welcome import open_demo_library

        open_demo_library(self)

    # -- playback ----------------------------------------------------------------------------------
    def seek(self, t: Fraction) -> None:
        self.timeline.set_playhead(t, follow=True)

    def toggle_play(self) -> None:
        if self.preview.playing:
            self.stop()
        else:
            self.shuttle = 1
            self.preview.play(self.timeline.playhead, 1)

    def stop(self) -> None:
        self.shuttle = 0
        self.preview.pause()

    def shuttle_step(self, direction: int) -> None:
        """J and L: each press plays faster in that direction; the other key slows down first."""
        if self.shuttle == 0 or (self.shuttle > 0) != (direction > 0):
            self.shuttle = direction
        else:
            index = min(SHUTTLE_RATES.index(abs(self.shuttle)) + 1, len(SHUTTLE_RATES) - 1)
            self.shuttle = SHUTTLE_RATES[index] * direction
        self.preview.play(self.timeline.playhead, self.shuttle)

    def _on_playing_changed(self, playing: bool) -> None:
        from studio.ui import icons

        self.actions_by_name["play"].setIcon(icons.icon("pause" if playing else "play"))
        if not playing:
            self.shuttle = 0

    def set_mark_in(self) -> None:
        self.mark_in = self.timeline.playhead
        self._show_marks()

    def set_mark_out(self) -> None:
        self.mark_out = self.timeline.playhead
        self._show_marks()

    def _show_marks(self) -> None:
        marked = self._marked_range()
        self.timeline.ruler.in_out = marked
        self.timeline.ruler.update()
        self.preview.set_range(marked)

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
        dialog = QtWidgets.QDialog(self)
        dialog.setWindowTitle("Keyboard shortcuts")
        table = QtWidgets.QTableWidget(0, 2)
        table.setHorizontalHeaderLabels(["Action", "Keys"])
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        for name, keys in self.shortcut_rows():
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, QtWidgets.QTableWidgetItem(name))
            table.setItem(row, 1, QtWidgets.QTableWidgetItem(keys))
        table.resizeColumnsToContents()
        layout = QtWidgets.QVBoxLayout(dialog)
        layout.addWidget(table)
        dialog.resize(460, 560)
        dialog.exec()

    def show_about(self) -> None:
        QtWidgets.QMessageBox.about(
            self,
            "About Remix Studio",
            f"<b>Remix Studio {__version__}</b><p>Remix contributed clips on a timeline and export pieces "
            "that carry their credits, through remixes of remixes.</p>",
        )

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

    def _apply_style_sheet(self) -> None:
        """The theme's style sheet, set once the docks are built (see set_theme)."""
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if isinstance(app, QApplication):
            qss = theme.style_sheet(theme.colors().name)
            if app.styleSheet() != qss:
                app.setStyleSheet(qss)

    # -- layout memory -----------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray) and self.restoreState(state):
            return
        layout = self.layout()
        if layout is not None:  # the docks were just added: sized before they are placed, sizes are lost
            layout.activate()
        self._default_dock_sizes()
        QTimer.singleShot(0, self._default_dock_sizes)  # and once more when the window has its size

    def _default_dock_sizes(self) -> None:
        orientation = QtCore.Qt.Orientation
        side = min(360, self.width() * 3 // 10)  # at 1024 px the preview keeps two fifths
        self.resizeDocks([self.library_dock, self.inspector_dock], [side, side + 20], orientation.Horizontal)
        self.resizeDocks([self.timeline_dock], [340], orientation.Vertical)

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        if not self._stages:  # the docks exist: their layout is worth keeping
            self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
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
