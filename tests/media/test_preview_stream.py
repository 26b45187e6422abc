"""Playback streams and preview proxies, read back with PyAV.

The stream of a span must be the span's frames exactly, across the seams of its windows (a clip whose
frame n is grey level 16 + 4n tells which source frame each streamed picture is) with its sound in place
(a click at a known sample), and closing it mid-way must end its ffmpeg processes.
"""

from __future__ import annotations

import itertools
import time
from fractions import Fraction
from pathlib import Path

import av

from studio.media import preview_proxy, preview_stream
from studio.media.preview_stream import BYTES_PER_SAMPLE, CHANNELS, PreviewStream
from tests import mediagen
from tests.media.test_render import click, counter
from tests.media.test_render_plan import clip_for, clip_map, timeline


def _read_all(stream: PreviewStream) -> tuple[list[preview_stream.StreamFrame], bytes]:
    frames, sound = [], bytearray()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        frame = stream.frames.get(timeout=60)
        sound += stream.read_audio(stream.audio_available)
        if frame is None:
            return frames, bytes(sound + stream.read_audio(stream.audio_available))
        frames.append(frame)
    raise AssertionError("the stream did not end")


def _grey(frame: preview_stream.StreamFrame) -> float:
    """Mean of the picture's RGB values."""
    return sum(frame.data) / len(frame.data)


def test_a_span_streams_its_frames_and_sound_exactly_across_windows(media_dir: Path, monkeypatch):
    monkeypatch.setattr(preview_stream, "FIRST_WINDOW_S", Fraction(1, 2))
    monkeypatch.setattr(preview_stream, "WINDOW_S", Fraction(3, 5))
    picture, sound = clip_for(counter(media_dir)), clip_for(click(media_dir, ".wav"))
    tl = timeline(
        [
            ("V1", [{"clip": picture, "start": 0, "duration": 2}]),
            ("A1", [{"clip": sound, "start": 0, "duration": 2}]),
        ]
    )
    start = Fraction(8, 25)
    stream = PreviewStream(tl, clip_map(picture, sound), start, Fraction(2))
    edges = [Fraction(8, 25), Fraction(4, 5), Fraction(7, 5), Fraction(2)]  # 12 frames, then 15 each
    assert stream.windows == list(itertools.pairwise(edges))  # two seams inside the span
    frames, pcm = _read_all(stream)
    assert stream.error == ""
    assert len(frames) == 42  # (2 - 0.32) s at 25 fps
    assert [f.index for f in frames] == list(range(42))
    # Frame n of the source is luma 16 + 4n, i.e. about 4.66 n in full-range RGB.
    assert [round(_grey(f) / (4 * 255 / 219)) for f in frames] == list(range(8, 50))
    assert {(f.width, f.height, len(f.data)) for f in frames} == {(320, 240, 320 * 240 * 3)}
    assert len(pcm) == 80_640 * CHANNELS * BYTES_PER_SAMPLE  # (2 - 0.32) s at 48 kHz, to the sample
    left = [int.from_bytes(pcm[i : i + 2], "little", signed=True) for i in range(0, len(pcm), 4)]
    loudest = max(range(len(left)), key=lambda i: abs(left[i]))
    assert loudest == 24_000 - 15_360  # the click at 0.5 s of the source, 0.32 s into it
    assert abs(left[loudest]) > 20_000


def test_closing_a_stream_ends_its_ffmpeg_processes(media_dir: Path):
    video = clip_for(mediagen.make_video(media_dir / "long.mp4", 12, size="320x240"))
    tl = timeline([("V1", [{"clip": video, "start": 0, "duration": 12}])])
    stream = PreviewStream(tl, clip_map(video), Fraction(1), Fraction(12))
    first = stream.frames.get(timeout=60)
    assert first is not None and first.index == 0
    with stream._procs_lock:
        procs = list(stream._procs)
    assert procs and all(p.poll() is None for p in procs)  # paused on the full queue, not finished
    stream.close()
    for proc in procs:
        assert proc.wait(timeout=10) != 0
    stream._thread.join(timeout=10)
    assert not stream._thread.is_alive()


def test_a_large_video_gets_a_small_seekable_proxy_that_the_stream_reads(media_dir: Path):
    big = clip_for(mediagen.make_video(media_dir / "big.mp4", 2, size="640x480", rate=25))
    small = clip_for(mediagen.make_video(media_dir / "small.mp4", 1, size="320x240", rate=25))
    assert preview_proxy.needs_proxy(big) and not preview_proxy.needs_proxy(small)
    assert preview_proxy.with_proxies(clip_map(big))[big.id].path == big.path  # none made yet
    made = preview_proxy.make_proxy(big)
    assert made == preview_proxy.proxy_file(big.id)
    with av.open(str(made)) as container:
        v = container.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == (480, 360)
        assert container.streams.audio, "the proxy carries the sound"
        keys = [p.is_keyframe for p in container.demux(v) if p.size]
    assert len(keys) == 50 and [i for i, k in enumerate(keys) if k] == list(range(0, 50, 12))
    resolved = preview_proxy.with_proxies(clip_map(big, small))
    assert resolved[big.id].path == made and resolved[small.id].path == small.path
    tl = timeline([("V1", [{"clip": big, "start": 0, "duration": 2}])], size=(480, 360))
    stream = PreviewStream(tl, clip_map(big), Fraction(1), Fraction(2))
    frames, _pcm = _read_all(stream)
    assert len(frames) == 25 and stream.error == ""
    command = stream._command(stream.windows[0])
    assert str(made.resolve()) in command and str(Path(big.path or "").resolve()) not in command
