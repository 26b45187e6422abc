"""The time ruler above the tracks: ticks and labels for the zoom, the playhead, and scrubbing by drag."""

from __future__ import annotations

from fractions import Fraction

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from studio.core.timecode import format_clock
from studio.ui.theme import colors

RULER_HEIGHT = 28
_LABEL_SPACING_PX = 90
_INTERVALS = (
    0.04,
    0.1,
    0.2,
    0.5,
    1,
    2,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    14400,
    36000,
)


def label_interval(px_per_second: float) -> float:
    """The smallest 'round' interval whose labels are at least _LABEL_SPACING_PX apart."""
    for interval in _INTERVALS:
        if interval * px_per_second >= _LABEL_SPACING_PX:
            return interval
    return _INTERVALS[-1]


def short_label(seconds: float, interval: float) -> str:
    whole = int(seconds)
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    text = f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
    if interval < 1:
        text += f".{round((seconds - whole) * 10) % 10}"
    return text


def band_color() -> QColor:
    """The marked range's tint: the accent mixed into the ruler's background (30 %), so the labels
    drawn over it keep their contrast in both themes."""
    palette = colors()
    ground, accent = QColor(palette.ruler_bg), QColor(palette.accent)
    mix = 0.3
    return QColor(
        round(ground.red() + (accent.red() - ground.red()) * mix),
        round(ground.green() + (accent.green() - ground.green()) * mix),
        round(ground.blue() + (accent.blue() - ground.blue()) * mix),
    )


class Ruler(QWidget):
    """Draws time for the visible span; a press or drag moves the playhead there."""

    scrubbed = Signal(float)  # scene x the user pressed or dragged to

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedHeight(RULER_HEIGHT)
        self.setMouseTracking(False)
        self.px_per_second = 40.0
        self.offset_x = 0.0  # scene x at the widget's left edge
        self.playhead_x = 0.0
        self.in_out: tuple[Fraction, Fraction] | None = None  # marked times: the band follows the zoom
        self.fps = Fraction(30)
        self.setCursor(Qt.CursorShape.IBeamCursor)

    def set_view(self, px_per_second: float, offset_x: float) -> None:
        if (px_per_second, offset_x) != (self.px_per_second, self.offset_x):
            self.px_per_second = px_per_second
            self.offset_x = offset_x
            self.update()

    def set_playhead(self, x: float) -> None:
        if x != self.playhead_x:
            self.playhead_x = x
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = colors()
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(palette.ruler_bg))
        width = self.width()
        height = self.height()
        interval = label_interval(self.px_per_second)
        minor = interval / 5 if interval >= 0.2 else interval / 4
        first = int(self.offset_x / self.px_per_second / minor)
        last = int((self.offset_x + width) / self.px_per_second / minor) + 1
        font = QFont(self.font())
        font.setPointSizeF(7.5)
        painter.setFont(font)
        tick = QColor(palette.ruler_tick)
        band = self.in_out_rect()
        if band is not None:
            painter.fillRect(band, band_color())
        for n in range(first, last + 1):
            seconds = n * minor
            x = seconds * self.px_per_second - self.offset_x
            major = abs(seconds / interval - round(seconds / interval)) < 1e-6
            painter.setPen(QPen(tick, 1))
            painter.drawLine(QPointF(x, height - (12 if major else 5)), QPointF(x, height))
            if major:
                painter.setPen(QColor(palette.muted))
                painter.drawText(QPointF(x + 3, 11), short_label(seconds, interval))
        painter.setPen(QPen(QColor(palette.track_line), 1))
        painter.drawLine(0, height - 1, width, height - 1)
        x = self.playhead_x - self.offset_x
        head = QPolygonF([QPointF(x - 6, height - 12), QPointF(x + 6, height - 12), QPointF(x, height)])
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(palette.playhead))
        painter.drawPolygon(head)
        painter.end()

    def in_out_rect(self) -> QRectF | None:
        """The marked range in widget coordinates at the current zoom and scroll."""
        if self.in_out is None:
            return None
        a, b = (float(t) * self.px_per_second - self.offset_x for t in self.in_out)
        return QRectF(a, 0, b - a, self.height())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.scrubbed.emit(event.position().x() + self.offset_x)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.scrubbed.emit(max(0.0, event.position().x() + self.offset_x))

    def time_label(self, seconds: Fraction) -> str:
        return format_clock(seconds, self.fps)
