"""The ffmpeg runner: output only on success, progress, prompt cancel, errors that name the input."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from studio.core.cancel import CancelToken
from studio.core.errors import Cancelled, MediaError
from studio.media.ffmpeg import FfmpegFailed, ffmpeg_exe, iter_ffmpeg_stdout, run_ffmpeg
from tests import mediagen

LONG_RENDER = ["-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25:duration=600", "-c:v", "libx264"]
LONG_RENDER += ["-preset", "medium", "-f", "mp4"]


def child_ffmpegs() -> list[int]:
    """Live ffmpeg processes whose parent is this test process (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == os.getpid() and "ffmpeg" in name and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_exe_is_the_bundled_binary_unless_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert ffmpeg_exe() == mediagen.ffmpeg()
    monkeypatch.setenv("STUDIO_FFMPEG", str(tmp_path / "no-ffmpeg"))
    with pytest.raises(MediaError, match="STUDIO_FFMPEG"):
        ffmpeg_exe()


def test_output_appears_only_on_success_with_progress(tmp_path: Path) -> None:
    out = tmp_path / "out" / "tone.wav"
    seen: list[float] = []
    args = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3", "-c:a", "pcm_s16le"]
    assert run_ffmpeg(args, duration=3, progress=lambda f, _m: seen.append(f), output=out) == out
    assert leftovers(out.parent) == ["tone.wav"]
    assert "48000 Hz" in mediagen.ffmpeg_info(out)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_progress_is_reported_while_running(tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    args = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4", "-c:v", "libx264"]
    args += ["-preset", "veryslow", "-f", "mp4"]
    run_ffmpeg(args, duration=4, progress=lambda f, m: seen.append((f, m)), output=tmp_path / "p.mp4")
    fractions = [f for f, _ in seen]
    assert any(0 < f < 1 for f in fractions), seen
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in seen)


def test_cancel_kills_ffmpeg_and_leaves_nothing(tmp_path: Path) -> None:
    token = CancelToken()
    out = tmp_path / "long.mp4"
    started = threading.Event()

    def progress(fraction: float, _message: str) -> None:
        started.set()

    def cancel_soon() -> None:
        started.wait(20)
        token.cancel()

    threading.Thread(target=cancel_soon, daemon=True).start()
    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        run_ffmpeg(LONG_RENDER, duration=600, progress=progress, cancel=token, output=out)
    assert started.is_set()
    assert time.monotonic() - t0 < 20
    assert child_ffmpegs() == []
    assert leftovers(tmp_path) == []


def test_cancel_before_start_runs_nothing(tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_ffmpeg(LONG_RENDER, cancel=token, output=tmp_path / "x.mp4")
    assert leftovers(tmp_path) == []


def test_failure_names_the_input_and_keeps_the_old_output(tmp_path: Path, media_dir: Path) -> None:
    bad = mediagen.make_not_media(media_dir / "broken-input.mp4")
    out = tmp_path / "result.mp4"
    out.write_bytes(b"previous export")
    with pytest.raises(FfmpegFailed) as err:
        run_ffmpeg(["-i", str(bad), "-c", "copy"], output=out)
    assert "broken-input.mp4" in str(err.value)
    assert err.value.returncode != 0
    assert out.read_bytes() == b"previous export"
    assert leftovers(tmp_path) == ["result.mp4"]


def test_failure_midway_leaves_no_partial_file(tmp_path: Path, media_dir: Path) -> None:
    cut = mediagen.make_truncated_mp4(media_dir / "cut-midway.mp4", keep=0.7, faststart=True)
    out = tmp_path / "out.mkv"
    with pytest.raises(FfmpegFailed) as err:
        run_ffmpeg(
            ["-xerror", "-i", str(cut), "-c:v", "libx264", "-preset", "ultrafast", "-f", "matroska"],
            output=out,
        )
    assert "cut-midway.mp4" in str(err.value)
    assert leftovers(tmp_path) == []


def test_stdout_pipe_and_early_stop(tmp_path: Path) -> None:
    args = ["-f", "lavfi", "-i", "sine=sample_rate=8000:duration=1", "-f", "s16le", "-ac", "1", "pipe:1"]
    data = b"".join(iter_ffmpeg_stdout(args, chunk_size=1000))
    assert len(data) == 16000
    long_args = ["-f", "lavfi", "-i", "sine=sample_rate=8000:duration=3600", "-f", "s16le", "pipe:1"]
    chunks = iter_ffmpeg_stdout(long_args, chunk_size=1000)
    next(chunks)
    chunks.close()
    assert child_ffmpegs() == []


def test_stdout_pipe_failure_names_input(media_dir: Path) -> None:
    bad = mediagen.make_not_media(media_dir / "pipe-input.wav")
    with pytest.raises(FfmpegFailed, match=r"pipe-input\.wav"):
        list(iter_ffmpeg_stdout(["-i", str(bad), "-f", "s16le", "pipe:1"]))
