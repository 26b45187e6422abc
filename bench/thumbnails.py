"""Thumbnails vs the hand-written single ffmpeg pass (fps+scale to JPEGs) on a 60 s 720p clip.

Runs the two alternately (the order swapped every round), 5 times each, and prints the median
of the per-pair time ratios.
Budget: <= 1.2x. Usage: .venv/bin/python bench/thumbnails.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import Alternating, clip_720p

from tests import mediagen

ROUNDS = 5
BUDGET = 1.2


def main() -> int:
    with clip_720p("bench-thumbs-") as (work, clip):
        from studio.media.thumbnails import thumbnails

        timing = Alternating(BUDGET)
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

            _none, made = timing.pair(run_reference, run_ours)
            assert len(made) == len(list(ref_dir.glob("*.jpg"))) == 60, (len(made), ref_dir)
        timing.report("thumbnails", "one ffmpeg pass")
    return 0

if __name__ == "__main__":
    sys.exit(main())
