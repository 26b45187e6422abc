"""Waveform peaks vs the hand-written ffmpeg pipe into numpy on a 60 s 720p clip with sound.

Runs the two alternately (the order swapped every round), 5 times each, and prints the median
of the per-pair time ratios.
Budget: <= 1.1x. Usage: .venv/bin/python bench/waveform.py
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
BUDGET = 1.1
PER_SECOND = 100


def reference(clip: Path, rate: int):
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
    with tempfile.TemporaryDirectory(prefix="bench-wave-") as tmp:
        work = Path(tmp)
        os.environ["STUDIO_CACHE_DIR"] = str(work / "cache")
        from studio.media.waveform import analysis_rate, peaks

        rate = analysis_rate(PER_SECOND)
        clip = mediagen.make_video(work / "clip720.mp4", 60, size="1280x720", rate=25)
        ratios, ours_times, ref_times = [], [], []
        for i in range(ROUNDS):
            times = {}
            for name in ("ours", "reference") if i % 2 else ("reference", "ours"):
                t0 = time.perf_counter()
                if name == "ours":
                    result = peaks(clip, f"{i:02d}" * 32, per_second=PER_SECOND)
                else:
                    expected = reference(clip, rate)
                times[name] = time.perf_counter() - t0
            assert (result[: len(expected)] == expected).all()
            ratios.append(times["ours"] / times["reference"])
            ours_times.append(times["ours"])
            ref_times.append(times["reference"])
        ratio = statistics.median(ratios)
        print(
            f"waveform: ours median {statistics.median(ours_times):.3f} s, ffmpeg pipe + numpy median "
            f"{statistics.median(ref_times):.3f} s, median ratio {ratio:.3f}x (budget {BUDGET}x) "
            f"{'within budget' if ratio <= BUDGET else 'OVER BUDGET'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
