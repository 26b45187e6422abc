"""The timeline view: gestures on clip items (select, move across tracks, trim edges), snapping, drops.

Gestures only preview on screen; on release they are handed over as requests (move_requested,
trim_requested) that the panel turns into core ops, so what lands in the model always came through the
project's edit path. Painting: track stripes are the cached background, items cache themselves, and the
playhead is a foreground line repainted in a strip as it moves.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QGraphicsView, QWidget

from studio.ui.theme import colors
from studio.ui.timeline.geometry import ZOOM_STEP, TimeScale
from studio.ui.timeline.items import EDGE_GRAB_PX, ClipItem
from studio.ui.timeline.scene import TimelineScene

CLIPS_MIME = "application/x-studio-clips"
SNAP_PX = 8


@dataclass
class _Gesture:
    """A press on an item until its release: what was grabbed and what the drag previews so far."""

    grabbed: ClipItem
    edge: str | None  # "start" or "end" for a trim, None for a move
    press: QPointF
    origin: dict[str, QPointF]  # scene position of each selected item at the press
    rect: QRectF
    targets: list[float]  # snap targets (scene x)
    delta: float = 0.0
    rows: dict[str, str] = field(default_factory=dict)  # item id -> the track it is dragged onto
    edge_x: float | None = None
    limits: tuple[float, float] = (0.0, float("inf"))  # scene x an edge may reach: the media's ends
    media_end: Fraction | None = None  # timeline time of the media's end, for an edge dragged there


class TimelineView(QGraphicsView):
    move_requested = Signal(list, object, dict)  # item ids, delta (Fraction), {item id: track id}
    trim_requested = Signal(str, str, object)  # item id, "start" or "end", new time (Fraction)
    clips_dropped = Signal(list, str, object)  # clip ids, track id, time (Fraction)
    files_dropped = Signal(list)  # local file paths dropped from a file manager
    zoom_requested = Signal(float, float)  # factor, anchor x in the viewport
    view_scrolled = Signal()

    def __init__(self, scene: TimelineScene, scale: TimeScale, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.timeline_scene = scene
        self.time_scale = scale
        self.fps = Fraction(30)
        self.playhead = Fraction(0)
        self.snapping = True
        self.snap_x: float | None = None
        self._gesture: _Gesture | None = None
        self._drop_x: float | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setOptimizationFlags(
            QGraphicsView.OptimizationFlag.DontSavePainterState
            | QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing
        )
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setAcceptDrops(True)
        # A viewport made here rather than Qt's own: the first Python call that receives a QWidget made
        # in C++ makes PySide create the enum types of every widget class it might be (about 40 ms).
        viewport = QWidget()
        viewport.setMouseTracking(True)
        self.setViewport(viewport)
        self.horizontalScrollBar().valueChanged.connect(self._on_scrolled)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)

    # -- coordinates -------------------------------------------------------------------------------
    def scene_x_at_left(self) -> float:
        return self.mapToScene(0, 0).x()

    def scene_y_at_top(self) -> float:
        return self.mapToScene(0, 0).y()

    def clip_at(self, view_pos: QPointF) -> ClipItem | None:
        for found in self.items(view_pos.toPoint()):
            if isinstance(found, ClipItem):
                return found
        return None

    def selected_ids(self) -> list[str]:
        return [i.item_id for i in self.timeline_scene.selectedItems() if isinstance(i, ClipItem)]

    def set_playhead(self, t: Fraction) -> None:
        old = self.time_scale.x(self.playhead)
        self.playhead = t
        self._update_columns(old, self.time_scale.x(t))

    def _update_columns(self, *scene_xs: float) -> None:
        left = self.scene_x_at_left()
        height = self.viewport().height()
        for x in scene_xs:
            vx = int(x - left)
            self.viewport().update(QRect(vx - 3, 0, 7, height))

    def _on_scrolled(self) -> None:
        self.view_scrolled.emit()

    # -- painting ----------------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, exposed: QRectF | QRect) -> None:
        rect = QRectF(exposed)
        palette = colors()
        painter.fillRect(rect, QColor(palette.window))
        line = QColor(palette.track_line)
        for n, row in enumerate(self.timeline_scene.rows):
            if row.bottom < rect.top() or row.top > rect.bottom():
                continue
            band = QRectF(rect.left(), row.top, rect.width(), row.height)
            painter.fillRect(band, QColor(palette.track_bg if n % 2 == 0 else palette.track_alt_bg))
            if row.track.locked:
                painter.fillRect(band, QBrush(QColor(palette.locked_hatch), Qt.BrushStyle.BDiagPattern))
            painter.setPen(QPen(line, 1))
            painter.drawLine(QPointF(rect.left(), row.bottom - 0.5), QPointF(rect.right(), row.bottom - 0.5))
        for row, spans in self.timeline_scene.overview:
            color = QColor(palette.video_clip if row.track.kind == "video" else palette.audio_clip)
            top, height = row.top + 2, row.height - 4
            for x0, x1 in spans:
                if x1 >= rect.left() and x0 <= rect.right():
                    painter.fillRect(QRectF(x0, top, max(1.0, x1 - x0), height), color)

    def drawForeground(self, painter: QPainter, exposed: QRectF | QRect) -> None:
        rect = QRectF(exposed)
        palette = colors()
        if self.snap_x is not None:
            painter.setPen(QPen(QColor(palette.snap_line), 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(self.snap_x, rect.top()), QPointF(self.snap_x, rect.bottom()))
        if self._drop_x is not None:
            painter.setPen(QPen(QColor(palette.accent), 2))
            painter.drawLine(QPointF(self._drop_x, rect.top()), QPointF(self._drop_x, rect.bottom()))
        x = self.time_scale.x(self.playhead)
        if rect.left() - 2 <= x <= rect.right() + 2:
            painter.setPen(QPen(QColor(palette.playhead), 1.5))
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))

    # -- snapping ----------------------------------------------------------------------------------
    def _snap_targets(self, exclude: set[str]) -> list[float]:
        xs = {0.0, self.time_scale.x(self.playhead)}
        for item_id, drawn in self.timeline_scene.items_by_id.items():
            if item_id in exclude:
                continue
            left = drawn.pos().x()
            xs.add(left)
            xs.add(left + drawn.rect().width())
        return sorted(xs)

    def _snap(self, xs: list[float], targets: list[float]) -> tuple[float, float | None]:
        """The offset that brings the nearest of xs onto a target within SNAP_PX, and that target."""
        best: tuple[float, float | None] = (0.0, None)
        best_dist = SNAP_PX + 1.0
        for x in xs:
            i = bisect.bisect_left(targets, x)
            for j in (i - 1, i):
                if 0 <= j < len(targets) and abs(targets[j] - x) < best_dist:
                    best_dist = abs(targets[j] - x)
                    best = (targets[j] - x, targets[j])
        return best

    def _drop_at(self, x: float) -> float:
        """Where a drop at scene x lands: on an edge, the playhead or 0:00 when it is that close."""
        if not self.snapping:
            return x
        offset, _target = self._snap([x], self._snap_targets(set()))
        return x + offset

    # -- mouse -------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        drawn = self.clip_at(event.position())
        if drawn is None:
            super().mousePressEvent(event)
            return
        if event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier):
            drawn.setSelected(not drawn.isSelected())
            return
        if not drawn.isSelected():
            self.timeline_scene.clearSelection()
            for linked in self.timeline_scene.links.get(drawn.item_id, [drawn.item_id]):
                self.timeline_scene.items_by_id[linked].setSelected(True)
        pos = self.mapToScene(event.position().toPoint())
        edge = self._edge(drawn, pos.x())
        ids = self.selected_ids()
        self._gesture = _Gesture(
            grabbed=drawn,
            edge=edge,
            press=pos,
            origin={i: QPointF(self.timeline_scene.items_by_id[i].pos()) for i in ids},
            rect=QRectF(drawn.rect()),
            targets=self._snap_targets(set(ids)),
        )
        if edge is not None:
            self._gesture.limits, self._gesture.media_end = self._media_limits(drawn.item_id)

    def _media_limits(self, item_id: str) -> tuple[tuple[float, float], Fraction | None]:
        """Where a trimmed edge must stop: the start and end of the media the item shows (items of
        stills and titles can stretch)."""
        item = self.timeline_scene.timeline.items.get(item_id)
        clip = self.timeline_scene.clip_lookup(item.clip) if item is not None and item.clip else None
        if item is None or clip is None or clip.duration is None or clip.kind == "image":
            return (0.0, float("inf")), None
        scale = self.time_scale
        end = item.start + clip.duration - item.source_in
        return (scale.x(max(Fraction(0), item.start - item.source_in)), scale.x(end)), end

    def _edge(self, drawn: ClipItem, scene_x: float) -> str | None:
        width = drawn.rect().width()
        if width < EDGE_GRAB_PX * 3:
            return None
        local = scene_x - drawn.pos().x()
        if local <= EDGE_GRAB_PX:
            return "start"
        if local >= width - EDGE_GRAB_PX:
            return "end"
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        gesture = self._gesture
        if gesture is None:
            if not event.buttons():
                drawn = self.clip_at(event.position())
                pos = self.mapToScene(event.position().toPoint())
                edge = self._edge(drawn, pos.x()) if drawn is not None else None
                cursor = Qt.CursorShape.SizeHorCursor if edge else Qt.CursorShape.ArrowCursor
                self.viewport().setCursor(cursor)
            super().mouseMoveEvent(event)
            return
        pos = self.mapToScene(event.position().toPoint())
        dx = pos.x() - gesture.press.x()
        if gesture.edge is None:
            self._preview_move(gesture, dx, pos.y())
        else:
            self._preview_trim(gesture, dx)

    def _preview_move(self, gesture: _Gesture, dx: float, y: float) -> None:
        grabbed, origin = gesture.grabbed, gesture.origin
        start = origin[grabbed.item_id].x() + dx
        width = grabbed.rect().width()
        snap_x = None
        if self.snapping:
            offset, snap_x = self._snap([start, start + width], gesture.targets)
            dx += offset
        earliest = min(p.x() for p in origin.values())
        dx = max(dx, -earliest)
        rows = self.timeline_scene.rows
        press_row = self.timeline_scene.row_at(gesture.press.y())
        here = self.timeline_scene.row_at(y)
        shift = rows.index(here) - rows.index(press_row) if here and press_row else 0
        new_rows: dict[str, str] = {}
        for item_id, point in origin.items():
            drawn = self.timeline_scene.items_by_id[item_id]
            row = self.timeline_scene.row_at(point.y())
            target_y = point.y()
            if row is not None and shift:
                index = rows.index(row) + shift
                if 0 <= index < len(rows) and rows[index].track.kind == row.track.kind:
                    target_y = point.y() + rows[index].top - row.top
                    new_rows[item_id] = rows[index].track.id
            drawn.setPos(point.x() + dx, target_y)
        gesture.delta = dx
        gesture.rows = new_rows
        self._set_snap_line(snap_x)

    def _preview_trim(self, gesture: _Gesture, dx: float) -> None:
        grabbed, rect = gesture.grabbed, gesture.rect
        origin = gesture.origin[grabbed.item_id]
        edge_x = origin.x() + (dx if gesture.edge == "start" else rect.width() + dx)
        snap_x = None
        if self.snapping:
            offset, snap_x = self._snap([edge_x], gesture.targets)
            edge_x += offset
        low, high = gesture.limits
        if gesture.edge == "start":
            edge_x = min(max(low, edge_x), origin.x() + rect.width() - 1)
            grabbed.setPos(edge_x, origin.y())
            grabbed.setRect(QRectF(0, 0, origin.x() + rect.width() - edge_x, rect.height()))
        else:
            edge_x = min(max(origin.x() + 1, edge_x), high)
            grabbed.setRect(QRectF(0, 0, edge_x - origin.x(), rect.height()))
        gesture.edge_x = edge_x
        self._set_snap_line(snap_x)

    def _set_snap_line(self, x: float | None) -> None:
        if x != self.snap_x:
            old = self.snap_x
            self.snap_x = x
            self._update_columns(*(v for v in (old, x) if v is not None))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        gesture = self._gesture
        self._gesture = None
        if gesture is None:
            super().mouseReleaseEvent(event)
            return
        self._set_snap_line(None)
        if gesture.edge is None:
            frames = round(gesture.delta / self.time_scale.px_per_second * float(self.fps))
            delta = Fraction(frames) / self.fps
            if delta or gesture.rows:
                self.move_requested.emit(list(gesture.origin), delta, gesture.rows)
            else:
                for item_id, point in gesture.origin.items():
                    self.timeline_scene.items_by_id[item_id].setPos(point)
        elif gesture.edge_x is not None:
            t = self.time_scale.time(gesture.edge_x, self.fps)
            if gesture.media_end is not None and gesture.edge == "end":
                t = min(t, gesture.media_end)  # a frame rounded past the media's end would be refused
            self.trim_requested.emit(gesture.grabbed.item_id, gesture.edge, t)

    # -- wheel: zoom with Ctrl, scroll sideways with Shift or when there is nothing to scroll down ------
    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_requested.emit(ZOOM_STEP if delta > 0 else 1 / ZOOM_STEP, event.position().x())
            return
        vertical = self.verticalScrollBar()
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier or vertical.maximum() == 0:
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - delta)
            return
        super().wheelEvent(event)

    # -- drops from the library and the file manager ----------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasFormat(CLIPS_MIME) or mime.hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        pos = self.mapToScene(event.position().toPoint())
        if event.mimeData().hasFormat(CLIPS_MIME):
            old = self._drop_x
            self._drop_x = self._drop_at(pos.x())
            self._update_columns(*(v for v in (old, self._drop_x) if v is not None))
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: object) -> None:
        self._clear_drop_line()

    def _clear_drop_line(self) -> None:
        if self._drop_x is not None:
            old = self._drop_x
            self._drop_x = None
            self._update_columns(old)

    def dropEvent(self, event: QDropEvent) -> None:
        self._clear_drop_line()
        mime = event.mimeData()
        pos = self.mapToScene(event.position().toPoint())
        if mime.hasFormat(CLIPS_MIME):
            ids = json.loads(bytes(mime.data(CLIPS_MIME).data()).decode("utf-8"))
            row = self.timeline_scene.row_at(pos.y())
            self.clips_dropped.emit(
                list(ids), row.track.id if row else "", self.time_scale.time(self._drop_at(pos.x()), self.fps)
            )
            event.acceptProposedAction()
        elif mime.hasUrls():
            paths = [str(Path(u.toLocalFile())) for u in mime.urls() if u.isLocalFile()]
            if paths:
                self.files_dropped.emit(paths)
                event.acceptProposedAction()
