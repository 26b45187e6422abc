"""Playback: from Space to the first frame and the first sound at random points of a 10-minute, 3-track
timeline (V1 picture and A1 sound of a 1080p clip cut end to end, A2 a music bed; target <= 300 ms), and
the frame rate of playback of those 1080p sources against the timeline's rate (target: the timeline's rate,
no dropped frames). The reference is ffmpeg decoding the first frame at the same point of the source.

Runs the real window offscreen: Space is the window's Play action, the first frame is the first picture
the preview shows from its stream, the first sound is the sound reaching the audio output (its processed
time moving past 0; on a machine with no audio output, the clock that paces the pictures starting with
the sound at the playhead decoded). One point is played before the 1080p source's preview proxy exists;
the others after the preview made it in the background. Medians over the points.

    .venv/bin/python bench/playback.py [--points N] [--seconds S]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_home = tempfile.mkdtemp(prefix="studio-playback-")
for _key in ("STUDIO_DATA_DIR", "STUDIO_CONFIG_DIR", "STUDIO_CACHE_DIR"):
    os.environ[_key] = str(Path(_home) / _key.lower())
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import mediagen  # noqa: E402

TIMELINE_S = 600
CUT_S = 30
FPS = 30


def build_project(window: Any, work: Path) -> str:
    """Import the sources and lay out the 10-minute timeline in the open project."""
    from PySide6.QtWidgets import QApplication

    from studio.core import gestures
    from studio.core.store import Store
    from studio.services.library import import_files

    video = mediagen.make_video(work / "street.mp4", CUT_S, size="1920x1080", rate=FPS)
    music = mediagen.make_audio(work / "music.m4a", 120, frequency=523)
    with Store() as store:
        imported = import_files(store, [video, music])
    clip, bed = imported[0].clip, imported[1].clip
    window.catalog.reload()
    while clip.id not in window.catalog.clips or bed.id not in window.catalog.clips:
        QApplication.processEvents()
        time.sleep(0.01)
    tl = window.document.timeline
    v1 = tl.ordered_tracks("video")[0].id
    a2 = tl.ordered_tracks("audio")[1].id

    def lay_out(tx: Any) -> None:
        for n in range(TIMELINE_S // CUT_S):
            gestures.place_clip(tx, clip, v1, Fraction(n * CUT_S))
        for n in range(TIMELINE_S // 120):
            tx.do(gestures.edits.insert_item(tx.timeline, bed, a2, at=Fraction(n * 120)))

    assert window.document.edit("Lay out", lay_out)
    window.timeline.view.snapping = False
    return str(clip.id)


def reference_first_frame(source: Path, at: float) -> float:
    """ffmpeg seeking to `at` in the source and decoding one frame (seconds)."""
    started = time.perf_counter()
    subprocess.run(
        [
            mediagen.ffmpeg(),
            "-v",
            "error",
            "-ss",
            f"{at:.3f}",
            "-i",
            str(source),
            "-frames:v",
            "1",
            "-f",
            "null",
            "-",
        ],
        check=True,
    )
    return time.perf_counter() - started


def measure(app: Any, window: Any, at: Fraction, watch_s: float) -> tuple[float, float, float, int]:
    """(first frame s, first sound s, frames per second over watch_s, frames not shown), Space at `at`."""
    preview = window.preview
    marks: dict[str, float] = {}
    frames: list[float] = []
    original = preview.picture.set_image

    def on_image(image: Any, caption: str = "") -> None:
        original(image, caption)
        if preview.playing and preview.stream is not None and image is not None:
            frames.append(time.perf_counter())
            marks.setdefault("frame", frames[-1])

    preview.picture.set_image = on_image  # type: ignore[method-assign]
    posted: list[str] = []
    preview.status_posted.connect(posted.append)
    window.timeline.set_playhead(at)
    app.processEvents()
    started = time.perf_counter()
    window.actions_by_name["play"].trigger()
    while "frame" not in marks or "sound" not in marks:
        app.processEvents()
        if preview.sound_started:
            marks.setdefault("sound", time.perf_counter())
        if time.perf_counter() - started > 120:
            raise SystemExit(f"no playback after 120 s at {float(at):.1f} s: {posted}")
        time.sleep(0.001)
    first = marks["frame"]
    while time.perf_counter() - first < watch_s and preview.playing:
        app.processEvents()
        time.sleep(0.001)
    window.actions_by_name["stop"].trigger()
    preview.picture.set_image = original  # type: ignore[method-assign]
    shown = [t for t in frames if t - first < watch_s]
    rate = (len(shown) - 1) / (shown[-1] - first) if len(shown) > 1 else 0.0
    expected = int(watch_s * FPS)
    return marks["frame"] - started, marks["sound"] - started, rate, max(0, expected - len(shown))


def wait_for_proxies(app: Any, window: Any, clip_id: str) -> float:
    """Seconds until the preview proxy of the 1080p source is made (in the background, as in the app)."""
    from studio.media.preview_proxy import proxy_file

    started = time.perf_counter()
    while not proxy_file(clip_id).is_file() or window.preview._proxy_task is not None:
        app.processEvents()
        time.sleep(0.01)
        if time.perf_counter() - started > 600:
            raise SystemExit("the preview proxy was not made within 10 minutes")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to watch each playback")
    args = parser.parse_args()
    from studio.ui.app import build_window, create_app

    app = create_app(sys.argv[:1])
    window = build_window(show_welcome=False)
    window.resize(1600, 1000)
    window.show()
    window.finish_startup()
    work = Path(_home) / "media"
    work.mkdir()
    clip_id = build_project(window, work)
    rng = random.Random(16)
    at = Fraction(rng.randrange(0, (TIMELINE_S - 20) * FPS), FPS)
    frame_s, sound_s, fps, lost = measure(app, window, at, args.seconds)
    print(
        f"  before the proxy exists, at {float(at):6.1f} s: frame {frame_s * 1000:6.0f} ms, "
        f"sound {sound_s * 1000:6.0f} ms, {fps:5.1f} fps, "
        f"{lost} of {int(args.seconds * FPS)} frames not shown"
    )
    print(f"  preview proxy of the 30 s 1080p source made in {wait_for_proxies(app, window, clip_id):.1f} s")
    firsts, sounds, rates, dropped, refs = [], [], [], [], []
    for _ in range(args.points):
        at = Fraction(rng.randrange(0, (TIMELINE_S - 20) * FPS), FPS)
        frame_s, sound_s, fps, lost = measure(app, window, at, args.seconds)
        refs.append(reference_first_frame(work / "street.mp4", float(at % CUT_S)))
        firsts.append(frame_s)
        sounds.append(sound_s)
        rates.append(fps)
        dropped.append(lost)
        print(
            f"  at {float(at):6.1f} s: frame {frame_s * 1000:6.0f} ms, sound {sound_s * 1000:6.0f} ms, "
            f"{fps:5.1f} fps, {lost} of {int(args.seconds * FPS)} frames not shown"
        )
    window.close()
    ref = statistics.median(refs)
    frame, sound = statistics.median(firsts), statistics.median(sounds)
    print(f"10-minute timeline, 3 tracks, 1080p{FPS} sources; medians of {args.points} random points")
    print(f"reference (ffmpeg: seek + first frame of the source): {ref * 1000:6.0f} ms")
    print(f"Space -> first frame: {frame * 1000:6.0f} ms  ratio {frame / ref:.1f}  (target <= 300 ms)")
    print(f"Space -> first sound: {sound * 1000:6.0f} ms  ratio {sound / ref:.1f}  (target <= 300 ms)")
    print(
        f"playback: {statistics.median(rates):.1f} fps of {FPS} (median), "
        f"{sum(dropped)} frames not shown in {args.points * args.seconds:.0f} s watched"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
