"""The timeline scene: one ClipItem per model item, kept in step with the Timeline by diffing.

The scene uses Qt's BSP tree index, so finding what is visible (or under the mouse) among thousands of
items costs a tree walk rather than a scan. sync() touches only items whose geometry or look changed.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QRectF
from PySide6.QtWidgets import QGraphicsScene

from studio.core.clips import Clip
from studio.core.display import shown
from studio.core.timecode import format_clock
from studio.core.timeline import AUDIO, Item, Timeline
from studio.ui.media_cache import PEAKS_PER_SECOND, THUMB_EVERY_S, MediaCache
from studio.ui.timeline.geometry import Row, TimeScale, track_rows
from studio.ui.timeline.items import ITEM_KIND_AUDIO, ITEM_KIND_TITLE, ITEM_KIND_VIDEO, ClipItem

ClipLookup = Callable[[str], Clip | None]
_ITEM_MARGIN = 2
OVERVIEW_MIN_ITEMS = 400  # with this many items narrower than OVERVIEW_PX, draw merged bars instead
OVERVIEW_PX = 3.0
_TAIL_PX = 800


class TimelineScene(QGraphicsScene):
    def __init__(
        self, clip_lookup: ClipLookup, media: MediaCache | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.clip_lookup = clip_lookup
        self.media = media
        self.items_by_id: dict[str, ClipItem] = {}
        self.rows: list[Row] = []
        self.conflicted_ids: set[str] = set()
        self.links: dict[str, list[str]] = {}
        self.overview: list[
            tuple[Row, list[tuple[float, float]]]
        ] = []  # level of detail when zoomed out  # item id -> items placed with it (picture and its sound)
        self.timeline = Timeline()
        if media is not None:
            media.media_ready.connect(self._on_media_ready)

    def row_for_track(self, track_id: str) -> Row | None:
        for row in self.rows:
            if row.track.id == track_id:
                return row
        return None

    def row_at(self, y: float) -> Row | None:
        for row in self.rows:
            if row.top <= y < row.bottom:
                return row
        return None

    def item_rect(self, item: Item, row: Row, scale: TimeScale) -> QRectF:
        return QRectF(
            scale.x(item.start), row.top + _ITEM_MARGIN, scale.x(item.duration), row.height - 2 * _ITEM_MARGIN
        )

    def sync(self, timeline: Timeline, scale: TimeScale) -> None:
        """Make the drawn items match the timeline: add, remove, move and restyle as needed."""
        self.timeline = timeline
        self.rows = track_rows(timeline)
        rows = {row.track.id: row for row in self.rows}
        self.conflicted_ids = {c.target for c in timeline.conflicts.values() if c.entity == "item"}
        self.conflicted_ids |= {i.id for pair in timeline.overlaps() for i in pair}
        groups: dict[str, list[str]] = {}
        for item in timeline.items.values():
            link = item.metadata.get("studio.ui", {}).get("link") if isinstance(item.metadata, dict) else None
            if isinstance(link, str):
                groups.setdefault(link, []).append(item.id)
        self.links = {i: members for members in groups.values() if len(members) > 1 for i in members}
        for gone in set(self.items_by_id) - set(timeline.items):
            self.removeItem(self.items_by_id.pop(gone))
        for item in timeline.items.values():
            row = rows.get(item.track)
            if row is None:
                continue
            drawn = self.items_by_id.get(item.id)
            if drawn is None:
                drawn = ClipItem(item.id)
                self.addItem(drawn)
                self.items_by_id[item.id] = drawn
            self._place(drawn, self.item_rect(item, row, scale))
            self._style(drawn, item, row)
        self._level_of_detail(timeline, scale, rows)
        width = max(scale.x(timeline.duration) + _TAIL_PX, 2000.0)
        height = self.rows[-1].bottom if self.rows else 0
        self.setSceneRect(QRectF(0, 0, width, max(height, 1)))

    def _level_of_detail(self, timeline: Timeline, scale: TimeScale, rows: dict[str, Row]) -> None:
        """Zoomed out over thousands of items, each drawn item would be a pixel or two: draw each track as
        merged bars (a few hundred rectangles) and hide the items, which the view then skips."""
        narrow = sum(1 for i in timeline.items.values() if scale.x(i.duration) < OVERVIEW_PX)
        overview = narrow >= OVERVIEW_MIN_ITEMS
        self.overview = []
        if overview:
            for row in self.rows:
                spans: list[tuple[float, float]] = []
                for item in timeline.items_on(row.track.id):
                    x0, x1 = scale.x(item.start), scale.x(item.end)
                    if spans and x0 - spans[-1][1] < 1.0:
                        spans[-1] = (spans[-1][0], max(spans[-1][1], x1))
                    else:
                        spans.append((x0, x1))
                self.overview.append((row, spans))
        for drawn in self.items_by_id.values():
            if drawn.isVisible() == overview:
                drawn.setVisible(not overview)

    def _place(self, drawn: ClipItem, rect: QRectF) -> None:
        if drawn.pos().x() != rect.x() or drawn.pos().y() != rect.y():
            drawn.setPos(rect.x(), rect.y())
        local = QRectF(0, 0, rect.width(), rect.height())
        if drawn.rect() != local:
            drawn.setRect(local)

    def _style(self, drawn: ClipItem, item: Item, row: Row) -> None:
        clip = self.clip_lookup(item.clip) if item.clip else None
        if item.kind == "title":
            kind, label = ITEM_KIND_TITLE, item.text or "Title"
        else:
            kind = ITEM_KIND_AUDIO if row.track.kind == AUDIO else ITEM_KIND_VIDEO
            label = clip.title if clip else (item.clip or "")[:12]
        detail = format_clock(item.duration)
        if item.gain_db:
            detail += f"  {item.gain_db:+.1f} dB"
        thumbs = []
        peaks = None
        if clip is not None and self.media is not None:
            if kind == ITEM_KIND_VIDEO and clip.has_video:
                thumbs = self.media.thumbnails(clip.id)
            if kind == ITEM_KIND_AUDIO and clip.has_audio:
                peaks = self.media.peaks(clip.id)
        drawn.set_look(
            kind=kind,
            label=shown(label),  # a title from another person: control characters made visible
            detail=detail,
            source_in=float(item.source_in),
            duration=float(item.duration),
            fade_in=float(item.fade_in),
            fade_out=float(item.fade_out),
            muted=item.muted or row.track.muted,
            locked=row.track.locked,
            conflicted=item.id in self.conflicted_ids,
            offline=item.kind == "clip" and clip is None,
            thumbnails=thumbs,
            thumb_every=float(THUMB_EVERY_S),
            peaks=peaks,
            peaks_per_second=PEAKS_PER_SECOND,
        )

    def restyle_clip(self, timeline: Timeline, clip_id: str) -> None:
        rows = {row.track.id: row for row in self.rows}
        for item in timeline.items.values():
            if item.clip == clip_id and item.id in self.items_by_id and item.track in rows:
                self._style(self.items_by_id[item.id], item, rows[item.track])

    def _on_media_ready(self, clip_id: str) -> None:
        self.restyle_clip(self.timeline, clip_id)
