"""Test media made with the real ffmpeg binary from lavfi sources, plus readers that ask ffmpeg itself.

Every make_* function takes the output path first and returns it. The path is the cache key: if the
file already exists it is returned untouched, so a session-scoped folder makes each file once.
Files are written to a temp name and renamed, so an interrupted run never leaves a half file behind.
Codecs follow the extension (see _VIDEO_CODECS / _AUDIO_CODECS) unless given.

    from tests import mediagen
    clip = mediagen.make_video(media_dir / "clip.mp4", 2)
    tone = mediagen.make_audio(media_dir / "tone.wav", 1, sample_rate=44100, channels=1)
    mediagen.decoded_md5(clip, "a")          # md5 of the decoded sound, from ffmpeg's md5 muxer
    mediagen.ffmetadata(clip)                # global tags as ffmpeg reads them
    mediagen.ffmpeg_info(clip)               # ffmpeg's own stream description (stderr of `ffmpeg -i`)
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import imageio_ffmpeg

# extension -> (video encoder, audio encoder, extra muxer args)
_VIDEO_CODECS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    ".mp4": ("libx264", "aac", ()),
    ".mov": ("libx264", "aac", ()),
    ".m4v": ("libx264", "aac", ()),
    ".mkv": ("libx264", "aac", ()),
    ".webm": ("libvpx-vp9", "libopus", ()),
}
# extension -> (audio encoder, extra args)
_AUDIO_CODECS: dict[str, tuple[str, tuple[str, ...]]] = {
    ".wav": ("pcm_s16le", ()),
    ".mp3": ("libmp3lame", ("-b:a", "128k")),
    ".flac": ("flac", ()),
    ".ogg": ("libvorbis", ()),
    ".oga": ("libvorbis", ()),
    ".opus": ("libopus", ()),
    ".m4a": ("aac", ()),
    ".mka": ("flac", ()),
}
_FAST_VIDEO = {
    "libx264": ("-preset", "ultrafast"),
    "libvpx-vp9": ("-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"),
}


def ffmpeg() -> str:
    """The ffmpeg binary the tests trust (imageio-ffmpeg's; there is no system ffmpeg/ffprobe)."""
    path: str = imageio_ffmpeg.get_ffmpeg_exe()
    return path


def run(args: Sequence[str | os.PathLike[str]]) -> subprocess.CompletedProcess[str]:
    """Run ffmpeg with `args`; raise with its stderr if it fails."""
    cmd = [ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr}")
    return done


def make_video(
    path: Path,
    seconds: float = 2,
    *,
    size: str = "320x240",
    rate: int | str = 25,
    audio: bool = True,
    sample_rate: int = 48000,
    channels: int = 2,
    vcodec: str | None = None,
    acodec: str | None = None,
    pix_fmt: str = "yuv420p",
    frequency: int = 440,
    extra: Sequence[str] = (),
) -> Path:
    """A moving test pattern with a sine tone, `seconds` long (testsrc2; testsrc for odd sizes,
    which testsrc2 rounds down to even)."""
    path = Path(path)
    if path.exists():
        return path
    default_v, default_a, mux = _VIDEO_CODECS.get(path.suffix.lower(), ("libx264", "aac", ()))
    vcodec = vcodec or default_v
    source = "testsrc" if any(int(n) % 2 for n in size.split("x")) else "testsrc2"
    args: list[str] = ["-f", "lavfi", "-i", f"{source}=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", _sine(seconds, sample_rate, frequency)]
    args += ["-map", "0:v"]
    args += ["-c:v", vcodec, *_FAST_VIDEO.get(vcodec, ()), "-pix_fmt", pix_fmt]
    if audio:
        args += ["-map", "1:a", "-c:a", acodec or default_a, "-ac", str(channels), "-ar", str(sample_rate)]
    args += [*mux, *extra]
    return _write(path, args)


def make_audio(
    path: Path,
    seconds: float = 2,
    *,
    sample_rate: int = 48000,
    channels: int = 2,
    codec: str | None = None,
    frequency: int = 440,
    silent: bool = False,
    extra: Sequence[str] = (),
) -> Path:
    """A sine tone (or digital silence with silent=True), `seconds` long; codec from the extension."""
    path = Path(path)
    if path.exists():
        return path
    default_codec, codec_args = _AUDIO_CODECS.get(path.suffix.lower(), ("pcm_s16le", ()))
    source = (
        f"anullsrc=sample_rate={sample_rate}:channel_layout=mono:duration={seconds}"
        if silent
        else _sine(seconds, sample_rate, frequency)
    )
    args = ["-f", "lavfi", "-i", source, "-c:a", codec or default_codec, *codec_args]
    args += ["-ac", str(channels), "-ar", str(sample_rate), *extra]
    return _write(path, args)


def make_image(path: Path, size: str = "320x240") -> Path:
    """One testsrc2 frame as a still image (png, jpg, webp ... from the extension)."""
    path = Path(path)
    if path.exists():
        return path
    return _write(path, ["-f", "lavfi", "-i", f"testsrc2=size={size}", "-frames:v", "1", "-update", "1"])


def make_vfr_video(path: Path, seconds: float = 3) -> Path:
    """Variable frame rate: 30 fps for the first second, then every third frame (10 fps)."""
    path = Path(path)
    if path.exists():
        return path
    args = ["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=30:duration={seconds}"]
    args += ["-vf", r"select='lt(t\,1)+not(mod(n\,3))'", "-fps_mode", "vfr"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    return _write(path, args)


def make_rotated_video(path: Path, rotation: int = 90, seconds: float = 1) -> Path:
    """A 320x240 clip carrying a display matrix (counter-clockwise `rotation`, as a phone writes it),
    set by ffmpeg's -display_rotation on a stream copy."""
    path = Path(path)
    if path.exists():
        return path
    plain = make_video(path.with_name(f".{path.stem}.plain{path.suffix}"), seconds)
    return _write(path, ["-display_rotation", str(rotation), "-i", plain, "-c", "copy"])


def make_odd_size_video(path: Path, seconds: float = 1, size: str = "853x480") -> Path:
    """An odd-width clip (853x480). 4:2:0 cannot hold odd sizes (x264 would crop to 852), so 4:4:4."""
    return make_video(path, seconds, size=size, pix_fmt="yuv444p")


def make_truncated_mp4(path: Path, keep: float = 0.5, *, faststart: bool = False) -> Path:
    """An MP4 cut short, keeping the first `keep` of its bytes. Without faststart the index (moov)
    sits at the end, as cameras write it, and is lost; with it the index survives but points past
    the end of the file."""
    path = Path(path)
    if path.exists():
        return path
    extra = ("-movflags", "+faststart") if faststart else ()
    whole = make_video(path.with_name(f".{path.stem}.whole.mp4"), 2, extra=extra)
    data = whole.read_bytes()
    _atomic_bytes(path, data[: int(len(data) * keep)])
    return path


def make_not_media(path: Path) -> Path:
    """A text file with a media extension, as when a user picks the wrong file."""
    path = Path(path)
    if not path.exists():
        _atomic_bytes(path, b"These are meeting notes, not a video.\n" * 40)
    return path


def decoded_md5(path: Path, what: str = "a") -> str:
    """MD5 of the decoded audio ("a") or video ("v") as ffmpeg's md5 muxer computes it."""
    done = run(["-i", path, "-map", f"0:{what}", "-f", "md5", "-"])
    match = re.search(r"MD5=([0-9a-f]{32})", done.stdout)
    if not match:
        raise RuntimeError(f"no MD5 in ffmpeg output for {path}: {done.stdout!r}")
    return match.group(1)


def ffmetadata(path: Path) -> dict[str, str]:
    """Global tags as ffmpeg reads them (`ffmpeg -i f -f ffmetadata -`), keys lowercased."""
    text = run(["-i", path, "-f", "ffmetadata", "-"]).stdout
    tags: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith(";") or line.startswith("[") or not line:
            if line.startswith("["):
                break
            continue
        while (len(line) - len(line.rstrip("\\"))) % 2 == 1:
            line = line[:-1] + "\n" + next(lines, "")
        key, _, value = _split_unescaped(line)
        tags[_unescape(key).lower()] = _unescape(value)
    return tags


def ffmpeg_info(path: Path) -> str:
    """ffmpeg's human description of the input (what ffprobe would print), from `ffmpeg -i path`."""
    done = subprocess.run(
        [ffmpeg(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True,
        text=True,
        errors="replace",
    )
    return done.stderr


def _sine(seconds: float, sample_rate: int, frequency: int) -> str:
    return f"sine=frequency={frequency}:sample_rate={sample_rate}:duration={seconds}"


def _write(path: Path, args: Sequence[str | os.PathLike[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.part{os.getpid()}{path.suffix}")
    try:
        run([*args, tmp])
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _atomic_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _split_unescaped(line: str) -> tuple[str, str, str]:
    escaped = False
    for i, ch in enumerate(line):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "=":
            return line[:i], "=", line[i + 1 :]
    return line, "", ""


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)
