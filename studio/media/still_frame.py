"""One decoded frame of a media file, as packed RGB: what the preview shows at the playhead while scrubbing.

PyAV (imported lazily) seeks to the keyframe before the point and decodes forward to the frame shown at
that time, so a scrub costs one short decode and no ffmpeg process.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from studio.core.errors import MediaError


@dataclass(frozen=True)
class RgbFrame:
    """Packed 8-bit RGB lines, `line_size` bytes apart (a line may carry padding)."""

    data: bytes
    width: int
    height: int
    line_size: int


def frame_at(path: Path, at: Fraction, width: int) -> RgbFrame:
    """The frame shown at `at` seconds into the media, `width` pixels wide with its aspect kept."""
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
            raise MediaError(f"no picture at {float(at):.3f} s in {path.name}")
        height = max(2, round(chosen.height * width / chosen.width / 2) * 2)
        rgb = chosen.reformat(width=width, height=height, format="rgb24")
        return RgbFrame(bytes(rgb.planes[0]), width, height, rgb.planes[0].line_size)
