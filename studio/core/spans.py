"""A timeline cut to a span of time, as a value: what the preview plays and a marked-range export renders.

Kept beside the model (Qt-free, pure) so the app, the export service and the command line cut a span
the same way, and what the preview shows is what the export writes.
"""

from __future__ import annotations

from fractions import Fraction

from studio.core.errors import InvalidInput
from studio.core.timecode import ZERO
from studio.core.timeline import Timeline


def cut_to_span(timeline: Timeline, start: Fraction, end: Fraction) -> Timeline:
    """A copy of [start, end) of `timeline`, shifted to begin at 0; `timeline` is left as it is.

    Items are cut at both ends (a clip's in point moves with its cut head; a title has no source);
    items and markers outside the span are left out, with the conflicts about them. A fade keeps the
    length of it that lies inside the span (starting from black or silence), so a fade that is over
    before the span begins does not play again at its start.
    """
    if start < 0:
        raise InvalidInput(f"a span cannot start before 0 (got {start} s)")
    if end <= start:
        raise InvalidInput(f"a span must end after it starts (got {start} s to {end} s)")
    snap = timeline.snapshot()
    for item_id, item in list(snap.items.items()):
        if item.end <= start or item.start >= end:
            del snap.items[item_id]
            continue
        cut_head = max(ZERO, start - item.start)
        cut_tail = max(ZERO, item.end - end)
        item.start = max(ZERO, item.start - start)
        if item.kind == "clip":
            item.source_in += cut_head
        item.duration -= cut_head + cut_tail
        item.fade_in = min(max(ZERO, item.fade_in - cut_head), item.duration)
        item.fade_out = min(max(ZERO, item.fade_out - cut_tail), item.duration - item.fade_in)
    for marker_id, marker in list(snap.markers.items()):
        if start <= marker.at < end:
            marker.at -= start
        else:
            del snap.markers[marker_id]
    for conflict_id, conflict in list(snap.conflicts.items()):
        if conflict.entity in ("item", "marker") and conflict.target not in snap.collection(conflict.entity):
            del snap.conflicts[conflict_id]
    return snap
