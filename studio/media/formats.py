"""Output formats an export can produce, and a check that the ffmpeg binary can encode them.

One table holds every container's encoder settings, so the renderer, the CLI's --format choices and
the benchmarks agree on them. The ffmpeg shipped with imageio-ffmpeg is a static build whose encoders
and filters vary between releases, so they are read from the binary itself (`-encoders`, `-filters`)
rather than assumed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from studio.core.errors import InvalidInput, MediaError

_CAPS_FOLDER = "ffmpeg-capabilities-v1"


@dataclass(frozen=True, slots=True)
class OutputFormat:
    """A container with its encoders; `video_args` is empty for audio-only formats."""

    name: str
    extension: str
    video_codec: str | None
    video_args: tuple[str, ...]
    audio_codec: str
    audio_args: tuple[str, ...]
    muxer_args: tuple[str, ...] = ()
    sample_rate: int | None = None  # the only rate the audio encoder takes, if it is picky
    muxer: str = ""  # named with -f, so an output whose extension says otherwise still gets this format

    @property
    def has_video(self) -> bool:
        return self.video_codec is not None

    @property
    def encoders(self) -> tuple[str, ...]:
        return tuple(c for c in (self.video_codec, self.audio_codec) if c)

    def codec_args(self) -> list[str]:
        args: list[str] = []
        if self.video_codec:
            args += ["-c:v", self.video_codec, *self.video_args]
        args += ["-c:a", self.audio_codec, *self.audio_args]
        return [*args, *self.muxer_args, *(["-f", self.muxer] if self.muxer else [])]

    def output_sample_rate(self, project_rate: int) -> int:
        return self.sample_rate or project_rate


_H264 = ("-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p")
_AAC = ("-b:a", "192k")

FORMATS: dict[str, OutputFormat] = {
    f.name: f
    for f in (
        OutputFormat("mp4", ".mp4", "libx264", _H264, "aac", _AAC, ("-movflags", "+faststart"), muxer="mp4"),
        OutputFormat(
            "webm",
            ".webm",
            "libvpx-vp9",
            (
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-row-mt",
                "1",
                "-crf",
                "33",
                "-b:v",
                "0",
                "-pix_fmt",
                "yuv420p",
            ),
            "libopus",
            ("-b:a", "160k"),
            sample_rate=48000,
            muxer="webm",
        ),
        OutputFormat("mkv", ".mkv", "libx264", _H264, "aac", _AAC, muxer="matroska"),
        OutputFormat("m4a", ".m4a", None, (), "aac", _AAC, ("-movflags", "+faststart"), muxer="ipod"),
        OutputFormat("mp3", ".mp3", None, (), "libmp3lame", ("-b:a", "192k"), muxer="mp3"),
        # bitexact keeps the WAV muxer from writing a LIST/INFO chunk, which would hide ID3 credits.
        OutputFormat("wav", ".wav", None, (), "pcm_s16le", (), ("-fflags", "+bitexact"), muxer="wav"),
        OutputFormat("flac", ".flac", None, (), "flac", (), muxer="flac"),
        OutputFormat("ogg", ".ogg", None, (), "libvorbis", ("-q:a", "6"), muxer="ogg"),
    )
}
FORMAT_NAMES = tuple(FORMATS)


def get_format(name: str) -> OutputFormat:
    fmt = FORMATS.get(name.lower().lstrip("."))
    if fmt is None:
        raise InvalidInput(f"unknown output format {name!r} (choose one of {', '.join(FORMAT_NAMES)})")
    return fmt


def format_for_path(path: Path, requested: str | None = None) -> OutputFormat:
    """The format named by `requested`, else the one the output's extension implies."""
    if requested:
        return get_format(requested)
    suffix = Path(path).suffix.lower()
    if not suffix:
        raise InvalidInput(f"cannot tell the output format of {path}: give it an extension or --format")
    for fmt in FORMATS.values():
        if fmt.extension == suffix:
            return fmt
    raise InvalidInput(
        f"cannot tell the output format of {path} from {suffix!r}: use --format {'|'.join(FORMAT_NAMES)}"
    )


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What one ffmpeg binary can do, read from its own listings."""

    encoders: frozenset[str]
    filters: frozenset[str]

    def check_format(self, fmt: OutputFormat) -> None:
        missing = [c for c in fmt.encoders if c not in self.encoders]
        if missing:
            raise MediaError(
                f"this ffmpeg cannot write {fmt.name}: encoder(s) {', '.join(missing)} missing "
                "(set STUDIO_FFMPEG to a fuller build)"
            )


@functools.lru_cache(maxsize=4)
def capabilities(exe: str) -> Capabilities:
    """The encoders and filters of the ffmpeg at `exe`, asked once per binary and kept in the cache
    folder (keyed by the binary's path, size and time), so a render does not pay two ffmpeg runs."""
    from studio.core.atomic import atomic_write_text
    from studio.core.paths import cache_dir

    stat = os.stat(exe)
    key = hashlib.sha256(f"{os.path.abspath(exe)}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()
    stored = cache_dir() / _CAPS_FOLDER / f"{key[:32]}.json"
    try:
        doc = json.loads(stored.read_text(encoding="utf-8"))
        return Capabilities(encoders=frozenset(doc["encoders"]), filters=frozenset(doc["filters"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    found = Capabilities(
        encoders=frozenset(_listing(exe, "-encoders")), filters=frozenset(_listing(exe, "-filters"))
    )
    doc = {"encoders": sorted(found.encoders), "filters": sorted(found.filters)}
    with contextlib.suppress(OSError):
        atomic_write_text(stored, json.dumps(doc))
    return found


def _listing(exe: str, flag: str) -> list[str]:
    try:
        out = subprocess.run(
            [exe, "-hide_banner", flag], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise MediaError(f"could not ask {exe} for its {flag[1:]}: {exc}") from exc
    names: list[str] = []
    for line in out.splitlines():
        parts = line.split()
        # Rows look like " V....D libx264  description" (encoders) or " T. drawtext  V->V  ..." (filters).
        if len(parts) >= 3 and parts[1] != "=" and set(parts[0]) <= set("VASFXBDTC.|N"):
            names.append(parts[1])
    return names
