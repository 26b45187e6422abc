"""What the window shows before it is built, and the first project opened off the UI thread.

The window appears as a light skeleton (its size, colours and the outline of its panels) within a
few milliseconds of a bare Qt window; the menus and docks are built on the event loop right after
its first paint, while a worker opens the store (importing sqlite-utils, which also loads numpy) and
folds the last project's journal. The session is handed to the window when it is ready.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from studio.ui.theme import colors

if TYPE_CHECKING:
    from studio.core.project import ProjectSession

DEFAULT_PROJECT = "My first remix"
WARM_MODULES = (
    "studio.services.library",  # the import dialog checks licences with it
    "studio.core.credits",  # the export dialog's share proposal
    "studio.media.thumbnails",
    "studio.media.waveform",
    "studio.services.export",
    "studio.services.preview",  # the preview's frames, titles and playback
)
"""Modules the first import, drop, frame or export needs, imported on a worker once the window is ready, so
the UI thread does not stop for them later (an import costs 50-150 ms the first time)."""


class Skeleton(QWidget):
    """The window's layout in outline until the docks are built: library on the left, inspector on
    the right, the preview's screen and the timeline's tracks, in the theme's colours. It has no
    text, so the first frame needs no fonts (loading them takes longer than a bare window's start).
    Emits `painted` once, after its first paint (the window is on screen)."""

    painted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._told = False

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = colors()
        painter = QPainter(self)
        w, h = self.width(), self.height()
        side, right, bottom, gap = min(360, w // 4), min(320, w // 5), min(340, h * 2 // 5), 6
        painter.fillRect(self.rect(), QColor(palette.window))
        panel, line = QColor(palette.track_bg), QColor(palette.track_line)
        for x, y, pw, ph in ((0, 0, side, h - bottom), (w - right, 0, right, h - bottom)):
            painter.fillRect(x + gap, y + gap, pw - 2 * gap, ph - 2 * gap, panel)
        screen_w = w - side - right - 2 * gap
        painter.fillRect(side + gap, gap, screen_w, h - bottom - 2 * gap - 36, QColor("#000000"))
        top = h - bottom + gap
        painter.fillRect(gap, top, w - 2 * gap, bottom - 2 * gap, QColor(palette.track_alt_bg))
        for n, row_h in enumerate((64, 64, 52, 52)):
            y = top + 34 + sum((64, 64, 52, 52)[:n])
            painter.fillRect(
                gap, y, w - 2 * gap, row_h - 1, QColor(palette.track_bg if n % 2 else palette.window)
            )
            painter.fillRect(gap, y + row_h - 1, w - 2 * gap, 1, line)
        painter.end()
        if not self._told:
            self._told = True
            self.painted.emit()


class AfterNextPaint(QObject):
    """Runs `start` once, just after the next paint of `widget`: work for a worker that would hold
    the interpreter lock while that frame is drawn. A widget not painted within `fallback_ms` (a
    minimised window) starts it then; a hidden one at once."""

    def __init__(self, widget: QWidget, start: Callable[[], None], fallback_ms: int = 1000) -> None:
        super().__init__(widget)
        self._widget = widget
        self._start: Callable[[], None] | None = start
        visible = widget.isVisible()
        if visible:
            widget.installEventFilter(self)
            widget.update()
        QTimer.singleShot(fallback_ms if visible else 0, self, self._run)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self._widget.removeEventFilter(self)
            QTimer.singleShot(0, self, self._run)  # once the painted frame is flushed
        return False

    def _run(self) -> None:
        start, self._start = self._start, None
        if start is not None:
            start()


def open_project_session(last: str) -> ProjectSession:
    """Open the store and the project used last (else the first one, else a new one with the default
    tracks). Runs on a worker: the store is thread-safe and the session is handed to the window."""
    from studio.services import projects

    store = projects.open_store()
    try:
        return projects.open_last_project(store, last, DEFAULT_PROJECT)
    except BaseException:
        store.close()
        raise


def warm_up() -> None:
    """Import WARM_MODULES (runs on a worker)."""
    import importlib

    for name in WARM_MODULES:
        importlib.import_module(name)
