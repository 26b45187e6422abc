"""Where things are drawn: seconds <-> scene x at the current zoom, and the track rows top to bottom.

Scene x is in pixels at the current zoom (items are laid out again when the zoom changes) rather than
scaling the view, so text, thumbnails and waveforms are never stretched.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from studio.core.timeline import VIDEO, Timeline, Track

VIDEO_ROW_HEIGHT = 64
AUDIO_ROW_HEIGHT = 52
MIN_PX_PER_SECOND = 0.005
MAX_PX_PER_SECOND = 2400.0
DEFAULT_PX_PER_SECOND = 40.0
ZOOM_STEP = 1.25


@dataclass(frozen=True, slots=True)
class Row:
    track: Track
    top: int
    height: int

    @property
    def bottom(self) -> int:
        return self.top + self.height


def track_rows(timeline: Timeline) -> list[Row]:
    """Video tracks first, highest (frontmost) at the top, then audio tracks in order, like every editor."""
    videos = list(reversed(timeline.ordered_tracks(VIDEO)))
    audios = [t for t in timeline.ordered_tracks() if t.kind != VIDEO]
    rows: list[Row] = []
    y = 0
    for track in videos + audios:
        height = VIDEO_ROW_HEIGHT if track.kind == VIDEO else AUDIO_ROW_HEIGHT
        rows.append(Row(track, y, height))
        y += height
    return rows


class TimeScale:
    """Pixels per second, clamped; converts exact times to scene x and back (snapped to frames)."""

    def __init__(self, px_per_second: float = DEFAULT_PX_PER_SECOND) -> None:
        self.px_per_second = px_per_second

    def set_px_per_second(self, value: float) -> bool:
        clamped = min(MAX_PX_PER_SECOND, max(MIN_PX_PER_SECOND, value))
        changed = clamped != self.px_per_second
        self.px_per_second = clamped
        return changed

    def x(self, t: Fraction) -> float:
        return float(t) * self.px_per_second

    def time(self, x: float, fps: Fraction) -> Fraction:
        """The frame boundary nearest to scene x (never negative)."""
        frames = round(max(0.0, x) / self.px_per_second * float(fps))
        return Fraction(frames) / fps

    def seconds(self, px: float) -> float:
        return px / self.px_per_second
