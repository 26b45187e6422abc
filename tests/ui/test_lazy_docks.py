"""Panels hidden at start are made when first shown, through the window as a user reaches them: the
Payouts dock when its tab behind the inspector is clicked, the open calls when the library's Shared tab
is chosen; what they would have shown meanwhile is handed over."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabBar

pytestmark = pytest.mark.qt


def dock_tab(window, title: str) -> tuple[QTabBar, int]:
    for bar in window.findChildren(QTabBar):
        if bar.parent() is window:
            for index in range(bar.count()):
                if bar.tabText(index).startswith(title):
                    return bar, index
    raise AssertionError(f"no dock tab {title!r}")


def test_payouts_dock_is_built_when_its_tab_is_clicked(qtbot, window):
    docks = window.payout_docks
    assert not docks.built and not docks.calls_built
    window.library.clip_selected.emit("f" * 64)  # a selection while the panel is not made yet
    bar, index = dock_tab(window, "Payouts")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    qtbot.waitUntil(lambda: docks.built, timeout=5_000)
    panel, earnings, tabs = docks.panels()
    assert window.earnings is earnings
    qtbot.waitUntil(panel.isVisible, timeout=5_000)
    assert window.payouts_dock.isAncestorOf(tabs)
    assert panel.piece.text() == "f" * 64
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Payouts", "My earnings", "Claims"]
    assert panel.load_button.isEnabled()
    window.library.clip_selected.emit("e" * 64)  # once made, selections go straight to it
    assert panel.piece.text() == "e" * 64
    bar, index = dock_tab(window, "Inspector")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    qtbot.waitUntil(lambda: panel.visibleRegion().isEmpty(), timeout=5_000)  # behind the inspector
    assert docks.panels()[0] is panel  # made once


def test_open_calls_are_built_when_the_shared_tab_is_chosen(qtbot, window):
    docks = window.payout_docks
    tabs = window.library.tabs
    qtbot.mouseClick(tabs, Qt.MouseButton.LeftButton, pos=tabs.tabRect(0).center())  # Local
    assert not docks.calls_built
    qtbot.mouseClick(tabs, Qt.MouseButton.LeftButton, pos=tabs.tabRect(1).center())  # Shared
    assert docks.calls_built
    calls = window.calls
    qtbot.waitUntil(calls.isVisible, timeout=5_000)
    assert window.library.isAncestorOf(calls)
    assert calls.refresh_button.isEnabled()
    qtbot.mouseClick(tabs, Qt.MouseButton.LeftButton, pos=tabs.tabRect(0).center())
    qtbot.waitUntil(lambda: not calls.isVisible(), timeout=5_000)
    assert window.calls is calls


def test_style_sheet_is_set_once_the_docks_are_built(qtbot):
    """The theme's palette is there from the first paint, its style sheet once the docks exist (the chosen
    theme's, also when it is the light one)."""
    from PySide6.QtGui import QPalette

    from studio.ui import theme
    from studio.ui.app import app_settings, build_window, create_app

    app = create_app([])
    app.setStyleSheet("")  # as in a fresh process (the test session shares one application)
    app_settings().setValue("ui/theme", "light")
    window = build_window(show_welcome=False)
    qtbot.addWidget(window)
    assert app.styleSheet() == ""
    assert app.palette().color(QPalette.ColorRole.Window).name() == theme.LIGHT.window
    window.show()
    qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
    light = (theme.resources_dir() / "light.qss").read_text(encoding="utf-8")
    assert app.styleSheet() == light.replace("@resources@", theme.resources_dir().as_posix())
    window.set_theme("dark")  # from the View menu: at once, sheet and all
    assert window.settings.value("ui/theme") == "dark" and app.styleSheet() == theme.style_sheet("dark")
    window.close()


def test_timeline_viewport_tracks_the_mouse_for_the_trim_cursor(qtbot, window):
    """The timeline's viewport (made by the view itself, not by Qt) gets mouse moves with no button down:
    over a clip's edge the cursor becomes the trim cursor, over its middle the arrow again."""
    from fractions import Fraction

    from PySide6.QtCore import QPoint

    from studio.core.clips import Clip

    panel = window.timeline
    clip = Clip(id="a" * 64, title="Beach", kind="video", duration=Fraction(8), has_video=True)
    window.catalog.add([clip])
    track = panel.timeline.ordered_tracks("video")[0].id
    (item_id,) = panel.place_clips([clip.id], track, Fraction(0))
    viewport = panel.view.viewport()
    assert viewport.hasMouseTracking()
    rect = panel.view.mapFromScene(panel.scene.items_by_id[item_id].sceneBoundingRect()).boundingRect()
    edge = QPoint(rect.right() - 2, rect.center().y())
    qtbot.mouseMove(viewport, rect.center())
    qtbot.mouseMove(viewport, edge)
    qtbot.waitUntil(lambda: viewport.cursor().shape() == Qt.CursorShape.SizeHorCursor, timeout=5_000)
    qtbot.mouseMove(viewport, rect.center())
    qtbot.waitUntil(lambda: viewport.cursor().shape() == Qt.CursorShape.ArrowCursor, timeout=5_000)


def test_inspector_sections_are_built_on_the_first_selection(qtbot, window, clips):
    """At start nothing is selected and the inspector is its heading alone; clicking a clip in the
    library builds its sections and fills them, clicking an item on the timeline shows its fields."""
    from fractions import Fraction

    inspector = window.inspector
    assert not inspector.sections_built
    assert inspector.heading.text() == "Nothing selected"
    window.catalog.add(clips.values())
    view = window.library.list
    qtbot.waitUntil(lambda: view.model().rowCount() == len(clips), timeout=5_000)
    index = view.model().index(0, 0)
    view.scrollTo(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())
    assert inspector.sections_built
    clip = next(c for c in clips.values() if c.title == inspector.heading.text())
    assert inspector.credits_box.isVisibleTo(inspector) and not inspector.item_box.isVisibleTo(inspector)
    assert inspector.licence.currentText() == clip.licence
    panel = window.timeline
    track = panel.timeline.ordered_tracks("video" if clip.kind != "audio" else "audio")[0].id
    (item_id,) = panel.place_clips([clip.id], track, Fraction(0))
    panel.scene.clearSelection()
    qtbot.waitUntil(lambda: inspector.item is None, timeout=5_000)
    drawn = panel.scene.items_by_id[item_id]
    spot = panel.view.mapFromScene(drawn.sceneBoundingRect().center())
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=spot)
    # The click selects the picture and the sound linked to it; the inspector shows one of the two.
    qtbot.waitUntil(lambda: item_id in panel.selected_ids(), timeout=5_000)
    qtbot.waitUntil(lambda: inspector.item is not None, timeout=5_000)
    assert inspector.item.id in panel.selected_ids() and inspector.item.clip == clip.id
    assert inspector.item_box.isVisibleTo(inspector)


def test_track_menu_and_rename_dialog_work_when_first_used(qtbot, window):
    """The track headers' context menu and rename dialog, whose Qt classes are imported when first
    used: a right click opens the menu, Rename… asks for the name, the track takes it."""
    from PySide6.QtCore import QPoint, QTimer
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QApplication, QInputDialog, QMenu

    headers = window.timeline.headers
    row = headers.rows[0]
    spot = QPoint(20, int(row.top - headers.offset_y) + row.height // 2)
    seen: list[str] = []

    def answer_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(20, answer_dialog)
            return
        seen.append(dialog.labelText())
        dialog.setTextValue("Picture")
        dialog.accept()

    def choose_rename() -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, choose_rename)
            return
        seen.extend(a.text() for a in menu.actions() if a.text())
        (rename,) = [a for a in menu.actions() if a.text() == "Rename…"]
        QTimer.singleShot(0, answer_dialog)
        menu.setActiveAction(rename)
        qtbot.keyClick(menu, Qt.Key.Key_Return)

    QTimer.singleShot(0, choose_rename)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, spot, headers.mapToGlobal(spot))
    QApplication.sendEvent(headers, event)
    assert "Add video track" in seen and "Track name:" in seen
    track = window.document.timeline.tracks[row.track.id]
    assert track.name == "Picture"


class _Order:
    """Records, in order, the window's ready signal, its first paint after it and the login lookup."""

    def __init__(self, window, monkeypatch) -> None:
        from PySide6.QtCore import QEvent, QObject

        from studio.ui.sync_controller import SyncController

        self.seen: list[str] = []
        load_account = SyncController.load_account

        def login(controller):
            self.seen.append("login")
            return load_account(controller)

        monkeypatch.setattr(SyncController, "load_account", login)  # still looks the login up
        window.ready.connect(lambda: self.seen.append("ready"))
        seen = self.seen

        class PaintWatch(QObject):
            def eventFilter(self, obj, event):
                if event.type() == QEvent.Type.Paint and "ready" in seen and "painted" not in seen:
                    seen.append("painted")
                return False

        self.watch = PaintWatch()
        window.installEventFilter(self.watch)


def test_login_lookup_starts_after_the_built_window_is_painted(qtbot, monkeypatch):
    from studio.ui.app import build_window, create_app

    create_app([])
    window = build_window(show_welcome=False)
    qtbot.addWidget(window)
    order = _Order(window, monkeypatch)
    window.show()
    qtbot.waitUntil(lambda: "login" in order.seen, timeout=30_000)
    assert order.seen == ["ready", "painted", "login"]
    window.close()


def test_a_window_closed_at_ready_starts_no_login_lookup(qtbot, monkeypatch):
    from studio.ui import tasks
    from studio.ui.app import build_window, create_app

    create_app([])
    window = build_window(show_welcome=False)
    qtbot.addWidget(window)
    order = _Order(window, monkeypatch)
    window.ready.connect(window.close)
    window.show()
    qtbot.waitUntil(lambda: "ready" in order.seen, timeout=30_000)
    qtbot.wait(200)
    assert "login" not in order.seen
    assert tasks.shutdown(2000)
