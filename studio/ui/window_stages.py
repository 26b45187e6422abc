"""The main window's build stages, run one per event-loop turn after the skeleton's first paint (see
studio.ui.main_window): the models, then each dock, the status bar, the actions and the wiring. Each
stage imports what it builds, so a bare window starts without them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import QByteArray, QTimer

from studio.ui import status_bar, theme
from studio.ui.untrusted import PlainLabel

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget, QWidget

    from studio.core.clips import Clip
    from studio.ui.main_window import MainWindow

MENUS = ("&File", "&Edit", "&View", "&Timeline", "&Playback", "&Sync", "&Help")
"""The menu bar, left to right (what each menu holds is in studio.ui.actions)."""


def load_library() -> list[tuple[Clip, str]]:
    """Every local clip with its state (runs on a worker thread, with its own store connection)."""
    from studio.services.library_listing import list_library
    from studio.services.projects import open_store

    with open_store() as store:
        return [(entry.clip, entry.state) for entry in list_library(store)]


def build_models(window: MainWindow) -> None:
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
    window.setWindowIcon(app_icon())
    window.menus = {title: window.menuBar().addMenu(title) for title in MENUS}
    window.message = PlainLabel()
    window.statusBar().addWidget(window.message, 1)
    window._message_timer = QTimer(window)
    window._message_timer.setSingleShot(True)
    window._message_timer.timeout.connect(window.message.clear)
    window.document = ProjectDocument(parent=window)
    window.catalog = ClipCatalog(load_library, window)
    window.media = MediaCache(window.catalog.media_file, window)
    window.sync_status = SyncStatusModel(str(window.settings.value("sync/server", "") or ""))
    window.bridge = StatusBridge(window.sync_status, window)
    window.sync = SyncController(
        window.sync_status, window.catalog, window.document, window.settings, window.run_task, window
    )
    if window._opened_early is not None:
        window.document.attach(window._opened_early)
        window._opened_early = None
    if window._open_failure is not None:
        failure, window._open_failure = window._open_failure, None
        QTimer.singleShot(0, lambda: window._on_project_failed(failure))
    window.catalog.reload()


def build_timeline(window: MainWindow) -> None:
    from studio.ui.timeline.panel import TimelinePanel

    window.timeline = TimelinePanel(window.document, window.catalog.get, window.media)
    window.timeline_dock = make_dock(window, "Timeline", window.timeline, "bottom")


def build_library(window: MainWindow) -> None:
    from studio.ui.library_dock import LibraryDock

    window.library = LibraryDock(window.catalog, window.media)
    window.library_dock = make_dock(window, "Library", window.library, "left")


def build_inspector(window: MainWindow) -> None:
    from studio.ui.inspector_dock import InspectorDock
    from studio.ui.sync_panel import ConflictsPanel

    window.inspector = InspectorDock(window.catalog)
    window.conflicts = ConflictsPanel(window.document)
    window.conflicts.clip_title = lambda clip_id: getattr(window.catalog.get(clip_id), "title", None)
    window.inspector_dock = make_dock(window, "Inspector", window.inspector, "right")
    window.conflicts_dock = make_dock(window, "Conflicts", window.conflicts, "right")
    window.tabifyDockWidget(window.inspector_dock, window.conflicts_dock)
    window.inspector_dock.raise_()
    from studio.ui import payouts_docks

    window.payout_docks = payouts_docks.install(window)


def build_preview(window: MainWindow) -> None:
    from studio.ui.preview import PreviewWidget
    from studio.ui.transport import Transport

    window.preview = PreviewWidget(window.document, window.catalog)
    window.transport = Transport(window.timeline, window.preview)
    window.setCentralWidget(window.preview)
    window.skeleton = None


def make_dock(window: MainWindow, title: str, widget: QWidget, side: str) -> QDockWidget:
    """A dock holding `widget` on the left, right or bottom side."""
    area = getattr(QtCore.Qt.DockWidgetArea, f"{side.title()}DockWidgetArea")
    dock = QtWidgets.QDockWidget(title, window)
    dock.setObjectName(f"dock-{title.lower()}")
    dock.setFeatures(
        QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
        | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable  # View ▸ brings it back
    )
    window.addDockWidget(area, dock)
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


def connect_panels(window: MainWindow) -> None:
    window.document.changed.connect(window._on_document_changed)
    window.document.history_changed.connect(window._on_history_changed)
    window.document.edit_rejected.connect(window.post)
    window.document.opened.connect(window._on_project_opened)
    window.timeline.status_posted.connect(window.post)
    window.timeline.files_dropped.connect(window.import_files)
    window.timeline.selection_changed.connect(window._on_timeline_selection_changed)
    window.timeline.playhead_changed.connect(window.preview.show_frame_at)
    window.library.import_requested.connect(window.import_files)
    window.library.clip_selected.connect(window._on_library_clip_selected)
    window.timeline.view.clips_dropped.disconnect(window.timeline._on_clips_dropped)
    window.timeline.view.clips_dropped.connect(window._on_clips_dropped)
    window.inspector.item_edited.connect(window._on_item_edited)
    window.inspector.clip_saved.connect(lambda _id: window.catalog.reload())
    window.inspector.status_posted.connect(window.post)
    window.catalog.changed.connect(
        lambda: window.timeline.scene.sync(window.document.timeline, window.timeline.scale)
    )
    window.catalog.load_failed.connect(lambda msg: window.post(f"Library not loaded: {msg}"))
    window.catalog.changed.connect(lambda: status_bar.show_publish_queue(window))
    window.preview.position_changed.connect(lambda t: window.timeline.set_playhead(t, follow=True))
    window.preview.status_posted.connect(window.post)
    window.preview.playing_changed.connect(window._on_playing_changed)
    window.sync.account_changed.connect(window._on_account_changed)
    window.sync.local_server_changed.connect(window._on_local_server_changed)
    window.sync.posted.connect(window.post)
    window.sync.searched.connect(window._on_shared_searched)
    window.sync.search_failed.connect(window.library.show_search_failed)
    window.sync.conflicts_listed.connect(window._on_sync_conflicts)
    window.sync.refused_listed.connect(window.conflicts.set_sync_refused)
    window.conflicts.refused_settle_requested.connect(window.sync.settle_refused)
    window.library.shared_search_requested.connect(window.sync.search)
    window.library.pull_requested.connect(window.sync.pull)
    window.library.publish_requested.connect(window.sync.publish)
    window.conflicts.record_resolution_requested.connect(window.sync.resolve_record)
    window.conflicts.open_project_requested.connect(window.document.open)
    window._on_account_changed(window.sync.account)
    window._on_local_server_changed(window.sync.local_server)
    restore_layout(window)
    if window.document.session is not None:
        window._on_project_opened(window.document.name)
        window._on_document_changed()
        window._on_history_changed()


def apply_style_sheet(window: MainWindow) -> None:
    """The theme's style sheet, set once the docks are built (see set_theme)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if isinstance(app, QApplication):
        qss = theme.style_sheet(theme.colors().name)
        if app.styleSheet() != qss:
            app.setStyleSheet(qss)


def restore_layout(window: MainWindow) -> None:
    state = window.settings.value("window/state")
    if isinstance(state, QByteArray) and window.restoreState(state):
        return
    layout = window.layout()
    if layout is not None:  # the docks were just added: sized before they are placed, sizes are lost
        layout.activate()
    default_dock_sizes(window)
    QTimer.singleShot(0, lambda: default_dock_sizes(window))  # and once more when the window has its size


def default_dock_sizes(window: MainWindow) -> None:
    orientation = QtCore.Qt.Orientation
    side = min(360, window.width() * 3 // 10)  # at 1024 px the preview keeps two fifths
    window.resizeDocks(
        [window.library_dock, window.inspector_dock], [side, side + 20], orientation.Horizontal
    )
    window.resizeDocks([window.timeline_dock], [340], orientation.Vertical)


def build_actions(window: MainWindow) -> None:
    from studio.ui import actions

    window.actions_by_name = actions.build_actions(window)
    window.theme_actions = actions.build_theme_actions(window, str(window.settings.value("ui/theme", "dark")))
    actions.build_menus(window)
    actions.build_toolbar(window)


STAGES: tuple[Callable[[MainWindow], None], ...] = (
    build_models,
    build_timeline,
    build_library,
    build_inspector,
    build_preview,
    status_bar.build,
    build_actions,
    connect_panels,
)
