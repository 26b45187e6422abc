"""Preview use-cases for the app: the frame at the playhead, the playback stream, preview proxies, and the
thumbnails, posters and waveform peaks the library and the timeline draw.

The media engine does the work (and caches it on disk by media SHA-256); the app reaches it only through
this module, so what the preview shows and what an export renders come from the same plan and the same
title layout. Every call here is slow work for a worker thread, never the UI thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from studio.core.cancel import CancelToken
from studio.core.clips import Clip
from studio.core.timeline import Timeline
from studio.media import preview_proxy, still_frame
from studio.media import thumbnails as media_thumbnails
from studio.media import waveform as media_waveform
from studio.media.preview_stream import PreviewStream as PreviewStream  # for the front ends
from studio.media.preview_stream import StreamFrame as StreamFrame  # for the front ends
from studio.media.render_plan import title_layout as title_layout  # the render's own title layout
from studio.media.still_frame import RgbFrame as RgbFrame  # for the front ends

if TYPE_CHECKING:
    import numpy as np


def frame_at(path: Path, at: Fraction, width: int) -> RgbFrame:
    """The picture shown `at` seconds into a media file, `width` pixels wide (aspect kept)."""
    return still_frame.frame_at(path, at, width)


def open_stream(
    timeline: Timeline, clips: Mapping[str, Clip], start: Fraction, end: Fraction
) -> PreviewStream:
    """Start playing the composed timeline from `start` to `end`: pictures and sound arrive on the stream's
    queues as ffmpeg renders them (large videos are read from their proxies where made)."""
    return PreviewStream(timeline, clips, start, end)


def needs_proxy(clip: Clip) -> bool:
    """Whether playback would seek this clip's source slowly enough to want a proxy."""
    return preview_proxy.needs_proxy(clip)


def has_proxy(clip_id: str) -> bool:
    """Whether the proxy of a clip was made already."""
    return preview_proxy.proxy_file(clip_id).is_file()


def make_proxy(clip: Clip, *, cancel: CancelToken | None = None) -> Path:
    """Make (or find) the preview proxy of a clip; a cancelled or failed run leaves no file behind."""
    return preview_proxy.make_proxy(clip, cancel=cancel)


def thumbnails(
    path: Path,
    sha256: str,
    *,
    every_s: Fraction | float | str,
    height: int,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """The clip's thumbnail files, one every `every_s` seconds, `height` pixels tall (cached)."""
    return media_thumbnails.thumbnails(path, sha256, every_s=every_s, height=height, cancel=cancel)


def poster(
    path: Path, sha256: str, *, at: Fraction | float | str, height: int, cancel: CancelToken | None = None
) -> Path:
    """One picture of the clip for the library (cached)."""
    return media_thumbnails.poster(path, sha256, at=at, height=height, cancel=cancel)


def peaks(path: Path, sha256: str, *, per_second: int, cancel: CancelToken | None = None) -> np.ndarray:
    """Waveform peaks of the mono mix: (min, max) per 1/per_second s (cached)."""
    return media_waveform.peaks(path, sha256, per_second=per_second, cancel=cancel)
