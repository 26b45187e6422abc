"""The preview at the playhead: the picture of the highest video item, with titles above it drawn over it
as the render composes them (not a title card on black hiding the picture)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from PySide6.QtGui import QColor

from tests import mediagen

pytestmark = pytest.mark.qt


def _shares(image) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(share of near-white pixels, share of coloured pixels) on a grid over the image."""
    white = coloured = total = 0
    for y in range(0, image.height(), 4):
        for x in range(0, image.width(), 4):
            c = QColor(image.pixel(x, y))
            total += 1
            if min(c.red(), c.green(), c.blue()) > 235:
                white += 1
            elif c.saturation() > 80 and c.value() > 60:
                coloured += 1
    return white / total, coloured / total


def test_title_is_drawn_over_the_picture_beneath_it(qtbot, window, tmp_path):
    from studio.ui.import_dialog import ImportRequest

    video = mediagen.make_video(tmp_path / "pattern.mp4", 4, size="320x240")
    window.start_import(ImportRequest([video], title="Pattern"))
    qtbot.waitUntil(lambda: len(window.catalog.clips) == 1, timeout=60_000)
    (clip,) = window.catalog.clips.values()
    panel, preview = window.timeline, window.preview
    v1 = panel.timeline.ordered_tracks("video")[0].id
    panel.place_clips([clip.id], v1, Fraction(0))
    panel.set_playhead(Fraction(1))
    panel.add_title("HELLO")
    shown: list[object] = []
    preview.frame_shown.connect(shown.append)
    panel.set_playhead(Fraction(3, 2))
    qtbot.waitUntil(lambda: Fraction(3, 2) in shown and preview.picture.image is not None, timeout=30_000)
    white, coloured = _shares(preview.picture.image)
    assert coloured > 0.3  # testsrc2's colour bars and gradients are under the title
    assert 0.002 < white < 0.3  # and the title's letters are on them
    # Past the clip's end only the title is left: white letters on black.
    panel.set_playhead(Fraction(9, 2))
    qtbot.waitUntil(lambda: Fraction(9, 2) in shown, timeout=30_000)
    white, coloured = _shares(preview.picture.image)
    assert coloured < 0.01 and white > 0.002


def test_playing_backwards_with_j_shows_the_frames_it_steps_through(qtbot, window, tmp_path):
    from studio.ui.import_dialog import ImportRequest

    video = mediagen.make_video(tmp_path / "walk.mp4", 4, size="320x240")
    window.start_import(ImportRequest([video], title="Walk"))
    qtbot.waitUntil(lambda: len(window.catalog.clips) == 1, timeout=60_000)
    (clip,) = window.catalog.clips.values()
    panel, preview = window.timeline, window.preview
    panel.place_clips([clip.id], panel.timeline.ordered_tracks("video")[0].id, Fraction(0))
    panel.set_playhead(Fraction(3))
    preview.picture.set_image(None)
    panel.view.setFocus()
    qtbot.keyClick(panel.view, "j")
    assert preview.playing and preview.rate < 0
    qtbot.waitUntil(lambda: preview.picture.image is not None or not preview.playing, timeout=10_000)
    assert preview.playing, "no frame was shown while stepping backwards"
    _white, coloured = _shares(preview.picture.image)
    assert coloured > 0.3, "reverse playback showed black"
    assert panel.playhead < 3
    qtbot.keyClick(panel.view, "k")
    assert not preview.playing


def test_space_plays_the_frames_from_the_playhead_on_and_space_stops_the_stream(qtbot, window, tmp_path):
    from PySide6.QtCore import Qt

    from studio.ui.import_dialog import ImportRequest

    # Frame n of this clip is flat grey at luma 16 + 4n, so a shown picture tells which frame it is.
    mediagen.run(
        ["-f", "lavfi", "-i", "nullsrc=s=320x240:r=25:d=2,geq=lum='16+4*N':cb=128:cr=128", "-c:v", "libx264",
         "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", tmp_path / "counter.mp4"]
    )  # fmt: skip
    window.start_import(ImportRequest([tmp_path / "counter.mp4"], title="Counter"))
    qtbot.waitUntil(lambda: len(window.catalog.clips) == 1, timeout=60_000)
    (clip,) = window.catalog.clips.values()
    panel, preview = window.timeline, window.preview
    panel.place_clips([clip.id], panel.timeline.ordered_tracks("video")[0].id, Fraction(0))
    panel.set_playhead(Fraction(2, 5))  # frame 10
    shown: list[int] = []
    original = preview.picture.set_image

    def record(image, caption=""):  # type: ignore[no-untyped-def]
        original(image, caption)
        if preview.playing and image is not None:
            grey = QColor(image.pixel(image.width() // 2, image.height() // 2)).red()
            shown.append(round(grey / (4 * 255 / 219)))

    preview.picture.set_image = record  # type: ignore[method-assign]
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_Space)
    assert preview.playing
    qtbot.waitUntil(lambda: len(shown) >= 12 or not preview.playing, timeout=30_000)
    assert shown[0] == 10, f"playback started at frame {shown[0]}, not at the playhead's"
    # In order (the project's 30 fps shows some of the 25 fps source's frames twice, as the render does).
    assert shown == sorted(shown) and len(set(shown)) >= 4, shown
    assert panel.playhead > Fraction(2, 5)
    procs = list(preview.stream._procs) if preview.stream is not None else []
    qtbot.keyClick(panel.view, Qt.Key.Key_Space)
    assert not preview.playing and preview.stream is None
    for proc in procs:
        proc.wait(timeout=10)
    # Played to the end, playback stops by itself at the last frame.
    panel.set_playhead(Fraction(37, 25))
    shown.clear()
    qtbot.keyClick(panel.view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not preview.playing, timeout=30_000)
    assert shown and shown[-1] == 49 and shown[0] == 37
