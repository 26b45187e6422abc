"""The preview: the frame at the playhead while scrubbing, and playback of the composed timeline with sound.

Scrubbing decodes one frame of the topmost visible item at the playhead (services.preview) on the media pool
(stale requests are dropped, so a fast scrub only ever shows the latest). Playback streams the timeline
from the playhead (services.preview.open_stream: the export's own plan, rendered by ffmpeg window by
window to raw frames and PCM on a pipe, read on a thread): the frames are shown as the sound clock
reaches them and the sound goes to the default audio output (with none, a wall clock stands in).
Large video sources are read from preview proxies made in the background once they are on the
timeline. Reverse shuttle (J) steps frames backwards.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QElapsedTimer, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from studio.core.timecode import ZERO, format_clock
from studio.core.timeline import VIDEO, Item, Timeline
from studio.ui import tasks
from studio.ui.catalog import ClipCatalog
from studio.ui.document import ProjectDocument
from studio.ui.icons import icon
from studio.ui.snapshots import at_height
from studio.ui.theme import colors

if TYPE_CHECKING:
    from studio.services.preview import PreviewStream, StreamFrame

STREAM_HEIGHT = 360
"""Lines of the pictures playback streams (the preview's screen is rarely taller)."""
FRAME_WIDTH = 640
_SCRUB_DELAY_MS = 15
_REVERSE_STEP_MS = 40
_TICK_MS = 4
_PROXY_DELAY_MS = 800


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
    from studio.services import preview

    frame = preview.frame_at(path, at, width)
    return QImage(frame.data, frame.width, frame.height, frame.line_size, QImage.Format.Format_RGB888).copy()


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
        self.stream: PreviewStream | None = None
        self._stream_start = ZERO
        self._next: StreamFrame | None = None  # the frame the clock has not reached yet
        self._ended = False  # the stream delivered its last frame
        self._shown: StreamFrame | None = None  # the frame on screen (its bytes back the image)
        self._clock = QElapsedTimer()
        self._clock_base = ZERO  # stream seconds when the wall clock (re)started
        self._sink: Any = None  # QAudioSink, when there is an audio output
        self._sink_io: Any = None
        self._sound_started = False
        self.frames_shown = 0
        self.frames_late = 0  # frames the clock passed before they could be shown
        self._tick = QTimer(self)
        self._tick.setTimerType(Qt.TimerType.PreciseTimer)
        self._tick.timeout.connect(self._on_tick)
        self._proxy_task: tasks.TaskHandle | None = None
        self._proxied: set[str] = set()  # clips whose proxy was made or that need none
        self._proxy_timer = QTimer(self)
        self._proxy_timer.setSingleShot(True)
        self._proxy_timer.timeout.connect(self._make_next_proxy)
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
        for changed in (document.changed, catalog.changed):
            changed.connect(lambda: self._proxy_timer.start(_PROXY_DELAY_MS))
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
        if not titles:
            return image
        from studio.services import preview

        painter = QPainter(image)
        for title in titles:
            lines, size = preview.title_layout(title.text, image.width(), image.height())
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
        """Play from `start` at `rate` (negative: backwards, frame by frame; above 1: faster, silent)."""
        if rate < 0:
            self._stop_stream()
            self.rate = rate
            self._set_playing(True)
            self._reverse_timer.start(_REVERSE_STEP_MS)
            return
        self._reverse_timer.stop()
        if self.stream is not None and self.playing and self.rate > 0:
            self._restart_clock(rate)  # L again: faster from the frame on screen
            return
        self.rate = rate
        tl = self.document.timeline
        end = self.range[1] if self.range else tl.duration
        if self.range and not self.range[0] <= start < self.range[1]:
            start = self.range[0]
        if start >= end:
            start = self.range[0] if self.range else ZERO
        if end <= start:
            self.status_posted.emit("Nothing to play: the timeline is empty")
            return
        from studio.services import preview

        snapshot = at_height(tl, STREAM_HEIGHT)
        self._stop_stream()
        self.stream = preview.open_stream(snapshot, self.catalog.resolved(snapshot.clip_ids()), start, end)
        self._stream_start = start
        self._next = None
        self._ended = False
        self._clock_base = ZERO
        self._clock.invalidate()
        self._sound_started = False
        self.frames_shown = self.frames_late = 0
        self.state.setText("Preparing preview…")
        self._set_playing(True)
        self._tick.start(_TICK_MS)

    def _restart_clock(self, rate: int) -> None:
        self._clock_base = self._clock_now()
        self.rate = rate
        if self._clock.isValid():
            self._clock.restart()
        if rate != 1:
            self._close_sink()

    def _clock_now(self) -> Fraction:
        """Stream seconds reached: the sound played when it goes to an output, else the wall clock."""
        if not self._clock.isValid():
            return ZERO
        if self._sink is not None and self.rate == 1:
            return Fraction(int(self._sink.processedUSecs()), 1_000_000)
        return self._clock_base + Fraction(self._clock.elapsed() * max(1, self.rate), 1000)

    def _on_tick(self) -> None:
        stream = self.stream
        if stream is None:
            return
        if self._next is None and not self._take_next(stream):
            if self._ended:
                self._on_stream_ended(stream)
            return
        if not self._clock.isValid() and self._next is not None:
            first, self._next = self._next, None
            self._show(first)  # on screen before the audio output opens (QtMultimedia loads on first use)
            self._start_clock(stream)
            self._take_next(stream)
        self._feed_sound(stream)
        now = self._clock_now()
        due: StreamFrame | None = None
        while self._next is not None and self._next.t <= now:
            if due is not None:
                self.frames_late += 1
            due = self._next
            self._next = None
            if not self._take_next(stream):
                break
        if due is not None:
            self._show(due)
        if self._ended and self._next is None:
            self._on_stream_ended(stream)

    def _take_next(self, stream: PreviewStream) -> bool:
        """Hold the next frame of the stream; False when none is ready (or the stream ended)."""
        import queue

        if self._ended:
            return False
        try:
            frame = stream.frames.get_nowait()
        except queue.Empty:
            return False
        if frame is None:
            self._ended = True
            return False
        self._next = frame
        return True

    def _start_clock(self, stream: PreviewStream) -> None:
        self.state.setText("")
        if self.rate == 1:
            self._open_sink(stream)
        self._clock.start()
        if self._sink is None:
            self._sound_started = True  # no output to wait for: the sound is clocked from now

    def _show(self, frame: StreamFrame) -> None:
        image = QImage(frame.data, frame.width, frame.height, frame.stride, QImage.Format.Format_RGB888)
        self._shown = frame  # keeps the bytes the image reads alive
        self.frames_shown += 1
        self.picture.set_image(image)
        t = self._stream_start + frame.t
        self._wanted = t
        self.timecode.setText(format_clock(t, self.document.timeline.fps))
        self.position_changed.emit(t)
        self.frame_shown.emit(t)

    def _on_stream_ended(self, stream: PreviewStream) -> None:
        if stream.error:
            self.status_posted.emit(f"Preview not available: {stream.error}")
        self.pause()

    # -- sound ----------------------------------------------------------------------------------------
    def _open_sink(self, stream: PreviewStream) -> None:
        """Sound to the default output, or none (the wall clock paces the pictures then)."""
        try:
            from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices
        except ImportError:
            return
        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            return
        fmt = QAudioFormat()
        fmt.setSampleRate(stream.sample_rate)
        fmt.setChannelCount(2)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        sink = QAudioSink(device, fmt, self)
        io = sink.start()
        if io is None:
            sink.deleteLater()
            return
        self._sink, self._sink_io = sink, io

    def _feed_sound(self, stream: PreviewStream) -> None:
        if self._sink is None:
            stream.read_audio(stream.audio_available)  # nothing plays it (or playing fast): let it go
            return
        free = int(self._sink.bytesFree())
        if free > 0:
            data = stream.read_audio(free)
            if data:
                self._sink_io.write(data)
        if not self._sound_started and self._sink.processedUSecs() > 0:
            self._sound_started = True

    @property
    def sound_started(self) -> bool:
        """The sound of this playback reached the output (or, with none, its clock started)."""
        return self.playing and self._sound_started

    def _close_sink(self) -> None:
        if self._sink is not None:
            self._sink.stop()
            self._sink.deleteLater()
            self._sink = self._sink_io = None

    def _stop_stream(self) -> None:
        self._tick.stop()
        self._close_sink()
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        self._next = None

    # -- preview proxies -------------------------------------------------------------------------------
    def _make_next_proxy(self) -> None:
        """Make the proxy of one large video on the timeline that has none yet (one at a time, and not
        while playing, which needs the processor)."""
        if self._proxy_task is not None:
            return
        if self.playing:
            self._proxy_timer.start(_PROXY_DELAY_MS)
            return
        from studio.services import preview

        unseen = [c for c in self.document.timeline.clip_ids() if c not in self._proxied]
        wanted = []
        for clip in self.catalog.resolved(unseen).values():
            if preview.needs_proxy(clip) and not preview.has_proxy(clip.id):
                wanted.append(clip)
            elif clip.path is not None:  # made, or needs none: not looked at again
                self._proxied.add(clip.id)
        if not wanted:
            return
        clip = wanted[0]

        def done(_path: Path) -> None:
            self._proxy_task = None
            self._proxied.add(clip.id)
            self._proxy_timer.start(0)

        def failed(exc: BaseException) -> None:
            self._proxy_task = None
            self.status_posted.emit(f"No preview proxy for {clip.title or clip.id[:12]}: {exc}")

        self._proxy_task = tasks.submit(
            "preview",
            lambda ctx: preview.make_proxy(clip, cancel=ctx.cancel),
            name="preview proxy",
            on_done=done,
            on_failed=failed,
            on_cancelled=lambda: setattr(self, "_proxy_task", None),
            owner=self,
        )

    def _on_reverse_step(self) -> None:
        step = Fraction(_REVERSE_STEP_MS * abs(self.rate), 1000)
        t = max(ZERO, self._wanted - step)
        self._wanted = t
        self.position_changed.emit(t)
        self._on_scrub_timer()
        if t == 0:
            self.pause()

    def pause(self) -> None:
        self._reverse_timer.stop()
        self._stop_stream()
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
        if self._proxy_task is not None:
            self._proxy_task.cancel()
