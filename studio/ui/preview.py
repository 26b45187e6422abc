"""The preview: the frame at the playhead while scrubbing, and playback of the composed timeline with sound.

Scrubbing decodes one frame of the topmost visible item at the playhead with PyAV on the media pool
(stale requests are dropped, so a fast scrub only ever shows the latest). Playback renders a
low-resolution proxy of the timeline from the playhead with the export's own render pipeline (one
ffmpeg process, on the preview pool) and plays it with QtMultimedia, picture through a video sink and
sound through the default audio output. Reverse shuttle (J) steps frames backwards.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from studio.core.clips import Clip
from studio.core.paths import cache_dir
from studio.core.spans import cut_to_span
from studio.core.timecode import ZERO, format_clock
from studio.core.timeline import VIDEO, Item, Timeline
from studio.ui import tasks
from studio.ui.catalog import ClipCatalog
from studio.ui.document import ProjectDocument
from studio.ui.icons import icon
from studio.ui.snapshots import at_height
from studio.ui.theme import colors

PROXY_HEIGHT = 240
SEGMENTS_S = (Fraction(1, 2), Fraction(2), Fraction(4))
"""Playback renders the proxy in segments played one after another: a short first one, so the first
frame comes soon, then longer ones (the last length repeats), each rendered while the one before plays."""
SEGMENTS_AHEAD = 2
FRAME_WIDTH = 640
_SCRUB_DELAY_MS = 15
_REVERSE_STEP_MS = 40


def picture_at(timeline: Timeline, t: Fraction) -> tuple[Item | None, list[Item]]:
    """What is seen at t: the clip item of the highest unmuted video track spanning t (or None), and the
    titles above it, lowest first (drawn over the picture, as the render composes them)."""
    titles: list[Item] = []
    for track in reversed(timeline.ordered_tracks(VIDEO)):
        if track.muted:
            continue
        for item in timeline.items_on(track.id):
            if item.start <= t < item.end and not item.muted:
                if item.kind != "title":
                    return item, titles[::-1]
                titles.append(item)
    return None, titles[::-1]


def decode_frame(path: Path, at: Fraction, width: int) -> QImage:
    """The frame shown at `at` seconds into the media, scaled to `width` (runs on a worker thread)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if stream.time_base is not None and at > 0:
            container.seek(int(at / stream.time_base), stream=stream, backward=True, any_frame=False)
        chosen = None
        for frame in container.decode(stream):
            if chosen is not None and frame.time is not None and frame.time > float(at) + 1e-6:
                break
            chosen = frame
        if chosen is None:
            raise ValueError(f"no picture at {float(at):.3f} s in {path.name}")
        height = max(2, round(chosen.height * width / chosen.width / 2) * 2)
        rgb = chosen.reformat(width=width, height=height, format="rgb24")
        data = bytes(rgb.planes[0])
        line = rgb.planes[0].line_size
        return QImage(data, width, height, line, QImage.Format.Format_RGB888).copy()


def proxy_format() -> Any:
    """The export's MP4 format, encoded for speed: a preview is watched once, right away."""
    from studio.media.formats import get_format

    video = ("-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p", "-g", "15")
    return replace(get_format("mp4"), name="preview", video_args=video, audio_args=("-b:a", "96k"))


def proxy_timeline(timeline: Timeline, start: Fraction, end: Fraction) -> Timeline:
    """A low-resolution copy of [start, end) of the timeline, shifted to begin at 0."""
    return at_height(cut_to_span(timeline, start, end), PROXY_HEIGHT)


def segments(start: Fraction, end: Fraction) -> list[tuple[Fraction, Fraction]]:
    """[start, end) cut into playback segments of SEGMENTS_S lengths (the last repeating)."""
    out: list[tuple[Fraction, Fraction]] = []
    t = start
    while t < end:
        length = SEGMENTS_S[min(len(out), len(SEGMENTS_S) - 1)]
        out.append((t, min(end, t + length)))
        t = out[-1][1]
    return out


def render_proxy(timeline: Timeline, clips: dict[str, Clip], ctx: tasks.TaskContext) -> Path:
    """Render (or reuse) the proxy of a timeline snapshot; named by its content, so edits make a new one."""
    from studio.media.render import plan_render, run_plan

    key = hashlib.sha256(json.dumps(timeline.to_dict(), sort_keys=True, default=str).encode()).hexdigest()
    out = cache_dir() / "preview" / f"{key[:32]}.mp4"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    plan = plan_render(timeline, clips, proxy_format())
    run_plan(plan, out, progress=ctx.progress, cancel=ctx.cancel)
    return out


class Screen(QWidget):
    """Paints the current picture letterboxed in black, with a caption when there is nothing to show."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("previewScreen")
        self.image: QImage | None = None
        self.caption = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(QSize(240, 135))

    def set_image(self, image: QImage | None, caption: str = "") -> None:
        self.image = image
        self.caption = caption
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#000000"))
        if self.image is not None and not self.image.isNull():
            size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            x = (self.width() - size.width()) / 2
            y = (self.height() - size.height()) / 2
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(QRectF(x, y, size.width(), size.height()), self.image)
        if self.caption:
            font = QFont(self.font())
            font.setPointSizeF(12 if self.image is None else 20)
            font.setBold(self.image is None)
            painter.setFont(font)
            painter.setPen(QColor(colors().muted if self.image is None else "#ffffff"))
            painter.drawText(
                self.rect().adjusted(20, 20, -20, -20), Qt.AlignmentFlag.AlignCenter, self.caption
            )
        painter.end()


class PreviewWidget(QWidget):
    position_changed = Signal(object)  # Fraction: where playback is on the timeline
    playing_changed = Signal(bool)
    frame_shown = Signal(object)  # Fraction: the time whose frame is on screen
    status_posted = Signal(str)

    def __init__(
        self, document: ProjectDocument, catalog: ClipCatalog, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.catalog = catalog
        self.picture = Screen()
        self.timecode = QLabel("0:00:00:00")
        self.timecode.setObjectName("timecode")
        self.state = QLabel()
        self.state.setObjectName("muted")
        self.playing = False
        self.rate = 0
        self.range: tuple[Fraction, Fraction] | None = None
        self._wanted: Fraction = ZERO
        self._request = 0
        self._frame_busy = False
        self._proxy_task: tasks.TaskHandle | None = None
        self._proxy_start = ZERO
        self._segments: list[tuple[Fraction, Fraction]] = []
        self._ready: dict[int, Path] = {}
        self._current = -1  # the segment playing
        self._rendering = 0  # the next segment to render
        self._player: Any = None
        self._scrub_timer = QTimer(self)
        self._scrub_timer.setSingleShot(True)
        self._scrub_timer.timeout.connect(self._on_scrub_timer)
        self._reverse_timer = QTimer(self)
        self._reverse_timer.timeout.connect(self._on_reverse_step)
        controls = QHBoxLayout()
        controls.setContentsMargins(8, 4, 8, 4)
        self.play_button = self._button("play", "Play / pause (Space)")
        self.play_button.clicked.connect(self._on_play_clicked)
        controls.addWidget(self.state, 1)
        controls.addWidget(
            self._button("to-start", "Go to start (Home)", lambda: self.position_changed.emit(ZERO))
        )
        controls.addWidget(self.play_button)
        controls.addWidget(self._button("stop", "Stop (K)", self.pause))
        controls.addStretch(1)
        controls.addWidget(self.timecode)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.addWidget(self.picture, 1)
        layout.addLayout(controls)
        document.changed.connect(self._on_document_changed)
        catalog.changed.connect(self._on_document_changed)  # media found once the library has loaded
        self.picture.set_image(None, "Drop clips on the timeline to see them here")

    def _button(self, name: str, tip: str, slot: Any = None) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(name))
        button.setIconSize(QSize(22, 22))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        if slot is not None:
            button.clicked.connect(slot)
        return button

    def set_range(self, marked: tuple[Fraction, Fraction] | None) -> None:
        self.range = marked

    # -- scrubbing ---------------------------------------------------------------------------------
    def show_frame_at(self, t: Fraction) -> None:
        """Show the picture at t (called as the playhead moves); the decode runs in the background."""
        self._wanted = t
        self.timecode.setText(format_clock(t, self.document.timeline.fps))
        if self.playing:
            return
        if not self._scrub_timer.isActive():
            self._scrub_timer.start(_SCRUB_DELAY_MS)

    def _on_document_changed(self) -> None:
        if not self.playing:
            self._scrub_timer.start(_SCRUB_DELAY_MS)

    def _on_scrub_timer(self) -> None:
        if self._frame_busy:
            self._scrub_timer.start(_SCRUB_DELAY_MS)
            return
        t = self._wanted
        item, titles = picture_at(self.document.timeline, t)
        if item is None:
            if titles:
                self.picture.set_image(self._with_titles(self._black(), titles))
            else:
                empty = not self.document.timeline.items
                self.picture.set_image(None, "Drop clips on the timeline to see them here" if empty else "")
            self.frame_shown.emit(t)
            return
        if not self.catalog.clips:
            return  # the library is still loading: it announces itself, and the frame is asked again
        found = self.catalog.media_file(item.clip or "")
        if found is None or not found[1]:
            self.picture.set_image(None, "Media offline: pull the clip to see it")
            self.frame_shown.emit(t)
            return
        path = found[0]
        at = item.source_in + (t - item.start)
        self._request += 1
        request = self._request
        self._frame_busy = True
        tasks.submit(
            "media",
            lambda _ctx: decode_frame(path, at, FRAME_WIDTH),
            name="frame at playhead",
            on_done=lambda image: self._on_frame_decoded(request, t, self._with_titles(image, titles)),
            on_failed=lambda exc: self._on_frame_failed(request, exc),
            owner=self,
        )

    def _black(self) -> QImage:
        tl = self.document.timeline
        image = QImage(
            FRAME_WIDTH, max(2, FRAME_WIDTH * tl.height // max(1, tl.width)), QImage.Format.Format_RGB32
        )
        image.fill(QColor("#000000"))
        return image

    def _with_titles(self, image: QImage, titles: list[Any]) -> QImage:
        """The titles drawn over the picture with the render's own layout (lines and size), centred,
        white with a shadow."""
        from studio.media.render_plan import title_layout

        if not titles:
            return image
        painter = QPainter(image)
        for title in titles:
            lines, size = title_layout(title.text, image.width(), image.height())
            font = QFont()
            font.setPixelSize(size)
            font.setBold(True)
            painter.setFont(font)
            text = "\n".join(lines)
            for offset, color in ((2, QColor(0, 0, 0, 150)), (0, QColor("#ffffff"))):
                painter.setPen(color)
                painter.drawText(image.rect().translated(offset, offset), Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
        return image

    def _on_frame_decoded(self, request: int, t: Fraction, image: QImage) -> None:
        self._frame_busy = False
        if request == self._request and (not self.playing or self.rate < 0):  # J steps show frames too
            self.picture.set_image(image)
            self.frame_shown.emit(t)

    def _on_frame_failed(self, request: int, exc: BaseException) -> None:
        self._frame_busy = False
        if request == self._request:
            self.picture.set_image(None, f"Cannot show this frame: {exc}")

    # -- playback ----------------------------------------------------------------------------------
    def _on_play_clicked(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play(self._wanted, 1)

    def play(self, start: Fraction, rate: int) -> None:
        """Play from `start` at `rate` (negative: backwards, frame by frame)."""
        self.rate = rate
        if rate < 0:
            self._stop_player()
            self._set_playing(True)
            self._reverse_timer.start(_REVERSE_STEP_MS)
            return
        self._reverse_timer.stop()
        if self._player is not None and self.playing:
            self._player.setPlaybackRate(float(rate))
            return
        tl = self.document.timeline
        end = self.range[1] if self.range else tl.duration
        if self.range and not self.range[0] <= start < self.range[1]:
            start = self.range[0]
        if start >= end:
            start = self.range[0] if self.range else ZERO
        if end <= start:
            self.status_posted.emit("Nothing to play: the timeline is empty")
            return
        if self._proxy_task is not None:
            self._proxy_task.cancel()
            self._proxy_task = None
        self._segments = segments(start, end)
        self._ready = {}
        self._current = -1
        self._rendering = 0
        self._proxy_start = start
        self.state.setText("Preparing preview…")
        self._set_playing(True)
        self._render_next()

    def _render_next(self) -> None:
        """Render the next segment unless one is rendering or enough are ready ahead."""
        n = self._rendering
        if self._proxy_task is not None or n >= len(self._segments) or n > self._current + SEGMENTS_AHEAD:
            return
        seg_start, seg_end = self._segments[n]
        snapshot = proxy_timeline(self.document.timeline, seg_start, seg_end)
        clips = self.catalog.resolved(snapshot.clip_ids())
        self._proxy_task = tasks.submit(
            "preview",
            lambda ctx: render_proxy(snapshot, clips, ctx),
            name="preview render",
            on_done=lambda path: self._on_proxy_ready(n, path),
            on_failed=self._on_proxy_failed,
            owner=self,
        )

    def _on_proxy_ready(self, n: int, path: Path) -> None:
        self._proxy_task = None
        if not self.playing or self.rate < 0:
            return
        self._ready[n] = path
        self._rendering = n + 1
        if (self._current == -1 and n == 0) or self._current == n:
            self._play_segment(n)
        self._render_next()

    def _play_segment(self, n: int) -> None:
        player = self._ensure_player()
        if player is None:
            self._set_playing(False)
            return
        self.state.setText("")
        self._current = n
        self._proxy_start = self._segments[n][0]
        player.setSource(QUrl.fromLocalFile(str(self._ready[n])))
        player.setPlaybackRate(float(max(1, self.rate)))
        player.play()
        self._render_next()

    def _on_proxy_failed(self, exc: BaseException) -> None:
        self._proxy_task = None
        self._set_playing(False)
        self.state.setText("")
        self.status_posted.emit(f"Preview not available: {exc}")

    def _ensure_player(self) -> Any:
        if self._player is not None:
            return self._player
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoSink
        except ImportError as exc:
            self.status_posted.emit(f"Playback needs QtMultimedia ({exc})")
            return None
        self._player = QMediaPlayer(self)
        self._audio = QAudioOutput(self)
        self._sink = QVideoSink(self)
        self._player.setAudioOutput(self._audio)
        self._player.setVideoSink(self._sink)
        self._sink.videoFrameChanged.connect(self._on_video_frame)
        self._player.positionChanged.connect(self._on_player_position)
        self._player.mediaStatusChanged.connect(self._on_media_status)
        self._player.errorOccurred.connect(lambda _e, text: self.status_posted.emit(f"Playback: {text}"))
        return self._player

    def _on_video_frame(self, frame: Any) -> None:
        if self.playing:
            self.picture.set_image(frame.toImage())

    def _on_player_position(self, ms: int) -> None:
        if self.playing and self.rate > 0:
            t = self._proxy_start + Fraction(ms, 1000)
            self._wanted = t
            self.timecode.setText(format_clock(t, self.document.timeline.fps))
            self.position_changed.emit(t)

    def _on_media_status(self, status: Any) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if status != QMediaPlayer.MediaStatus.EndOfMedia or not self.playing:
            return
        following = self._current + 1
        if following >= len(self._segments):
            self.pause()
        elif following in self._ready:
            self._ready.pop(self._current, None)
            self._play_segment(following)
        else:
            self._current = following  # played as soon as it is rendered
            self.state.setText("Buffering…")
            self._render_next()

    def _on_reverse_step(self) -> None:
        step = Fraction(_REVERSE_STEP_MS * abs(self.rate), 1000)
        t = max(ZERO, self._wanted - step)
        self._wanted = t
        self.position_changed.emit(t)
        self._on_scrub_timer()
        if t == 0:
            self.pause()

    def _stop_player(self) -> None:
        if self._player is not None:
            self._player.stop()

    def pause(self) -> None:
        self._reverse_timer.stop()
        if self._proxy_task is not None:
            self._proxy_task.cancel()
            self._proxy_task = None
        if self._player is not None:
            self._player.pause()
        self.state.setText("")
        self._set_playing(False)
        self._scrub_timer.start(_SCRUB_DELAY_MS)

    def _set_playing(self, playing: bool) -> None:
        if playing != self.playing:
            self.playing = playing
            self.play_button.setIcon(icon("pause" if playing else "play"))
            self.playing_changed.emit(playing)

    def shutdown(self) -> None:
        self.pause()
        self._stop_player()
