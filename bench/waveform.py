"""Waveform peaks vs the hand-written ffmpeg pipe into numpy on a 60 s 720p clip with sound.

Runs the two alternately (the order swapped every round), 5 times each, and prints the median
of the per-pair time ratios.
Budget: <= 1.1x. Usage: .venv/bin/python bench/waveform.py
"""

from __future__ import annotations

import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import Alternating, clip_720p

from tests import mediagen

if TYPE_CHECKING:
    import numpy as np

ROUNDS = 5
BUDGET = 1.1
PER_SECOND = 100


def reference(clip: Path, rate: int) -> np.ndarray:
    import numpy as np

    pcm = subprocess.run(
        [
            mediagen.ffmpeg(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            str(clip),
            "-vn",
            "-ac",
            "1",
            "-ar",
            str(rate),
            "-f",
            "s16le",
            "pipe:1",
        ],
        check=True,
        capture_output=True,
    ).stdout
    samples = np.frombuffer(pcm, dtype="<i2")
    per_bin = rate // PER_SECOND
    whole = samples[: len(samples) - len(samples) % per_bin].reshape(-1, per_bin)
    return np.stack([whole.min(axis=1), whole.max(axis=1)], axis=1)


def main() -> int:
    with clip_720p("bench-wave-") as (_work, clip):
        from studio.media.waveform import analysis_rate, peaks

        rate = analysis_rate(PER_SECOND)
        timing = Alternating(BUDGET)
        for i in range(ROUNDS):
            expected, result = timing.pair(
                partial(reference, clip, rate), partial(peaks, clip, f"{i:02d}" * 32, per_second=PER_SECOND)
            )
            assert (result[: len(expected)] == expected).all()
        timing.report("waveform", "ffmpeg pipe + numpy")
    return 0

if __name__ == "__main__":
    sys.exit(main())
