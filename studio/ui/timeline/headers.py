"""Track headers beside the rows: name, mute and lock toggles; a context menu adds, renames, removes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from studio.core.display import shown
from studio.core.timeline import VIDEO
from studio.ui.icons import icon
from studio.ui.theme import colors
from studio.ui.timeline.geometry import Row

if TYPE_CHECKING:
    from PySide6.QtGui import QContextMenuEvent

# The rename dialog and the context menu import their Qt classes when first used: PySide6 makes a
# class's enum types when its name is first taken, and the window's start needs neither.

HEADER_WIDTH = 150
_BUTTON = 20


class TrackHeaders(QWidget):
    mute_toggled = Signal(str)  # track id
    lock_toggled = Signal(str)
    rename_requested = Signal(str, str)  # track id, new name
    remove_requested = Signal(str)
    add_requested = Signal(str)  # "video" or "audio"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trackHeader")
        self.setFixedWidth(HEADER_WIDTH)
        self.rows: list[Row] = []
        self.offset_y = 0.0

    def set_rows(self, rows: list[Row], offset_y: float) -> None:
        self.rows = rows
        self.offset_y = offset_y
        self.update()

    def button_rect(self, track_id: str, which: str) -> QRect:
        """Where the mute or lock toggle of a track is drawn (widget coordinates)."""
        for row in self.rows:
            if row.track.id == track_id:
                top = int(row.top - self.offset_y)
                x = HEADER_WIDTH - (2 if which == "lock" else 1) * (_BUTTON + 6)
                return QRect(x, top + (row.height - _BUTTON) // 2, _BUTTON, _BUTTON)
        return QRect()

    def row_at(self, y: float) -> Row | None:
        for row in self.rows:
            if row.top <= y + self.offset_y < row.bottom:
                return row
        return None

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = colors()
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(palette.ruler_bg))
        font = QFont(self.font())
        font.setBold(True)
        for row in self.rows:
            top = int(row.top - self.offset_y)
            band = QRect(0, top, HEADER_WIDTH, row.height)
            if not band.intersects(event.rect()):
                continue
            stripe = QColor(palette.video_clip if row.track.kind == VIDEO else palette.audio_clip)
            painter.fillRect(QRect(0, top, 4, row.height), stripe)
            painter.setPen(QColor(palette.text if not row.track.muted else palette.muted))
            painter.setFont(font)
            name_rect = QRect(12, top, HEADER_WIDTH - 2 * (_BUTTON + 6) - 14, row.height)
            elided = painter.fontMetrics().elidedText(
                shown(row.track.name), Qt.TextElideMode.ElideRight, name_rect.width()
            )
            painter.drawText(name_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided)
            mute = "mute" if row.track.muted else ("volume" if row.track.kind != VIDEO else "eye")
            if row.track.muted and row.track.kind == VIDEO:
                mute = "eye-off"
            lock = "lock" if row.track.locked else "unlock"
            for which, name, on in (("mute", mute, row.track.muted), ("lock", lock, row.track.locked)):
                rect = self.button_rect(row.track.id, which)
                color = palette.accent if on else palette.muted
                icon(name, color).paint(painter, rect)
            painter.setPen(QPen(QColor(palette.track_line), 1))
            painter.drawLine(0, top + row.height - 1, HEADER_WIDTH, top + row.height - 1)
        painter.setPen(QPen(QColor(palette.track_line), 1))
        painter.drawLine(HEADER_WIDTH - 1, 0, HEADER_WIDTH - 1, self.height())
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = event.position().toPoint()
        row = self.row_at(point.y())
        if row is None:
            return
        if self.button_rect(row.track.id, "mute").contains(point):
            self.mute_toggled.emit(row.track.id)
        elif self.button_rect(row.track.id, "lock").contains(point):
            self.lock_toggled.emit(row.track.id)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        row = self.row_at(event.position().y())
        if row is not None:
            self.ask_rename(row.track.id)

    def ask_rename(self, track_id: str) -> None:
        row = next((r for r in self.rows if r.track.id == track_id), None)
        if row is None:
            return
        from PySide6.QtWidgets import QInputDialog

        name, ok = QInputDialog.getText(self, "Rename track", "Track name:", text=row.track.name)
        if ok and name.strip() and name.strip() != row.track.name:
            self.rename_requested.emit(track_id, name.strip())

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        from PySide6.QtWidgets import QMenu

        row = self.row_at(event.pos().y())
        menu = QMenu(self)
        menu.addAction(icon("add-track"), "Add video track", lambda: self.add_requested.emit("video"))
        menu.addAction(icon("add-track"), "Add audio track", lambda: self.add_requested.emit("audio"))
        if row is not None:
            track_id = row.track.id
            menu.addSeparator()
            menu.addAction("Rename…", lambda: self.ask_rename(track_id))
            menu.addAction("Unmute" if row.track.muted else "Mute", lambda: self.mute_toggled.emit(track_id))
            menu.addAction("Unlock" if row.track.locked else "Lock", lambda: self.lock_toggled.emit(track_id))
            menu.addAction(icon("remove-track"), "Remove track", lambda: self.remove_requested.emit(track_id))
        menu.exec(event.globalPos())
