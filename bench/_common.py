"""What the media benches share: a 60 s 720p clip in a scratch cache, alternate timing, the verdict line.

Each bench runs ours and a hand-written reference alternately (order swapped every round) so that a
machine busy with other work slows both alike, and reports the median of the per-round ratios.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from tests import mediagen

R = TypeVar("R")
T = TypeVar("T")


@contextmanager
def clip_720p(prefix: str) -> Iterator[tuple[Path, Path]]:
    """(scratch folder, a 60 s 1280x720 25 fps clip with sound), the studio cache pointed inside it."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        work = Path(tmp)
        os.environ["STUDIO_CACHE_DIR"] = str(work / "cache")
        yield work, mediagen.make_video(work / "clip720.mp4", 60, size="1280x720", rate=25)


def _timed(run: Callable[[], R]) -> tuple[float, R]:
    start = time.perf_counter()
    value = run()
    return time.perf_counter() - start, value


@dataclass
class Alternating:
    """Per-round times of ours and the reference; `pair` runs one round, `report` prints the verdict."""

    budget: float
    ours: list[float] = field(default_factory=list)
    reference: list[float] = field(default_factory=list)

    def pair(self, reference: Callable[[], R], ours: Callable[[], T]) -> tuple[R, T]:
        """Time both, ours first on every other round; return (reference's result, ours)."""
        if len(self.ours) % 2:
            ours_s, ours_value = _timed(ours)
            ref_s, ref_value = _timed(reference)
        else:
            ref_s, ref_value = _timed(reference)
            ours_s, ours_value = _timed(ours)
        self.ours.append(ours_s)
        self.reference.append(ref_s)
        return ref_value, ours_value

    def report(self, label: str, reference_label: str) -> None:
        ratio = statistics.median(o / r for o, r in zip(self.ours, self.reference, strict=True))
        print(
            f"{label}: ours median {statistics.median(self.ours):.3f} s, {reference_label} median "
            f"{statistics.median(self.reference):.3f} s, median ratio {ratio:.3f}x (budget {self.budget}x) "
            f"{'within budget' if ratio <= self.budget else 'OVER BUDGET'}"
        )
