"""Timeline thumbnails and library posters, cached on disk by media SHA-256.

All thumbnails of a clip come from one ffmpeg pass with an fps+scale filter (one process per frame
would seek and decode the same GOPs again and again). A set is built in a temp folder and renamed
into place, so a folder that exists is always complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path

from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.errors import MediaError
from studio.core.paths import cache_dir
from studio.core.timecode import parse_time, to_ffmpeg
from studio.media.ffmpeg import ffmpeg_path, run_ffmpeg

CACHE_VERSION = "v1"
_PATTERN = "%05d.jpg"
_JPEG_QUALITY = "3"


def thumbs_dir(sha256: str) -> Path:
    """The cache folder of one media file's thumbnails and posters."""
    return cache_dir() / "thumbs" / CACHE_VERSION / sha256[:2] / sha256


def _scale(height: int) -> str:
    """Scale to `height`, width from the display aspect ratio (honours non-square pixels), rounded to even."""
    return f"scale=w='max(2,round(oh*dar/2)*2)':h={height},setsar=1"


def _time_label(every: Fraction) -> str:
    return str(every.numerator) if every.denominator == 1 else f"{every.numerator}-{every.denominator}"


def thumbnails(
    path: Path,
    sha256: str,
    *,
    every_s: Fraction | float | str = 1,
    height: int = 72,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """JPEG thumbnails `height` pixels tall, one every `every_s` seconds from 0; still images give one.

    Thumbnail i shows the picture at i * every_s. Cached under
    cache_dir()/thumbs/v1/<sha[:2]>/<sha>/<height>_<every>/.
    """
    every = parse_time(every_s)
    if every <= 0:
        raise MediaError(f"thumbnail spacing must be positive, got {every_s!r}")
    if height < 2:
        raise MediaError(f"thumbnail height must be at least 2 pixels, got {height}")
    final = thumbs_dir(sha256) / f"{height}_{_time_label(every)}"
    if final.is_dir():
        return sorted(final.glob("*.jpg"))
    from studio.media.probe import probe

    info = probe(path)
    if not info.has_video:
        raise MediaError(f"{path} has no picture to make thumbnails from")
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        rate = f"{every.denominator}/{every.numerator}"
        # round=up gives slot i the last frame at or before i * every, i.e. the picture shown then.
        vf = _scale(height) if info.is_image else f"fps={rate}:round=up,{_scale(height)}"
        args = ["-i", ffmpeg_path(path), "-map", "0:v:0", "-an", "-sn", "-dn", "-vf", vf]
        if info.is_image:
            args += ["-frames:v", "1"]
        args += ["-c:v", "mjpeg", "-q:v", _JPEG_QUALITY, "-f", "image2", str(work / _PATTERN)]
        run_ffmpeg(args, duration=info.duration, progress=progress, cancel=cancel)
        if not any(work.glob("*.jpg")):
            raise MediaError(f"ffmpeg made no thumbnails from {path}")
        try:
            os.replace(work, final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return sorted(final.glob("*.jpg"))


def poster(
    path: Path,
    sha256: str,
    *,
    at: Fraction | float | str = 0,
    height: int = 180,
    cancel: CancelToken | None = None,
) -> Path:
    """One JPEG frame at `at` seconds (clamped into the clip), for the library. Cached like thumbnails."""
    from studio.media.probe import probe

    at_time = max(Fraction(0), parse_time(at))
    out = thumbs_dir(sha256) / f"poster_{height}_{_time_label(at_time)}.jpg"
    if out.is_file():
        return out
    info = probe(path)
    if not info.has_video:
        raise MediaError(f"{path} has no picture to make a poster from")
    if info.is_image:
        at_time = Fraction(0)
    elif info.duration is not None and info.video is not None and info.video.frame_rate:
        at_time = min(at_time, max(Fraction(0), info.duration - 1 / info.video.frame_rate))
    args = ["-ss", to_ffmpeg(at_time), "-i", ffmpeg_path(path), "-map", "0:v:0", "-an", "-sn", "-dn"]
    args += ["-vf", _scale(height), "-frames:v", "1", "-c:v", "mjpeg", "-q:v", _JPEG_QUALITY]
    args += ["-f", "image2", "-update", "1"]
    with contextlib.suppress(FileExistsError):
        run_ffmpeg(args, cancel=cancel, output=out)
    return out
