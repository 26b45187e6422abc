"""Waveform peaks: one (min, max) pair per bin, tone vs silence, cache, no-sound error."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from studio.core.errors import MediaError
from studio.media.probe import probe
from studio.media.waveform import peaks, waveform_path
from tests import mediagen


def test_length_follows_duration(clip: Path, tone: Path) -> None:
    for path, sha in ((clip, "aa" * 32), (tone, "bb" * 32)):
        duration = probe(path).duration
        for per_second in (100, 30):
            result = peaks(path, sha, per_second=per_second)
            assert result.dtype == np.int16 and result.shape[1] == 2
            assert abs(len(result) - math.ceil(duration * per_second)) <= 1


def test_tone_and_silence_differ(media_dir: Path, silence: Path) -> None:
    tone = mediagen.make_audio(media_dir / "tone-mono.wav", 1, channels=1)
    loud = peaks(tone, "cc" * 32)
    quiet = peaks(silence, "dd" * 32)
    assert np.all(loud[:, 0] <= loud[:, 1])
    # lavfi's sine is at 1/8 of full scale: about 4096
    assert 3000 < int(np.median(loud[:, 1])) < 5000
    assert -5000 < int(np.median(loud[:, 0])) < -3000
    assert not quiet.any()


def test_matches_a_direct_decode(tone: Path) -> None:
    """Bin by bin against ffmpeg's own 16 kHz mono decode, reduced here independently."""
    pcm = subprocess.run(
        [
            mediagen.ffmpeg(),
            "-loglevel",
            "error",
            "-i",
            str(tone),
            "-ac",
            "1",
            "-ar",
            "16000",
            "-f",
            "s16le",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    samples = np.frombuffer(pcm, dtype="<i2")
    result = peaks(tone, "ee" * 32, per_second=100)
    for i in (0, 10, len(result) - 1):
        window = samples[i * 160 : (i + 1) * 160]
        assert tuple(result[i]) == (window.min(), window.max())


def test_progress(media_dir: Path) -> None:
    long_tone = mediagen.make_audio(media_dir / "tone-20s.flac", 20, channels=1)
    seen: list[float] = []
    peaks(long_tone, "12" * 32, progress=lambda f, _m: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert any(0 < f < 1 for f in seen)


def test_cached_as_npy(tone: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first = peaks(tone, "ff" * 32)
    cached = waveform_path("ff" * 32, 100)
    assert np.array_equal(np.load(cached), first)
    monkeypatch.setenv("STUDIO_FFMPEG", str(tmp_path / "missing-ffmpeg"))
    assert np.array_equal(peaks(tone, "ff" * 32), first)


def test_no_sound(media_dir: Path) -> None:
    mute = mediagen.make_video(media_dir / "mute.mp4", 1, audio=False)
    with pytest.raises(MediaError, match="no sound"):
        peaks(mute, "01" * 32)
