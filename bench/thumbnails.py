"""Thumbnails vs the hand-written single ffmpeg pass (fps+scale to JPEGs) on a 60 s 720p clip.

Runs the two alternately (the order swapped every round), 5 times each, and prints the median
of the per-pair time ratios.
Budget: <= 1.2x. Usage: .venv/bin/python bench/thumbnails.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import mediagen

ROUNDS = 5
BUDGET = 1.2


def _pair(reference, ours, *, ours_first: bool):
    """Time both callables in the given order; return (reference s, ours s, our result)."""
    times = {}
    result = None
    for name in ("ours", "reference") if ours_first else ("reference", "ours"):
        t0 = time.perf_counter()
        value = (ours if name == "ours" else reference)()
        times[name] = time.perf_counter() - t0
        if name == "ours":
            result = value
    return times["reference"], times["ours"], result


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-thumbs-") as tmp:
        work = Path(tmp)
        os.environ["STUDIO_CACHE_DIR"] = str(work / "cache")
        from studio.media.thumbnails import thumbnails

        clip = mediagen.make_video(work / "clip720.mp4", 60, size="1280x720", rate=25)
        ratios, ours_times, ref_times = [], [], []
        for i in range(ROUNDS):
            ref_dir = work / f"ref{i}"
            ref_dir.mkdir()

            def run_reference(ref_dir: Path = ref_dir) -> None:
                subprocess.run(
                    [
                        mediagen.ffmpeg(),
                        "-hide_banner",
                        "-nostdin",
                        "-loglevel",
                        "error",
                        "-i",
                        str(clip),
                        "-an",
                        "-vf",
                        "fps=1,scale=-2:72",
                        "-q:v",
                        "3",
                        str(ref_dir / "%05d.jpg"),
                    ],
                    check=True,
                )

            def run_ours(i: int = i) -> list[Path]:
                return thumbnails(clip, f"{i:02d}" * 32, every_s=1, height=72)

            ref, ours, made = _pair(run_reference, run_ours, ours_first=i % 2 == 1)
            assert len(made) == len(list(ref_dir.glob("*.jpg"))) == 60, (len(made), ref_dir)
            ratios.append(ours / ref)
            ours_times.append(ours)
            ref_times.append(ref)
        ratio = statistics.median(ratios)
        print(
            f"thumbnails: ours median {statistics.median(ours_times):.3f} s, one ffmpeg pass median "
            f"{statistics.median(ref_times):.3f} s, median ratio {ratio:.3f}x (budget {BUDGET}x) "
            f"{'within budget' if ratio <= BUDGET else 'OVER BUDGET'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
