"""The window's actions as a table: each one's name, menu text, what it runs, keys and icon; then the
menus and the toolbar as lists of those names. A new command is a row here, and the keyboard
shortcuts dialog lists whatever the table binds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui

from studio.core.timecode import ZERO
from studio.ui import icons, theme

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from studio.ui.main_window import MainWindow

Key = str | QtGui.QKeySequence.StandardKey
_std = QtGui.QKeySequence.StandardKey


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    text: str
    run: Callable[[MainWindow], object]
    keys: tuple[Key, ...] = ()
    icon: str = ""


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("new", "&New project…", lambda w: w.new_project(), (_std.New,)),
    ActionSpec("open", "&Open project…", lambda w: w.open_project_dialog(), (_std.Open,)),
    ActionSpec("import", "&Import media…", lambda w: w.import_files([]), ("Ctrl+I",), "import"),
    ActionSpec("export", "&Export…", lambda w: w.export(), ("Ctrl+E",), "export"),
    ActionSpec("demo", "Open the &demo library", lambda w: w.open_demo(), icon="demo"),
    ActionSpec("preferences", "&Preferences…", lambda w: w.show_preferences(), ("Ctrl+,",), "settings"),
    ActionSpec("quit", "&Quit", lambda w: w.close(), (_std.Quit,)),
    ActionSpec("undo", "&Undo", lambda w: w.document.undo(), ("Ctrl+Z",), "undo"),
    ActionSpec("redo", "&Redo", lambda w: w.document.redo(), ("Ctrl+Shift+Z",), "redo"),
    ActionSpec("copy", "&Copy", lambda w: w.timeline.copy_selected(), (_std.Copy,), "copy"),
    ActionSpec("paste", "&Paste", lambda w: w.timeline.paste(), (_std.Paste,), "paste"),
    ActionSpec("split", "&Split at playhead", lambda w: w.timeline.split_at_playhead(), ("S",), "split"),
    ActionSpec("delete", "&Delete", lambda w: w.delete_selected(False), ("Delete",), "delete"),
    ActionSpec(
        "ripple", "Ripple d&elete", lambda w: w.delete_selected(True), ("Shift+Delete",), "ripple-delete"
    ),
    ActionSpec(
        "remove_clips", "&Remove selected clips from the library…", lambda w: w.remove_library_clips()
    ),
    ActionSpec("select_all", "Select &all", lambda w: w.select_all(), (_std.SelectAll,)),
    ActionSpec("zoom_in", "Zoom &in", lambda w: w.timeline.zoom_in(), ("+", "=", "Ctrl++"), "zoom-in"),
    ActionSpec("zoom_out", "Zoom &out", lambda w: w.timeline.zoom_out(), ("-", "Ctrl+-"), "zoom-out"),
    ActionSpec("zoom_fit", "Zoom to &fit", lambda w: w.timeline.zoom_fit(), ("Shift+Z",), "zoom-fit"),
    ActionSpec("add_video", "Add &video track", lambda w: w.timeline.add_track("video"), icon="add-track"),
    ActionSpec("add_audio", "Add &audio track", lambda w: w.timeline.add_track("audio"), icon="audio"),
    ActionSpec("add_title", "Add &title", lambda w: w.timeline.add_title(), ("T",), "title"),
    ActionSpec("play", "&Play / pause", lambda w: w.transport.toggle_play(), ("Space",), "play"),
    ActionSpec("reverse", "Play &backwards (J)", lambda w: w.transport.shuttle_step(-1), ("J",)),
    ActionSpec("stop", "&Stop (K)", lambda w: w.transport.stop(), ("K",), "stop"),
    ActionSpec("forward", "Play &forwards (L)", lambda w: w.transport.shuttle_step(1), ("L",)),
    ActionSpec("mark_in", "Mark &in", lambda w: w.transport.set_mark_in(), ("I",)),
    ActionSpec("mark_out", "Mark &out", lambda w: w.transport.set_mark_out(), ("O",)),
    ActionSpec("start", "Go to s&tart", lambda w: w.transport.seek(ZERO), ("Home",), "to-start"),
    ActionSpec(
        "end", "Go to &end", lambda w: w.transport.seek(w.document.timeline.duration), ("End",), "to-end"
    ),
    ActionSpec("sync_connect", "&Connect to a server…", lambda w: w.show_connect(), icon="server"),
    ActionSpec("local_start", "Start the &local server", lambda w: w.start_local_server(), icon="server"),
    ActionSpec("local_stop", "Stop the local ser&ver", lambda w: w.sync.stop_local_server()),
    ActionSpec("sync_now", "&Sync now", lambda w: w.sync.sync_now(), ("Ctrl+Shift+S",), "cloud-sync"),
    ActionSpec(
        "publish",
        "&Publish selected clips",
        lambda w: w.sync.publish(w.library.selected_ids()),
        icon="publish",
    ),
    ActionSpec("share", "S&hare this project…", lambda w: w.share_project(), icon="lineage"),
    ActionSpec("logout", "&Log out", lambda w: w.sync.logout()),
    ActionSpec("conflicts", "Show &conflicts", lambda w: w.show_conflicts(), icon="warning"),
    ActionSpec("shortcuts", "&Keyboard shortcuts", lambda w: w.show_shortcuts(), ("F1",), "keyboard"),
    ActionSpec("about", "&About Remix Studio", lambda w: w.show_about(), icon="help"),
)

MENU_ENTRIES: dict[str, list[str | None]] = {
    "&File": ["new", "open", None, "import", "export", None, "demo", None, "preferences", None, "quit"],
    "&Edit": [
        "undo", "redo", None, "copy", "paste", "select_all", None, "split", "delete", "ripple", None,
        "remove_clips",
    ],
    "&Timeline": ["add_video", "add_audio", "add_title", None, "zoom_in", "zoom_out", "zoom_fit"],
    "&View": [],  # the docks' toggles and the themes (build_menus)
    "&Playback": ["play", "reverse", "stop", "forward", None, "mark_in", "mark_out", None, "start", "end"],
    "&Sync": [
        "sync_connect", "local_start", "local_stop", None, "sync_now", None, "publish", "share", None,
        "conflicts", None, "logout",
    ],
    "&Help": ["shortcuts", "about"],
}  # fmt: skip
"""None is a separator. The menus themselves are made with the skeleton (window_stages.MENUS)."""

TOOLBAR: tuple[str | None, ...] = (
    "import",
    "export",
    None,
    "undo",
    "redo",
    None,
    "split",
    "delete",
    None,
    "play",
)


def make_action(
    window: MainWindow, text: str, run: Callable[[], object], keys: tuple[Key, ...] = (), icon: str = ""
) -> QAction:
    """A window-wide action (its keys work wherever the focus is in the window)."""
    action = QtGui.QAction(text, window)
    if icon:
        action.setIcon(icons.icon(icon))
    if keys:
        action.setShortcuts([QtGui.QKeySequence(k) for k in keys])
        action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(lambda _checked=False: run())
    window.addAction(action)
    return action


def build_actions(window: MainWindow) -> dict[str, QAction]:
    """Every action of ACTIONS, by name."""
    return {
        spec.name: make_action(window, spec.text, partial(spec.run, window), spec.keys, spec.icon)
        for spec in ACTIONS
    }


def build_theme_actions(window: MainWindow, current: str) -> dict[str, QAction]:
    """One checkable action per theme, the current one checked."""
    actions = {}
    for name in theme.THEMES:
        action = make_action(window, f"{name.title()} theme", partial(window.set_theme, name))
        action.setCheckable(True)
        action.setChecked(name == current)
        actions[name] = action
    return actions


def build_menus(window: MainWindow) -> None:
    """Fill the menus from MENU_ENTRIES; the View menu lists the docks and the themes."""
    for title, names in MENU_ENTRIES.items():
        menu = window.menus[title]
        for entry in names:
            if entry is None:
                menu.addSeparator()
            else:
                menu.addAction(window.actions_by_name[entry])
        if title == "&View":
            for dock in (
                window.library_dock,
                window.inspector_dock,
                window.conflicts_dock,
                window.timeline_dock,
            ):
                menu.addAction(dock.toggleViewAction())
            menu.addSeparator()
            for action in window.theme_actions.values():
                menu.addAction(action)


def build_toolbar(window: MainWindow) -> None:
    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("toolbar-main")
    toolbar.setMovable(False)
    for entry in TOOLBAR:
        if entry is None:
            toolbar.addSeparator()
        else:
            toolbar.addAction(window.actions_by_name[entry])


def shortcut_rows(actions: dict[str, QAction]) -> list[tuple[str, str]]:
    """(action text, its keys) for every action that has keys, in table order."""
    native = QtGui.QKeySequence.SequenceFormat.NativeText
    rows = []
    for action in actions.values():
        keys = ", ".join(s.toString(native) for s in action.shortcuts())
        if keys:
            rows.append((action.text().replace("&", ""), keys))
    return rows
