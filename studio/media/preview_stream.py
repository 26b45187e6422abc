"""Playback as a stream: the composed timeline from the playhead, as raw frames and PCM read from a pipe.

The export's own plan (studio.media.render_plan) renders the timeline window by window, each window one
ffmpeg process writing raw RGB pictures and 16-bit PCM in NUT to its stdout; nothing is encoded, written to
disk or opened again by a player, so the first frame is on hand as soon as ffmpeg decoded it. Large video
sources are read from their preview proxies where made (studio.media.preview_proxy). A reader thread
demuxes the pipe (packets of rawvideo and PCM are the pictures and samples themselves) into a bounded
queue of frames and a buffer of sound; the next window's process starts once the current one delivered
its first frame, so windows follow one another without a gap. Qt-free: the preview shows the frames and
feeds the sound to the audio output, clocking the pictures by the sound played.
"""

from __future__ import annotations

import collections
import contextlib
import queue
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import IO, Any

from studio.core.clips import Clip
from studio.core.spans import cut_to_span
from studio.core.timeline import Timeline
from studio.media.ffmpeg import ffmpeg_exe
from studio.media.formats import OutputFormat
from studio.media.preview_proxy import with_proxies

STREAM_FORMAT = OutputFormat(
    "preview-stream", ".nut", "rawvideo", ("-pix_fmt", "rgb24"), "pcm_s16le", (), muxer="nut"
)
CHANNELS = 2
BYTES_PER_SAMPLE = 2
FIRST_WINDOW_S = Fraction(3)
WINDOW_S = Fraction(10)
"""The first window is short, so its process has few inputs to open; later ones amortise a start each."""
FRAMES_AHEAD = 20
"""Pictures decoded ahead of the one on screen (about 0.7 s at 30 fps, 14 MB at 640x360)."""


@dataclass(frozen=True, slots=True)
class StreamFrame:
    """One picture: `t` seconds after the stream's start, RGB888 rows of `stride` bytes."""

    index: int
    t: Fraction
    width: int
    height: int
    stride: int
    data: bytes


def windows(start: Fraction, end: Fraction, fps: Fraction) -> list[tuple[Fraction, Fraction]]:
    """[start, end) in playback windows (FIRST_WINDOW_S, then WINDOW_S) whose edges lie on start's frame grid,
    so each window renders a whole number of frames and their sequence is the span's frames exactly."""
    out: list[tuple[Fraction, Fraction]] = []
    t = start
    while t < end:
        length = FIRST_WINDOW_S if not out else WINDOW_S
        frames = max(1, round(length * fps))
        out.append((t, min(end, t + Fraction(frames) / fps)))
        t = out[-1][1]
    return out


class PreviewStream:
    """Pictures and sound of `timeline` (a snapshot at the preview's size) over [start, end).

    Reading starts at once on a thread. `frames` yields StreamFrame (None after the last one);
    `read_audio` hands out the PCM decoded so far (s16le, CHANNELS, `sample_rate`). `error` says why the
    stream stopped early. close() stops the processes and the thread.
    """

    def __init__(self, timeline: Timeline, clips: Mapping[str, Clip], start: Fraction, end: Fraction) -> None:
        self.timeline = timeline
        self.clips = dict(clips)
        self.start = start
        self.fps = timeline.fps
        self.width = timeline.width
        self.height = timeline.height
        self.sample_rate = timeline.sample_rate
        self.windows = windows(start, end, self.fps)
        self.frames: queue.Queue[StreamFrame | None] = queue.Queue(maxsize=FRAMES_AHEAD)
        self.error = ""
        self._audio: collections.deque[bytes] = collections.deque()
        self._audio_bytes = 0
        self._audio_lock = threading.Lock()
        self._stopped = threading.Event()
        self._procs: list[subprocess.Popen[bytes]] = []
        self._procs_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="preview-stream", daemon=True)
        self._thread.start()

    # -- what the preview reads ------------------------------------------------------------------
    @property
    def audio_available(self) -> int:
        with self._audio_lock:
            return self._audio_bytes

    def read_audio(self, limit: int) -> bytes:
        """Up to `limit` bytes of PCM (whole sample frames), oldest first."""
        limit -= limit % (CHANNELS * BYTES_PER_SAMPLE)
        out = bytearray()
        with self._audio_lock:
            while self._audio and len(out) < limit:
                chunk = self._audio.popleft()
                room = limit - len(out)
                if len(chunk) > room:
                    self._audio.appendleft(chunk[room:])
                    chunk = chunk[:room]
                out += chunk
            self._audio_bytes -= len(out)
        return bytes(out)

    def close(self) -> None:
        """Stop reading and end the ffmpeg processes (returns at once; the thread ends by itself)."""
        self._stopped.set()
        with self._procs_lock:
            procs = list(self._procs)
        for proc in procs:
            with contextlib.suppress(OSError):
                proc.kill()
        with contextlib.suppress(queue.Empty):
            while True:  # a reader blocked on a full queue sees the stop
                self.frames.get_nowait()

    # -- the reader thread -------------------------------------------------------------------------
    def _command(self, window: tuple[Fraction, Fraction]) -> list[str]:
        from studio.media.render import draw_title_cards, plan_render

        cut = cut_to_span(self.timeline, *window)
        used = {clip_id: self.clips[clip_id] for clip_id in cut.clip_ids() if clip_id in self.clips}
        plan = plan_render(cut, with_proxies(used), STREAM_FORMAT, seek_audio=True)
        draw_title_cards(plan)
        quiet = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "error"]
        return [ffmpeg_exe(), *quiet, *plan.args, "pipe:1"]

    def _spawn(self, window: tuple[Fraction, Fraction]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            self._command(window), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        with self._procs_lock:
            self._procs.append(proc)
        if self._stopped.is_set():
            proc.kill()
        return proc

    def _run(self) -> None:
        try:
            following: subprocess.Popen[bytes] | None = None
            frame_base = 0
            for n, window in enumerate(self.windows):
                if self._stopped.is_set():
                    return
                proc = following or self._spawn(window)
                following = None

                def start_next(n: int = n) -> None:
                    nonlocal following
                    if following is None and n + 1 < len(self.windows) and not self._stopped.is_set():
                        following = self._spawn(self.windows[n + 1])

                frame_base += self._read(proc, frame_base, start_next)
                if self._stopped.is_set():
                    return
        except Exception as exc:  # reported to the preview, which says it in the status bar
            if not self._stopped.is_set():
                self.error = str(exc)
        finally:
            self._end()

    def _read(self, proc: subprocess.Popen[bytes], frame_base: int, on_first: Any) -> int:
        """Demux one window's NUT stream; returns how many pictures it held."""
        import av

        assert proc.stdout is not None and proc.stderr is not None
        stderr: collections.deque[bytes] = collections.deque(maxlen=20)
        drain = threading.Thread(target=_drain, args=(proc.stderr, stderr), daemon=True)
        drain.start()
        count = 0
        try:
            with av.open(proc.stdout, mode="r", format="nut", options={"probesize": "32"}) as container:
                video = container.streams.video[0]
                stride = self.width * 3
                for packet in container.demux():
                    if self._stopped.is_set():
                        return count
                    if packet.size == 0:
                        continue
                    data = bytes(packet)
                    if packet.stream.type == "audio":
                        with self._audio_lock:
                            self._audio.append(data)
                            self._audio_bytes += len(data)
                        continue
                    if packet.stream.index != video.index:
                        continue
                    index = frame_base + count
                    t = Fraction(index) / self.fps
                    frame = StreamFrame(index, t, self.width, self.height, stride, data)
                    self._put(frame)
                    count += 1
                    if count == 1:
                        on_first()
        finally:
            try:  # after the end of its output ffmpeg exits; after an error here it may wait on the pipe
                code = proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
            drain.join(timeout=5)
            proc.stdout.close()
            proc.stderr.close()
            with self._procs_lock:
                self._procs.remove(proc)
        if code != 0 and not self._stopped.is_set():
            tail = b"".join(stderr).decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"ffmpeg stopped ({code}): {tail[-1] if tail else 'no message'}")
        return count

    def _put(self, frame: StreamFrame) -> None:
        while not self._stopped.is_set():
            try:
                self.frames.put(frame, timeout=0.1)
                return
            except queue.Full:
                continue

    def _end(self) -> None:
        with self._procs_lock:
            procs = list(self._procs)
        for proc in procs:  # a next window started ahead but not read, or one left by a stop
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait(timeout=5)
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
        if not self._stopped.is_set():
            self._put_end()

    def _put_end(self) -> None:
        while not self._stopped.is_set():
            try:
                self.frames.put(None, timeout=0.1)
                return
            except queue.Full:
                continue


def _drain(stream: IO[bytes], into: collections.deque[bytes]) -> None:
    with contextlib.suppress(OSError, ValueError):
        for line in stream:
            into.append(line)
