"""Timeline snapshots for rendering part of a project: cut to a span, and sized to a picture height.

The preview plays from the playhead (a span to the end) at a low height, and the export of a marked
range renders the span between the In and Out marks; both then go through the same render pipeline
as a whole export (studio.media.render via studio.services.export).
"""

from __future__ import annotations

from fractions import Fraction

from studio.core.timecode import ZERO
from studio.core.timeline import Timeline


def span_of(timeline: Timeline, start: Fraction, end: Fraction) -> Timeline:
    """A copy of [start, end) of the timeline, shifted to begin at 0 (items cut at both ends)."""
    snap = timeline.snapshot()
    for item_id, item in list(snap.items.items()):
        if item.end <= start or item.start >= end:
            del snap.items[item_id]
            continue
        cut_head = max(ZERO, start - item.start)
        cut_tail = max(ZERO, item.end - end)
        item.start = max(ZERO, item.start - start)
        item.source_in += cut_head if item.kind == "clip" else ZERO
        item.duration -= cut_head + cut_tail
        item.fade_in = min(item.fade_in, item.duration)
        item.fade_out = min(item.fade_out, item.duration - item.fade_in)
    return snap


def at_height(timeline: Timeline, height: int) -> Timeline:
    """A copy whose picture is `height` lines high, the width following the project's aspect (even)."""
    snap = timeline.snapshot()
    scale = Fraction(height, max(1, snap.height))
    snap.settings["width"] = max(2, round(snap.width * scale / 2) * 2)
    snap.settings["height"] = height
    return snap
