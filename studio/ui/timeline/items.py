"""One timeline item as a graphics item: colour, name, thumbnails, waveform, fades, conflict mark.

A QGraphicsRectItem keeps geometry queries (boundingRect, shape) in C++, so the scene's BSP index and the
view never call into Python for them; paint() runs only when the device-coordinate cache is redrawn
(after a change or a zoom), not on every scroll. Level of detail: the narrower the item on screen, the
less is drawn, down to a plain bar one pixel wide when zoomed to fit thousands of items.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QStyleOptionGraphicsItem, QWidget

from studio.ui.theme import colors

EDGE_GRAB_PX = 6
_LABEL_MIN_PX = 28
_DETAIL_MIN_PX = 40
_ROUND_MIN_PX = 8

_BY_IDENTITY = {"peaks", "thumbnails"}  # arrays and pixmap lists: a new object means new content
ITEM_KIND_VIDEO = "video"
ITEM_KIND_AUDIO = "audio"
ITEM_KIND_TITLE = "title"


class ClipItem(QGraphicsRectItem):
    """The drawn form of one timeline item; its model id is `item_id`."""

    def __init__(self, item_id: str) -> None:
        super().__init__()
        self.item_id = item_id
        self.kind = ITEM_KIND_VIDEO
        self.label = ""
        self.detail = ""
        self.source_in = 0.0
        self.duration = 0.0
        self.fade_in = 0.0
        self.fade_out = 0.0
        self.muted = False
        self.locked = False
        self.conflicted = False
        self.offline = False
        self.thumbnails: list[QPixmap] = []
        self.thumb_every = 1.0
        self.peaks: Any = None
        self.peaks_per_second = 100
        self.setPen(QPen(Qt.PenStyle.NoPen))
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)  # exposedRect
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(False)

    def set_look(self, **values: Any) -> None:
        """Change what is drawn; repaints (and re-caches) only when something differs."""
        changed = False
        for name, value in values.items():
            current = getattr(self, name)
            if current is value:
                continue
            if name in _BY_IDENTITY or current != value:
                setattr(self, name, value)
                changed = True
        if changed:
            self.update()

    def base_color(self) -> QColor:
        palette = colors()
        color = QColor(
            {ITEM_KIND_AUDIO: palette.audio_clip, ITEM_KIND_TITLE: palette.title_clip}.get(
                self.kind, palette.video_clip
            )
        )
        if self.muted or self.offline:
            color = color.darker(160)
        return color

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        rect = self.rect()
        width = rect.width()
        palette = colors()
        color = self.base_color()
        selected = self.isSelected()
        if width < _ROUND_MIN_PX:
            painter.fillRect(rect, QColor(palette.selection) if selected else color)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        body = rect.adjusted(0.5, 0.5, -0.5, -0.5)
        path = QPainterPath()
        path.addRoundedRect(body, 4, 4)
        painter.fillPath(path, color)
        if width >= _DETAIL_MIN_PX:
            painter.save()
            painter.setClipPath(path)
            if self.thumbnails and self.kind == ITEM_KIND_VIDEO:
                self._paint_thumbnails(painter, body)
            if self.peaks is not None and len(self.peaks):
                self._paint_waveform(painter, body, option.exposedRect)
            self._paint_fades(painter, body)
            painter.restore()
        if width >= _LABEL_MIN_PX:
            self._paint_label(painter, body, palette.clip_text)
        edge = QColor(palette.conflict) if self.conflicted else color.lighter(135)
        pen = QPen(
            QColor(palette.selection) if selected else edge, 2.0 if (selected or self.conflicted) else 1.0
        )
        if self.offline:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        if self.conflicted and width >= 20:
            self._paint_conflict_mark(painter, body)
        if self.locked:
            painter.fillRect(body, QBrush(QColor(palette.locked_hatch), Qt.BrushStyle.BDiagPattern))

    def _paint_label(self, painter: QPainter, body: QRectF, text_color: str) -> None:
        font = QFont(painter.font())
        font.setPointSizeF(8.5)
        painter.setFont(font)
        text_rect = body.adjusted(6, 2, -6, 0)
        text_rect.setHeight(16)
        painter.fillRect(body.adjusted(0, 0, 0, -(body.height() - 18)), QColor(0, 0, 0, 70))
        painter.setPen(QColor(text_color))
        label = self.label if not self.detail else f"{self.label}  ·  {self.detail}"
        elided = painter.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, int(text_rect.width()))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided)

    def _paint_thumbnails(self, painter: QPainter, body: QRectF) -> None:
        """Tile thumbnails along the item, each showing the picture at its own time in the media."""
        top = body.top() + 18
        height = body.height() - 18
        if height < 8 or self.duration <= 0:
            return
        px_per_s = body.width() / self.duration
        first = self.thumbnails[0]
        tile_w = first.width() * height / max(1, first.height())
        x = body.left()
        while x < body.right():
            t = self.source_in + (x - body.left()) / px_per_s
            index = min(len(self.thumbnails) - 1, max(0, int(t / self.thumb_every)))
            painter.drawPixmap(
                QRectF(x, top, tile_w, height), self.thumbnails[index], QRectF(self.thumbnails[index].rect())
            )
            x += tile_w
        painter.fillRect(QRectF(body.left(), top, body.width(), height), QColor(0, 0, 0, 40))

    def _paint_waveform(self, painter: QPainter, body: QRectF, exposed: QRectF) -> None:
        """Min/max peaks of the visible part of the media, one vertical line per exposed pixel column
        (the columns' bins are reduced with numpy in one go: a long item is thousands of columns)."""
        import numpy as np

        top = body.top() + (18 if self.kind != ITEM_KIND_VIDEO else body.height() * 0.62)
        height = body.bottom() - top - 2
        if height < 6 or self.duration <= 0:
            return
        peaks = self.peaks
        total = len(peaks)
        first_bin = int(self.source_in * self.peaks_per_second)
        step = max(1, int(self.duration * self.peaks_per_second)) / max(1, int(body.width()))
        left = max(0, int(exposed.left() - body.left()))
        right = min(int(body.width()), math.ceil(exposed.right() - body.left()))
        columns = np.arange(left, right)
        starts = first_bin + (columns * step).astype(np.int64)
        keep = starts < total
        columns, starts = columns[keep], starts[keep]
        if not len(columns):
            return
        end = min(total, int(first_bin + right * step) + 1)
        lo = np.minimum.reduceat(peaks[:end, 0], starts)
        hi = np.maximum.reduceat(peaks[:end, 1], starts)
        scale = height / 2 / 32768.0
        mid = top + height / 2
        xs = body.left() + columns + 0.5
        color = QColor(colors().waveform)
        if self.kind == ITEM_KIND_VIDEO:
            color.setAlpha(170)
        painter.setPen(QPen(color, 1.0))
        painter.drawLines(
            [
                QLineF(x, mid - h * scale, x, mid - lo_ * scale)
                for x, h, lo_ in zip(xs.tolist(), hi.tolist(), lo.tolist(), strict=True)
            ]
        )

    def _paint_fades(self, painter: QPainter, body: QRectF) -> None:
        if self.duration <= 0:
            return
        px_per_s = body.width() / self.duration
        shade = QColor(0, 0, 0, 110)
        line = QPen(QColor(255, 255, 255, 190), 1.2)
        if self.fade_in > 0:
            w = self.fade_in * px_per_s
            tri = QPolygonF([body.topLeft(), QPointF(body.left() + w, body.top()), body.bottomLeft()])
            painter.setBrush(shade)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawPolygon(tri)
            painter.setPen(line)
            painter.drawLine(body.bottomLeft(), QPointF(body.left() + w, body.top()))
        if self.fade_out > 0:
            w = self.fade_out * px_per_s
            tri = QPolygonF([QPointF(body.right() - w, body.top()), body.topRight(), body.bottomRight()])
            painter.setBrush(shade)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawPolygon(tri)
            painter.setPen(line)
            painter.drawLine(QPointF(body.right() - w, body.top()), body.bottomRight())

    def _paint_conflict_mark(self, painter: QPainter, body: QRectF) -> None:
        size = 14.0
        x = body.right() - size - 4
        y = body.top() + 2
        tri = QPolygonF([QPointF(x + size / 2, y), QPointF(x + size, y + size), QPointF(x, y + size)])
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colors().conflict))
        painter.drawPolygon(tri)
        painter.setPen(QPen(QColor("#1b1c20"), 1.6))
        painter.drawLine(QPointF(x + size / 2, y + 4.5), QPointF(x + size / 2, y + 9.5))
        painter.drawPoint(QPointF(x + size / 2, y + 11.8))
