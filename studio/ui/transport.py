"""Playback and the in/out marks: Space plays or pauses, J/K/L shuttle backwards, stop and forwards
(each press of the same key plays faster), I and O mark the range the export and the preview use."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fractions import Fraction

    from studio.ui.preview import PreviewWidget
    from studio.ui.timeline.panel import TimelinePanel

SHUTTLE_RATES = (1, 2, 4, 8)


class Transport:
    def __init__(self, timeline: TimelinePanel, preview: PreviewWidget) -> None:
        self.timeline = timeline
        self.preview = preview
        self.shuttle = 0
        self.mark_in: Fraction | None = None
        self.mark_out: Fraction | None = None

    def seek(self, t: Fraction) -> None:
        self.timeline.set_playhead(t, follow=True)

    def toggle_play(self) -> None:
        if self.preview.playing:
            self.stop()
        else:
            self.shuttle = 1
            self.preview.play(self.timeline.playhead, 1)

    def stop(self) -> None:
        self.shuttle = 0
        self.preview.pause()

    def shuttle_step(self, direction: int) -> None:
        """J and L: each press plays faster in that direction; the other key slows down first."""
        if self.shuttle == 0 or (self.shuttle > 0) != (direction > 0):
            self.shuttle = direction
        else:
            index = min(SHUTTLE_RATES.index(abs(self.shuttle)) + 1, len(SHUTTLE_RATES) - 1)
            self.shuttle = SHUTTLE_RATES[index] * direction
        self.preview.play(self.timeline.playhead, self.shuttle)

    def playing_changed(self, playing: bool) -> None:
        if not playing:
            self.shuttle = 0

    def set_mark_in(self) -> None:
        self.mark_in = self.timeline.playhead
        self._show_marks()

    def set_mark_out(self) -> None:
        self.mark_out = self.timeline.playhead
        self._show_marks()

    def marked_range(self) -> tuple[Fraction, Fraction] | None:
        if self.mark_in is not None and self.mark_out is not None and self.mark_out > self.mark_in:
            return self.mark_in, self.mark_out
        return None

    def _show_marks(self) -> None:
        marked = self.marked_range()
        self.timeline.ruler.in_out = marked
        self.timeline.ruler.update()
        self.preview.set_range(marked)
