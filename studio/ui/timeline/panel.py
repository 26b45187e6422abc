"""The timeline panel: tools, ruler, track headers and the view, turning gestures into project edits.

Each gesture becomes one labelled undo step through ProjectDocument.edit, made of the core's checked
edits (studio.core.edits, composed in studio.core.gestures); the scene is then brought in step
with the model, so what is drawn is always what the journal says.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout, QWidget

from studio.core import edits, gestures
from studio.core.clips import Clip
from studio.core.errors import EditRejected
from studio.core.timecode import ZERO, format_clock
from studio.core.timeline import AUDIO, VIDEO, Item, Timeline
from studio.ui.document import ProjectDocument
from studio.ui.icons import icon
from studio.ui.media_cache import MediaCache
from studio.ui.timeline.geometry import MAX_PX_PER_SECOND, MIN_PX_PER_SECOND, ZOOM_STEP, TimeScale
from studio.ui.timeline.headers import HEADER_WIDTH, TrackHeaders
from studio.ui.timeline.ruler import Ruler
from studio.ui.timeline.scene import TimelineScene
from studio.ui.timeline.view import TimelineView

if TYPE_CHECKING:
    from studio.core.project import EditTx

_SLIDER_STEPS = 1000


def _tool(name: str, tip: str, slot: Callable[[], Any], checkable: bool = False) -> QToolButton:
    button = QToolButton()
    button.setIcon(icon(name))
    button.setToolTip(tip)
    button.setAutoRaise(True)
    button.setCheckable(checkable)
    if checkable:
        button.toggled.connect(lambda _on: slot())
    else:
        button.clicked.connect(slot)
    return button


class TimelinePanel(QWidget):
    playhead_changed = Signal(object)  # Fraction seconds
    selection_changed = Signal(list)  # selected item ids
    status_posted = Signal(str)  # a message for the status bar
    files_dropped = Signal(list)

    def __init__(
        self,
        document: ProjectDocument,
        clip_lookup: Callable[[str], Clip | None],
        media: MediaCache | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.clip_lookup = clip_lookup
        self.scale = TimeScale()
        self.playhead = ZERO
        self.clipboard: list[dict[str, Any]] = []
        self.last_placed: list[str] = []
        self.scene = TimelineScene(clip_lookup, media, self)
        self.view = TimelineView(self.scene, self.scale)
        self.ruler = Ruler()
        self.headers = TrackHeaders()
        self._build()
        document.changed.connect(self._on_document_changed)
        document.edit_rejected.connect(self.status_posted)
        self.view.move_requested.connect(self._on_move_requested)
        self.view.trim_requested.connect(self._on_trim_requested)
        self.view.clips_dropped.connect(self._on_clips_dropped)
        self.view.files_dropped.connect(self.files_dropped)
        self.view.zoom_requested.connect(self._on_zoom_requested)
        self.view.view_scrolled.connect(self._on_view_scrolled)
        self.ruler.scrubbed.connect(self._on_ruler_scrubbed)
        self.headers.mute_toggled.connect(self._on_mute_toggled)
        self.headers.lock_toggled.connect(self._on_lock_toggled)
        self.headers.rename_requested.connect(self._on_rename_requested)
        self.headers.remove_requested.connect(self._on_remove_requested)
        self.headers.add_requested.connect(self.add_track)
        self.scene.selectionChanged.connect(self._on_selection_changed)
        self._on_document_changed()

    def _build(self) -> None:
        tools = QHBoxLayout()
        tools.setContentsMargins(6, 3, 6, 3)
        tools.setSpacing(2)
        tools.addWidget(_tool("add-track", "Add video track", lambda: self.add_track(VIDEO)))
        tools.addWidget(_tool("audio", "Add audio track", lambda: self.add_track(AUDIO)))
        tools.addWidget(_tool("title", "Add a title at the playhead", self.add_title))
        tools.addSpacing(10)
        tools.addWidget(_tool("split", "Split at the playhead (S)", self.split_at_playhead))
        tools.addWidget(_tool("delete", "Delete (Del)", lambda: self.delete_selected(False)))
        tools.addWidget(
            _tool("ripple-delete", "Ripple delete (Shift+Del)", lambda: self.delete_selected(True))
        )
        tools.addSpacing(10)
        self.snap_button = _tool("snap", "Snap to edges and the playhead", self._on_snap_toggled, True)
        self.snap_button.setChecked(True)
        tools.addWidget(self.snap_button)
        tools.addStretch(1)
        self.timecode = QLabel("0:00:00:00")
        self.timecode.setObjectName("timecode")
        tools.addWidget(self.timecode)
        tools.addSpacing(14)
        tools.addWidget(_tool("zoom-out", "Zoom out (-)", self.zoom_out))
        self.zoom_slider = QSlider(Qt.Orientation.Horizontal)
        self.zoom_slider.setRange(0, _SLIDER_STEPS)
        self.zoom_slider.setFixedWidth(120)
        self.zoom_slider.setToolTip("Zoom")
        self.zoom_slider.valueChanged.connect(self._on_zoom_slider_moved)
        tools.addWidget(self.zoom_slider)
        tools.addWidget(_tool("zoom-in", "Zoom in (+)", self.zoom_in))
        tools.addWidget(_tool("zoom-fit", "Zoom to fit (Shift+Z)", self.zoom_fit))
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(0)
        corner = QWidget()
        corner.setFixedSize(HEADER_WIDTH, self.ruler.height())
        grid.addWidget(corner, 0, 0)
        grid.addWidget(self.ruler, 0, 1)
        grid.addWidget(self.headers, 1, 0)
        grid.addWidget(self.view, 1, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addLayout(tools)
        outer.addLayout(grid, 1)
        self._sync_slider()

    # -- model -> screen ---------------------------------------------------------------------------
    @property
    def timeline(self) -> Timeline:
        return self.document.timeline

    def _on_document_changed(self) -> None:
        tl = self.timeline
        self.view.fps = tl.fps
        self.ruler.fps = tl.fps
        self.scene.sync(tl, self.scale)
        self._on_view_scrolled()
        self.view.viewport().update()

    def _on_view_scrolled(self) -> None:
        self.ruler.set_view(self.scale.px_per_second, self.view.scene_x_at_left())
        self.ruler.set_playhead(self.scale.x(self.playhead))
        self.headers.set_rows(self.scene.rows, self.view.scene_y_at_top())

    def _on_selection_changed(self) -> None:
        self.selection_changed.emit(self.view.selected_ids())

    def selected_ids(self) -> list[str]:
        return self.view.selected_ids()

    def select(self, item_ids: list[str], linked: bool = False) -> None:
        self.scene.clearSelection()
        if linked:
            item_ids = [i for item_id in item_ids for i in self.scene.links.get(item_id, [item_id])]
        for item_id in item_ids:
            drawn = self.scene.items_by_id.get(item_id)
            if drawn is not None:
                drawn.setSelected(True)

    # -- playhead ----------------------------------------------------------------------------------
    def set_playhead(self, t: Fraction, follow: bool = False) -> None:
        t = max(ZERO, t)
        if t == self.playhead:
            return
        self.playhead = t
        self.view.set_playhead(t)
        self.ruler.set_playhead(self.scale.x(t))
        self.timecode.setText(format_clock(t, self.timeline.fps))
        if follow:
            x = self.scale.x(t)
            left = self.view.scene_x_at_left()
            width = self.view.viewport().width()
            if not left <= x <= left + width - 20:
                self.view.horizontalScrollBar().setValue(int(x - width * 0.1))
        self.playhead_changed.emit(t)

    def _on_ruler_scrubbed(self, x: float) -> None:
        self.set_playhead(self.scale.time(x, self.timeline.fps))

    # -- zoom --------------------------------------------------------------------------------------
    def set_zoom(self, px_per_second: float, anchor_x: float | None = None) -> None:
        """Zoom keeping the time under anchor_x (viewport x; default the playhead or the centre) still."""
        if anchor_x is None:
            px = self.scale.x(self.playhead) - self.view.scene_x_at_left()
            anchor_x = px if 0 <= px <= self.view.viewport().width() else self.view.viewport().width() / 2
        t = (self.view.scene_x_at_left() + anchor_x) / self.scale.px_per_second
        if not self.scale.set_px_per_second(px_per_second):
            return
        self.scene.sync(self.timeline, self.scale)
        self.view.horizontalScrollBar().setValue(int(t * self.scale.px_per_second - anchor_x))
        self.view.viewport().update()
        self._sync_slider()
        self._on_view_scrolled()

    def zoom_in(self) -> None:
        self.set_zoom(self.scale.px_per_second * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.scale.px_per_second / ZOOM_STEP)

    def zoom_fit(self) -> None:
        """Show the whole timeline in the view's width."""
        duration = max(float(self.timeline.duration), 1.0)
        width = max(100, self.view.viewport().width() - 24)
        self.set_zoom(width / duration, 0.0)
        self.view.horizontalScrollBar().setValue(0)

    def _on_zoom_requested(self, factor: float, anchor_x: float) -> None:
        self.set_zoom(self.scale.px_per_second * factor, anchor_x)

    def _sync_slider(self) -> None:
        span = math.log(MAX_PX_PER_SECOND / MIN_PX_PER_SECOND)
        value = round(math.log(self.scale.px_per_second / MIN_PX_PER_SECOND) / span * _SLIDER_STEPS)
        with QSignalBlocker(self.zoom_slider):
            self.zoom_slider.setValue(value)

    def _on_zoom_slider_moved(self, value: int) -> None:
        span = math.log(MAX_PX_PER_SECOND / MIN_PX_PER_SECOND)
        self.set_zoom(MIN_PX_PER_SECOND * math.exp(value / _SLIDER_STEPS * span))

    def _on_snap_toggled(self) -> None:
        self.view.snapping = self.snap_button.isChecked()

    # -- edits -------------------------------------------------------------------------------------
    def _on_move_requested(self, ids: list[str], delta: Fraction, tracks: dict[str, str]) -> None:
        label = "Move clip" if len(ids) == 1 else f"Move {len(ids)} clips"
        if not self.document.edit(label, lambda tx: gestures.move(tx, ids, delta, tracks)):
            self.scene.sync(self.timeline, self.scale)

    def _on_trim_requested(self, item_id: str, edge: str, t: Fraction) -> None:
        label = "Trim start" if edge == "start" else "Trim end"
        if not self.document.edit(label, lambda tx: gestures.trim(tx, item_id, edge, t, self.clip_lookup)):
            self.scene.sync(self.timeline, self.scale)

    def place_clips(self, clip_ids: list[str], track_id: str, at: Fraction) -> list[str]:
        """Put clips on the timeline from `at`, one after another; returns the new items' ids.

        A clip with picture and sound lands as a linked pair (picture on a video track, sound on an audio
        track); the picture item's id is returned first and `last_placed` holds every new id.
        """
        placed: list[str] = []
        everything: list[str] = []

        def steps(tx: EditTx) -> None:
            placed.clear()
            everything.clear()
            t = at
            for clip_id in clip_ids:
                clip = self.clip_lookup(clip_id)
                if clip is None:
                    raise EditRejected(f"clip {clip_id[:12]} is not in the library")
                ids = gestures.place_clip(tx, clip, track_id, t)
                placed.append(ids[0])
                everything.extend(ids)
                t = tx.timeline.items[ids[0]].end

        label = "Add clip" if len(clip_ids) == 1 else f"Add {len(clip_ids)} clips"
        if not self.document.edit(label, steps):
            return []
        self.last_placed = list(everything)
        return list(placed)

    def _on_clips_dropped(self, clip_ids: list[str], track_id: str, at: Fraction) -> None:
        self.place_dropped(clip_ids, track_id, at)

    def place_dropped(self, clip_ids: list[str], track_id: str, at: Fraction) -> None:
        """Place dropped clips and select them (the window pulls shared ones first)."""
        if self.place_clips(clip_ids, track_id, at):
            self.select(self.last_placed)

    def split_at_playhead(self) -> None:
        t = self.playhead
        ids = self.selected_ids() or [
            i.id for i in self.timeline.items.values() if i.start < t < i.end and not self._locked(i)
        ]
        self.document.edit("Split", lambda tx: gestures.split(tx, ids, t))

    def _locked(self, item: Item) -> bool:
        track = self.timeline.tracks.get(item.track)
        return track is None or track.locked

    def delete_selected(self, ripple: bool = False) -> None:
        ids = self.selected_ids()
        if not ids:
            self.status_posted.emit("Select the items to delete first")
            return
        label = "Ripple delete" if ripple else "Delete"
        self.document.edit(label, lambda tx: gestures.delete(tx, ids, ripple=ripple))

    def copy_selected(self) -> int:
        self.clipboard = [
            self.timeline.items[i].to_dict() for i in self.selected_ids() if i in self.timeline.items
        ]
        self.status_posted.emit(f"Copied {len(self.clipboard)} item(s)")
        return len(self.clipboard)

    def paste(self) -> None:
        copied = list(self.clipboard)
        selected = self.selected_ids()
        fallback = self.timeline.items[selected[0]].track if selected else None
        pasted: list[str] = []

        def steps(tx: EditTx) -> None:
            pasted[:] = gestures.paste(tx, copied, self.playhead, fallback, self.clip_lookup)

        if self.document.edit("Paste", steps):
            self.select(pasted)

    def add_title(self, text: str = "Title") -> None:
        videos = [t for t in self.timeline.ordered_tracks(VIDEO) if not t.locked]
        if not videos:
            self.status_posted.emit("Add a video track (unlocked) for titles")
            return
        top = videos[-1].id
        added: list[str] = []
        if self.document.edit(
            "Add title", lambda tx: added.append(gestures.add_title(tx, top, self.playhead, text))
        ):
            self.select(added)  # the inspector shows it, ready for its text

    def add_track(self, kind: str) -> None:
        self.document.apply(f"Add {kind} track", lambda tl: edits.add_track(tl, kind))

    def _on_mute_toggled(self, track_id: str) -> None:
        muted = not self.timeline.tracks[track_id].muted
        label = "Mute track" if muted else "Unmute track"
        self.document.apply(label, lambda tl: edits.set_track_muted(tl, track_id, muted))

    def _on_lock_toggled(self, track_id: str) -> None:
        locked = not self.timeline.tracks[track_id].locked
        label = "Lock track" if locked else "Unlock track"
        self.document.apply(label, lambda tl: edits.set_track_locked(tl, track_id, locked))

    def _on_rename_requested(self, track_id: str, name: str) -> None:
        self.document.apply("Rename track", lambda tl: edits.rename_track(tl, track_id, name))

    def _on_remove_requested(self, track_id: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        from studio.ui.untrusted import escaped

        track = self.timeline.tracks.get(track_id)
        count = len(self.timeline.items_on(track_id)) if track is not None else 0
        if track is not None and count:
            buttons = QMessageBox.StandardButton
            answer = QMessageBox.question(
                self,
                "Remove track",
                escaped(
                    f"Remove {track.name} and the {count} item{'s' if count > 1 else ''} on it? "
                    "Edit ▸ Undo brings them back."
                ),
                buttons.Yes | buttons.Cancel,
                buttons.Cancel,
            )
            if answer != buttons.Yes:
                return
        self.document.apply("Remove track", lambda tl: edits.remove_track(tl, track_id))

    def set_item_fields(self, item_id: str, label: str, **changes: Any) -> bool:
        return self.document.edit(label, lambda tx: gestures.set_item_fields(tx, item_id, **changes))
