"""Checks on a file about to be written by a render or an export, made before any work starts.

A render must never replace what it reads or what the library owns: one of its inputs (a clip's
file, the timeline file), the library's database or media copies. Replacing an existing file is
allowed when it is of the kind being written (an older render of the same format); a file of another
kind (an .mp3 about to become OTIO JSON) needs `force`, and a read-only file is never replaced.
Names are checked against the file system's 255-byte limit, including the temp and sidecar names.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from studio.core.errors import InvalidInput
from studio.media.ffmpeg import ffmpeg_path

NAME_MAX = 255
"""Bytes in one file name on every common file system (ext4, APFS, NTFS counts UTF-16 units)."""
_TEMP_STEM_BYTES = 48

OTIO = "otio"
_FAMILIES = {
    "mp4": "MP4/M4A",
    "ipod": "MP4/M4A",
    "mov,mp4,m4a,3gp,3g2,mj2": "MP4/M4A",
    "matroska": "Matroska/WebM",
    "webm": "Matroska/WebM",
    "matroska,webm": "Matroska/WebM",
    "mp3": "MP3",
    "wav": "WAV",
    "flac": "FLAC",
    "ogg": "Ogg",
}


def temp_name(output: Path, tag: str) -> Path:
    """A fresh hidden name beside `output` with its extension (ffmpeg picks the muxer from it), short
    enough for any output name: the stem is cut to a few dozen bytes, never stacked."""
    stem = os.fsencode(output.stem)[:_TEMP_STEM_BYTES].decode("utf-8", "ignore")
    return output.with_name(f".{stem}.{tag}-{secrets.token_hex(4)}{output.suffix}")


def check_name_length(path: Path, *, extra: str = "") -> None:
    """InvalidInput when `path`'s name (plus `extra`, e.g. ".credits.json") exceeds NAME_MAX bytes."""
    size = len(os.fsencode(path.name + extra))
    if size > NAME_MAX:
        what = f"{path.name}{extra}" if extra else path.name
        raise InvalidInput(
            f"the file name {what[:40]}… is {size} bytes long; file systems allow {NAME_MAX} "
            f"bytes{' with ' + extra if extra else ''}: choose a shorter name"
        )


def check_output(
    output: Path, *, writes: str, inputs: Mapping[str, str] = {}, force: bool = False, sidecar: str = ""
) -> None:
    """Raise InvalidInput if writing `output` (a file of kind `writes`: a media family name from
    family_of_muxer, or OTIO) would harm something: an input (path -> what it is), the data folder,
    a read-only file, or without `force` a file of another kind. `sidecar` is the suffix of a file
    written beside it (".credits.json"), checked the same way."""
    output = Path(output).absolute()
    check_name_length(output, extra=sidecar)
    targets = [output] + ([output.with_name(output.name + sidecar)] if sidecar else [])
    for target in targets:
        if target.is_dir():
            raise InvalidInput(f"the output {target} is a folder; give a file name")
        _not_an_input(target, inputs)
        _not_in_data_folder(target)
    _check_writable_folder(output.parent)
    if not output.exists():
        return
    info = output.stat()
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput(f"the output {output} exists and is not a regular file")
    if not info.st_mode & 0o222:
        raise InvalidInput(f"the output {output} is read-only; it is left as it is")
    if force or info.st_size == 0:
        return
    found = kind_of(output)
    if found != writes:
        raise InvalidInput(
            f"the output {output} is an existing {found} file and this would replace it with "
            f"{writes}; give --force to replace it, or choose another name"
        )


def keep_mode(new: Path, old: Path) -> None:
    """Give `new` the permissions of `old` (the file it is about to replace), if `old` exists."""
    try:
        mode = stat.S_IMODE(old.stat().st_mode)
    except FileNotFoundError:
        return
    os.chmod(new, mode)


def family_of_muxer(muxer: str) -> str:
    return _FAMILIES.get(muxer, muxer)


def kind_of(path: Path) -> str:
    """What an existing file holds, by its content: a media family, OTIO, a project or 'other'."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return "unreadable"
    if head.lstrip().startswith(b"{"):
        if b"OTIO_SCHEMA" in head:
            return OTIO
        if b'"schema"' in head and b"studio.project" in head:
            return "studio project"
        return "JSON"
    import av

    try:
        with av.open(ffmpeg_path(path)) as container:
            return family_of_muxer(container.format.name)
    except (av.error.FFmpegError, OSError, ValueError):
        return "non-media"


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _not_an_input(target: Path, inputs: Mapping[str, str]) -> None:
    for path, what in inputs.items():
        if _same(target, Path(path)):
            raise InvalidInput(f"the output {target} is {what}, which this reads; choose another file name")


def _not_in_data_folder(target: Path) -> None:
    from studio.core.paths import data_dir

    data = Path(os.path.realpath(data_dir()))
    real = Path(os.path.realpath(target))
    if real.is_relative_to(data) and not real.is_relative_to(data / "demo"):
        raise InvalidInput(
            f"the output {target} is inside the studio's data folder {data}, which holds the library's "
            "database and media copies; choose a file elsewhere"
        )


def _check_writable_folder(folder: Path) -> None:
    """Create the output's folder if needed and prove a file can be made in it, so a read-only or
    missing place is named now rather than by ffmpeg after the work."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"cannot create the output folder {folder}: {exc.strerror or exc}") from None
    probe = folder / f".studio-write-check-{secrets.token_hex(4)}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise InvalidInput(f"cannot write into the output folder {folder}: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(probe)
