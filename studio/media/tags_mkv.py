"""Credits in Matroska and WebM as global tags.

mutagen cannot write Matroska, so ffmpeg's -metadata writes every field, human and machine:
TITLE (the segment title), ARTIST, COMPOSER, COPYRIGHT, LICENSE, COMMENT, DESCRIPTION, CREDITS_JSON
and SOURCE_CLIPS. They are read back through ffmpeg's Matroska demuxer (PyAV).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from studio.media.ffmpeg import ffmpeg_path

if TYPE_CHECKING:
    from studio.media.tags import HumanFields

_HUMAN = ("title", "artist", "composer", "copyright", "license", "comment", "description")


def ffmpeg_tags(fields: HumanFields, text: str) -> dict[str, str]:
    tags = expected_human(fields)
    tags["CREDITS_JSON"] = text
    tags["SOURCE_CLIPS"] = fields.source_clips
    return tags


def _metadata(path: Path) -> dict[str, str]:
    import av

    with av.open(ffmpeg_path(path), metadata_errors="replace") as container:
        return {k.lower(): v for k, v in container.metadata.items()}


def read_text(path: Path) -> str | None:
    return _metadata(path).get("credits_json")


def read_human(path: Path) -> dict[str, str]:
    meta = _metadata(path)
    return {k: meta[k] for k in _HUMAN if k in meta}


def expected_human(fields: HumanFields) -> dict[str, str]:
    tags = {"title": fields.title, "artist": fields.artist}
    if fields.composer:
        tags["composer"] = fields.composer
    tags["copyright"] = fields.copyright
    if fields.licence:
        tags["license"] = fields.licence
    tags["comment"] = fields.comment
    tags["description"] = fields.description
    return tags
