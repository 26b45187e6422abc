"""Locating ffmpeg and running it as a separate process: progress, cancel, clear errors, atomic output.

ffmpeg runs out of process so the UI never freezes and a cancel is a kill, effective at once.
Commands are argument lists, never shell strings, so user text cannot be interpreted by a shell.
"""

from __future__ import annotations

import collections
import contextlib
import os
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import IO

from studio.core.atomic import fsync_dir
from studio.core.cancel import CancelToken, ProgressCallback
from studio.core.errors import Cancelled, MediaError

_POLL_S = 0.05
_TAIL_LINES = 40
_MESSAGE_LINES = 6


class FfmpegFailed(MediaError):
    """ffmpeg exited with an error; the message names the input and quotes ffmpeg's last words."""

    def __init__(self, message: str, returncode: int, stderr_tail: str) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr_tail = stderr_tail


def ffmpeg_exe() -> str:
    """The ffmpeg binary: $STUDIO_FFMPEG if set, else the one shipped with imageio-ffmpeg."""
    override = os.environ.get("STUDIO_FFMPEG")
    if override:
        path = Path(override).expanduser()
        if not path.is_file() or not os.access(path, os.X_OK):
            raise MediaError(f"STUDIO_FFMPEG is set to {override}, which is not an executable file")
        return str(path)
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as exc:
        raise MediaError(
            f"ffmpeg was not found ({exc}); reinstall imageio-ffmpeg or set STUDIO_FFMPEG to an ffmpeg binary"
        ) from exc


def ffmpeg_path(path: Path | str) -> str:
    """`path` as ffmpeg (and PyAV) must be given it: absolute, so a relative name such as
    `concat:a.flac` or `file:b.m4a` is read as the file it names, never as an ffmpeg protocol."""
    return os.path.abspath(os.fspath(path))


def input_names(args: Sequence[str]) -> list[str]:
    """The values given to -i, for error messages."""
    return [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "-i"]


def run_ffmpeg(
    args: Sequence[str],
    *,
    duration: Fraction | float | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    output: Path | None = None,
) -> Path | None:
    """Run `ffmpeg <args> [temp output]`, reporting progress and honouring cancel.

    With `output`, the caller leaves the output path out of `args`: ffmpeg writes a temp file beside
    `output` (same extension, so ffmpeg picks the same muxer) that is renamed over `output` only on
    success, so nothing partial ever sits at the output path. `duration` (seconds of output expected)
    turns ffmpeg's out_time into a fraction for `progress`. Raises Cancelled or FfmpegFailed.
    """
    exe = ffmpeg_exe()
    if cancel is not None:
        cancel.raise_if_cancelled()
    cmd = [exe, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y", "-progress", "pipe:1"]
    cmd += [str(a) for a in args]
    tmp: Path | None = None
    if output is not None:
        output = Path(output)
        tmp = _temp_sibling(output)
        cmd.append(str(tmp))
    try:
        _run(cmd, input_names(args), duration, progress, cancel)
        if output is not None and tmp is not None:
            _publish(tmp, output, input_names(args))
    finally:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    if progress is not None:
        progress(1.0, "done")
    return output


def iter_ffmpeg_stdout(
    args: Sequence[str], *, chunk_size: int = 1 << 20, cancel: CancelToken | None = None
) -> Iterator[bytes]:
    """Run `ffmpeg <args>` whose output goes to pipe:1 and yield stdout in chunks of `chunk_size` bytes.

    Stopping the iteration early kills ffmpeg. Raises Cancelled or FfmpegFailed.
    """
    exe = ffmpeg_exe()
    if cancel is not None:
        cancel.raise_if_cancelled()
    names = input_names(args)
    cmd = [exe, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", *[str(a) for a in args]]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
    err_thread = _reader(proc.stderr, tail.append)
    try:
        while True:
            if cancel is not None and cancel.cancelled:
                _kill(proc)
                raise Cancelled(f"cancelled: ffmpeg on {_describe(names)} was stopped")
            chunk = proc.stdout.read(chunk_size)
            if not chunk:
                break
            yield chunk
        returncode = proc.wait()
        err_thread.join()
        if returncode != 0:
            raise _failure(names, returncode, tail)
    finally:
        if proc.poll() is None:
            _kill(proc)
        err_thread.join()
        proc.stdout.close()
        proc.stderr.close()


def _run(
    cmd: list[str],
    names: list[str],
    duration: Fraction | float | None,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> None:
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
    out_time_us: list[int] = []
    err_thread = _reader(proc.stderr, tail.append)
    out_thread = _reader(proc.stdout, lambda line: _parse_progress(line, out_time_us))
    total_us = float(duration) * 1_000_000 if duration else 0.0
    reported = -1
    # A waiter thread wakes the loop the moment ffmpeg exits instead of at the next poll.
    exited = threading.Event()

    def wait_for_exit() -> None:
        proc.wait()
        exited.set()

    waiter = threading.Thread(target=wait_for_exit, name="ffmpeg-wait", daemon=True)
    waiter.start()
    try:
        while True:
            if exited.wait(_POLL_S):
                returncode = proc.wait()
                break
            if cancel is not None and cancel.cancelled:
                _kill(proc)
                raise Cancelled(f"cancelled: ffmpeg on {_describe(names)} was stopped")
            if progress is not None and total_us > 0 and out_time_us and out_time_us[-1] != reported:
                reported = out_time_us[-1]
                fraction = min(1.0, max(0.0, reported / total_us))
                progress(fraction, f"{reported / 1e6:.1f} s of {total_us / 1e6:.1f} s")
    finally:
        if proc.poll() is None:
            _kill(proc)
        waiter.join()
        out_thread.join()
        err_thread.join()
        proc.stdout.close()
        proc.stderr.close()
    if returncode != 0:
        raise _failure(names, returncode, tail)


def _parse_progress(line: str, out_time_us: list[int]) -> None:
    key, _, value = line.partition("=")
    if key == "out_time_us" and value.lstrip("-").isdigit():
        if out_time_us:
            out_time_us[0] = int(value)
        else:
            out_time_us.append(int(value))


def _reader(stream: IO[bytes], sink: Callable[[str], None]) -> threading.Thread:
    """Drain a pipe line by line on a thread, so ffmpeg never blocks on a full pipe."""

    def drain() -> None:
        for raw in stream:
            sink(raw.decode("utf-8", "replace").rstrip("\r\n"))

    thread = threading.Thread(target=drain, name="ffmpeg-pipe", daemon=True)
    thread.start()
    return thread


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    proc.wait()


def _describe(names: list[str]) -> str:
    return ", ".join(names) if names else "generated input"


def _failure(names: list[str], returncode: int, tail: collections.deque[str]) -> FfmpegFailed:
    lines = [line.strip() for line in tail if line.strip()]
    detail = " | ".join(lines[-_MESSAGE_LINES:]) or f"exit status {returncode}"
    return FfmpegFailed(f"ffmpeg failed on {_describe(names)}: {detail}", returncode, "\n".join(lines))


def _temp_sibling(output: Path) -> Path:
    """A fresh hidden name beside `output` with its extension. ffmpeg creates the file itself, so it
    gets the user's normal permissions (a mkstemp file would stay private, 0600)."""
    from studio.media.output_guard import temp_name

    output.parent.mkdir(parents=True, exist_ok=True)
    return temp_name(output, "tmp")


def _publish(tmp: Path, output: Path, names: list[str]) -> None:
    """fsync the finished temp file and rename it over the output."""
    if tmp.stat().st_size == 0:
        raise MediaError(f"ffmpeg wrote nothing for {output.name} from {_describe(names)}")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, output)
    fsync_dir(output.parent)
