"""Waveform peaks for drawing sound on the timeline, cached on disk by media SHA-256.

ffmpeg decodes the sound to mono 16-bit PCM on a pipe and numpy reduces it to a (min, max) pair per
bin as it arrives, so memory stays flat for long files and nothing but the peaks is kept.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from studio.core.atomic import atomic_write_bytes
from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.errors import MediaError
from studio.core.paths import cache_dir
from studio.media.ffmpeg import FfmpegFailed, ffmpeg_path, iter_ffmpeg_stdout

if TYPE_CHECKING:
    import numpy as np

CACHE_VERSION = "v1"
# A display needs the envelope, not the treble: 16 kHz keeps it and halves the decode output.
_ANALYSIS_RATE = 16000
_CHUNK_BYTES = 1 << 18


def waveform_path(sha256: str, per_second: int) -> Path:
    return cache_dir() / "waveforms" / CACHE_VERSION / sha256[:2] / sha256 / f"{per_second}.npy"


def analysis_rate(per_second: int) -> int:
    """The sample rate decoded for `per_second` bins a second: a whole number of samples per bin."""
    return max(1, round(_ANALYSIS_RATE / per_second)) * per_second


def peaks(
    path: Path,
    sha256: str,
    *,
    per_second: int = 100,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """Int16 array of shape (n, 2): the (min, max) sample of the mono mix in each 1/per_second s bin.

    n is ceil(duration * per_second); the last bin may cover a partial span.
    """
    import numpy as np

    if not 1 <= per_second <= 1000:
        raise MediaError(f"waveform resolution must be 1..1000 bins a second, got {per_second}")
    cached = waveform_path(sha256, per_second)
    if cached.is_file():
        stored: np.ndarray = np.load(cached, allow_pickle=False)
        return stored
    rate = analysis_rate(per_second)
    per_bin = rate // per_second
    bin_bytes = per_bin * 2
    chunk = bin_bytes * max(1, _CHUNK_BYTES // bin_bytes)
    args = ["-i", ffmpeg_path(path), "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(rate)]
    args += ["-c:a", "pcm_s16le", "-f", "s16le", "pipe:1"]
    expected_bytes = 0
    if progress is not None:
        from studio.media.probe import probe

        duration = probe(path).duration
        expected_bytes = int(duration * rate * 2) if duration else 0
    parts: list[np.ndarray] = []
    rest = b""
    received = 0
    try:
        for data in iter_ffmpeg_stdout(args, chunk_size=chunk, cancel=cancel):
            received += len(data)
            if progress is not None and expected_bytes:
                progress(min(1.0, received / expected_bytes), "drawing the waveform")
            buf = rest + data if rest else data
            whole = len(buf) - len(buf) % bin_bytes
            if whole:
                block = np.frombuffer(buf, dtype="<i2", count=whole // 2).reshape(-1, per_bin)
                parts.append(np.stack([block.min(axis=1), block.max(axis=1)], axis=1))
            rest = buf[whole:]
    except FfmpegFailed as exc:
        from studio.media.probe import probe

        if not probe(path).has_audio:
            raise MediaError(f"{path} has no sound to draw a waveform from") from exc
        raise
    if len(rest) >= 2:
        tail = np.frombuffer(rest, dtype="<i2", count=len(rest) // 2)
        parts.append(np.array([[tail.min(), tail.max()]], dtype=np.int16))
    result = np.concatenate(parts).astype(np.int16) if parts else np.zeros((0, 2), dtype=np.int16)
    buffer = io.BytesIO()
    np.save(buffer, result, allow_pickle=False)
    atomic_write_bytes(cached, buffer.getvalue())
    if progress is not None:
        progress(1.0, "done")
    return result
