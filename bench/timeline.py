"""Timeline painting speed: frames per second repainting and scrolling a 5,000-clip timeline, at normal
zoom and zoomed to fit (target >= 60 fps at both), with every item showing its thumbnails (video tracks)
or its waveform (audio tracks) from the in-memory caches. Runs offscreen; prints fps per case.

    .venv/bin/python bench/timeline.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_home = tempfile.mkdtemp(prefix="studio-bench-")
for _key in ("STUDIO_DATA_DIR", "STUDIO_CONFIG_DIR", "STUDIO_CACHE_DIR"):
    os.environ[_key] = str(Path(_home) / _key.lower())
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CLIPS = 5000
FRAMES = 120


def drawn_media() -> Any:
    """What MediaCache holds once everything is made: thumbnails and peaks for every clip, at once."""
    import numpy as np
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtGui import QColor, QPixmap

    from studio.ui.media_cache import PEAKS_PER_SECOND, THUMB_HEIGHT

    class DrawnMedia(QObject):
        media_ready = Signal(str)

        def __init__(self) -> None:
            super().__init__()
            self.frames = []
            for n in range(5):
                frame = QPixmap(82, THUMB_HEIGHT)
                frame.fill(QColor.fromHsv(n * 60, 160, 200))
                self.frames.append(frame)
            rng = np.random.default_rng(7)
            wave = rng.integers(0, 20000, size=(5 * PEAKS_PER_SECOND, 1), dtype=np.int16)
            self.wave = np.hstack([-wave, wave])

        def thumbnails(self, clip_id: str) -> list:  # type: ignore[type-arg]
            return self.frames

        def peaks(self, clip_id: str):  # type: ignore[no-untyped-def]
            return self.wave

    return DrawnMedia()


def build() -> tuple[Any, Any]:
    from PySide6.QtWidgets import QApplication

    from studio.core import edits, ops
    from studio.core.clips import Clip, Credit
    from studio.core.timeline import Item, Timeline, new_id
    from studio.ui import theme
    from studio.ui.timeline.panel import TimelinePanel

    app = QApplication.instance() or QApplication([])
    theme.apply_theme(cast(QApplication, app), "dark")
    timeline = Timeline()
    for kind in ("video", "video", "audio", "audio"):
        for op in edits.add_track(timeline, kind):
            ops.apply(timeline, op)
    tracks = [t.id for t in timeline.ordered_tracks()]
    clips = {}
    for n in range(CLIPS):
        clip_id = f"{n:064x}"
        clips[clip_id] = Clip(
            clip_id, f"Clip {n}", "video", Fraction(4), (Credit("Ann"),), has_video=True, has_audio=True
        )
    per_track = CLIPS // len(tracks)
    n = 0
    for track in tracks:
        t = Fraction(0)
        for _ in range(per_track):
            clip_id = f"{n:064x}"
            length = Fraction(2 + n % 3)
            item = Item(new_id(), track, t, length, clip=clip_id)
            timeline.items[item.id] = item
            t += length
            n += 1

    class Fixed:
        """A project stand-in holding a fixed timeline: the bench measures painting, not editing."""

        def __init__(self) -> None:
            from PySide6.QtCore import QObject, Signal

            class Signals(QObject):
                changed = Signal()
                edit_rejected = Signal(str)

            self._signals = Signals()
            self.changed = self._signals.changed
            self.edit_rejected = self._signals.edit_rejected
            self.timeline = timeline

    panel = TimelinePanel(Fixed(), clips.get, drawn_media())  # type: ignore[arg-type]
    panel.resize(1600, 420)
    panel.show()
    app.processEvents()
    return app, panel


def measure(app, panel, label: str, scroll: bool) -> float:  # type: ignore[no-untyped-def]
    view = panel.view
    bar = view.horizontalScrollBar()
    viewport = view.viewport()
    viewport.repaint()
    start = time.perf_counter()
    for _frame in range(FRAMES):
        if scroll:
            bar.setValue((bar.value() + 37) % max(1, bar.maximum()))
        else:
            viewport.update()
        viewport.repaint()
        app.processEvents()
    fps = FRAMES / (time.perf_counter() - start)
    print(f"{label:<34} {fps:8.1f} fps  ({'>=' if fps >= 60 else '<'} 60)")
    return fps


def main() -> int:
    app, panel = build()
    results = []
    for zoom, setup in (
        ("normal zoom (40 px/s)", lambda: panel.set_zoom(40.0, 0.0)),
        ("zoomed to fit", panel.zoom_fit),
    ):
        setup()
        app.processEvents()
        results.append(measure(app, panel, f"repaint, {zoom}", scroll=False))
        results.append(measure(app, panel, f"scroll, {zoom}", scroll=True))
    print(f"{CLIPS} clips; slowest case {min(results):.1f} fps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
