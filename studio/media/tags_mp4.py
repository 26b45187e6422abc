"""Credits in MP4 / M4A / MOV: iTunes-style items for people, freeform atoms for the machine block.

ffmpeg's mov muxer writes title, artist, composer, copyright, comment and description (without
use_metadata_tags, so every player reads them); in QuickTime (.mov) mode it drops composer and
description, so those two are added with mutagen there, next to the freeform
`----:com.apple.iTunes:CREDITS_JSON`, `LICENSE` and `SOURCE_CLIPS` atoms.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from studio.core.errors import MediaError
from studio.media.ffmpeg import ffmpeg_path

if TYPE_CHECKING:
    from studio.media.tags import HumanFields

FREEFORM = "----:com.apple.iTunes:"


def ffmpeg_tags(fields: HumanFields) -> dict[str, str]:
    tags = {"title": fields.title, "artist": fields.artist, "copyright": fields.copyright}
    if fields.composer:
        tags["composer"] = fields.composer
    tags["comment"] = fields.comment
    tags["description"] = fields.description
    return tags


def write_machine(path: Path, fields: HumanFields, text: str, *, mov: bool) -> None:
    from mutagen.mp4 import MP4, AtomDataType, MP4FreeForm

    audio = MP4(str(path))
    if audio.tags is None:
        audio.add_tags()
    tags = audio.tags
    assert tags is not None
    for name, value in (
        ("CREDITS_JSON", text),
        ("LICENSE", fields.licence),
        ("SOURCE_CLIPS", fields.source_clips),
    ):
        tags[FREEFORM + name] = [MP4FreeForm(value.encode("utf-8"), dataformat=AtomDataType.UTF8)]
    if mov:
        if fields.composer:
            tags["©wrt"] = [fields.composer]
        tags["desc"] = [fields.description]
    audio.save()


def read_text(path: Path) -> str | None:
    from mutagen.mp4 import MP4

    tags = MP4(str(path)).tags
    values = tags.get(FREEFORM + "CREDITS_JSON") if tags is not None else None
    if not values:
        return None
    try:
        return bytes(values[0]).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MediaError(f"{path} carries a malformed CREDITS_JSON tag (not UTF-8)") from exc


def read_human(path: Path) -> dict[str, str]:
    """Read back through ffmpeg's mov demuxer, which merges QuickTime user data and iTunes items."""
    import av

    with av.open(ffmpeg_path(path), metadata_errors="replace") as container:
        meta = {k.lower(): v for k, v in container.metadata.items()}
    keys = ("title", "artist", "composer", "copyright", "comment", "description")
    return {k: meta[k] for k in keys if k in meta}


def expected_human(fields: HumanFields) -> dict[str, str]:
    return ffmpeg_tags(fields)
