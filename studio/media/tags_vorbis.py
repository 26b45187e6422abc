"""Credits in FLAC, Ogg Vorbis and Opus as Vorbis comments.

ffmpeg writes TITLE, ARTIST, COMPOSER, COPYRIGHT, LICENSE and DESCRIPTION; the per-contributor lines
go into DESCRIPTION, because ffmpeg maps a COMMENT field onto DESCRIPTION anyway and one field reads
better than two. mutagen then adds CREDITS_JSON and SOURCE_CLIPS.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core.errors import MediaError

if TYPE_CHECKING:
    from studio.media.tags import HumanFields


def ffmpeg_tags(fields: HumanFields) -> dict[str, str]:
    tags = {"TITLE": fields.title, "ARTIST": fields.artist}
    if fields.composer:
        tags["COMPOSER"] = fields.composer
    tags["COPYRIGHT"] = fields.copyright
    if fields.licence:
        tags["LICENSE"] = fields.licence
    tags["DESCRIPTION"] = f"{fields.description}\n{fields.comment}" if fields.comment else fields.description
    return tags


def _open(path: Path) -> Any:
    import mutagen

    audio = mutagen.File(str(path))
    if audio is None or not hasattr(audio, "add_tags"):
        raise MediaError(f"{path}: no Vorbis comment block could be found or added")
    return audio


def write_machine(path: Path, fields: HumanFields, text: str) -> None:
    audio = _open(path)
    if audio.tags is None:
        audio.add_tags()
    audio.tags["CREDITS_JSON"] = [text]
    audio.tags["SOURCE_CLIPS"] = [fields.source_clips]
    audio.save()


def read_text(path: Path) -> str | None:
    tags = _open(path).tags
    values = tags.get("CREDITS_JSON") if tags is not None else None
    return values[0] if values else None


def read_human(path: Path) -> dict[str, str]:
    tags = _open(path).tags
    if tags is None:
        return {}
    found: dict[str, str] = {}
    for key in ("TITLE", "ARTIST", "COMPOSER", "COPYRIGHT", "LICENSE", "DESCRIPTION"):
        values = tags.get(key)
        if values:
            found[key.lower()] = "\x00".join(values)
    return found


def expected_human(fields: HumanFields) -> dict[str, str]:
    return {k.lower(): v for k, v in ffmpeg_tags(fields).items()}
