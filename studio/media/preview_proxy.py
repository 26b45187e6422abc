"""Preview proxies: a small, quickly seekable copy of a large video source, read by playback instead of it.

Seeking in a 1080p H.264 source means decoding from the keyframe before the point: up to a whole GOP of
full-size frames (x264 puts one keyframe every 250 frames by default), 0.5-1.7 s on a shared 2-core
machine. The proxy is 360 lines high with a keyframe every half second, so ffmpeg opens it, seeks and has
the frame at the playhead in 20-30 ms. Proxies are made in the background once a clip is on the timeline,
cached by the media's SHA-256, and only ever read by the preview: exports always read the source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.clips import Clip
from studio.core.errors import StudioError
from studio.core.paths import cache_dir
from studio.core.timecode import from_json
from studio.media.ffmpeg import ffmpeg_path, run_ffmpeg

PROXY_FOLDER = "preview-proxies-v1"
PROXY_HEIGHT = 360
PROXY_GOP_S = 0.5


def proxy_file(clip_id: str) -> Path:
    """Where the proxy of a clip lives (whether or not it was made yet)."""
    return cache_dir() / PROXY_FOLDER / clip_id[:2] / f"{clip_id}.mp4"


def _video_probe(clip: Clip) -> dict[str, Any]:
    video = clip.probe.get("video") if isinstance(clip.probe, dict) else None
    return video if isinstance(video, dict) else {}


def needs_proxy(clip: Clip) -> bool:
    """A moving picture larger than the proxy (smaller sources are cheap enough to seek in)."""
    if clip.kind != "video" or not clip.has_video or clip.path is None:
        return False
    return int(_video_probe(clip).get("height") or 0) > PROXY_HEIGHT


def make_proxy(
    clip: Clip, *, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
) -> Path:
    """Make (or find) the proxy of `clip`: its picture at PROXY_HEIGHT lines with a keyframe every
    PROXY_GOP_S, its sound as AAC; written to a temp file and renamed, so a half-made proxy is never read."""
    out = proxy_file(clip.id)
    if out.is_file():
        return out
    assert clip.path is not None
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        fps = float(from_json(_video_probe(clip).get("frame_rate")))
    except (ValueError, ZeroDivisionError, StudioError):  # no rate probed: a usual one
        fps = 30.0
    gop = max(1, round(fps * PROXY_GOP_S))
    args = ["-i", ffmpeg_path(clip.path), "-map", "0:v:0", "-map", "0:a:0?", "-sn", "-dn"]
    args += ["-vf", f"scale=-2:{PROXY_HEIGHT}", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "26"]
    args += ["-g", str(gop), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-map_metadata", "-1"]
    args += ["-f", "mp4"]
    run_ffmpeg(args, duration=clip.duration, progress=progress, cancel=cancel, output=out)
    return out


def with_proxies(clips: Mapping[str, Clip]) -> dict[str, Clip]:
    """The clips, each large video read from its proxy where one was made."""
    out: dict[str, Clip] = {}
    for clip_id, clip in clips.items():
        proxy = proxy_file(clip_id)
        out[clip_id] = replace(clip, path=proxy) if needs_proxy(clip) and proxy.is_file() else clip
    return out
