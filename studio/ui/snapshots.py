"""Timeline snapshots sized to a picture height: the preview's playback stream and smaller exports.

The preview streams from the playhead at a low height through the same render plan as a whole export
(studio.media.preview_stream cuts it into windows with studio.core.spans).
"""

from __future__ import annotations

from fractions import Fraction

from studio.core.timeline import Timeline


def at_height(timeline: Timeline, height: int) -> Timeline:
    """A copy whose picture is `height` lines high, the width following the project's aspect (even)."""
    snap = timeline.snapshot()
    scale = Fraction(height, max(1, snap.height))
    snap.settings["width"] = max(2, round(snap.width * scale / 2) * 2)
    snap.settings["height"] = height
    return snap
