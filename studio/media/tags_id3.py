"""Credits in MP3 and WAV as ID3v2.4 frames (WAV: in an `id3 ` chunk).

Everything is written with mutagen: TIT2, TPE1 (one joined string), TCOM, TCOP, WCOP, COMM (and
COMM:Attribution, the TASL lines) and TIPL for people, TXXX:CREDITS_JSON, TXXX:LICENSE and
TXXX:SOURCE_CLIPS for the machine. The remux before it removes any LIST/INFO or bext chunk from a
WAV, since ffprobe ignores ID3 when those exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio.media.tags import HumanFields

_UTF8 = 3


def write_all(path: Path, fields: HumanFields, text: str, *, wav: bool) -> None:
    from mutagen.id3 import COMM, ID3, TCOM, TCOP, TIPL, TIT2, TPE1, TXXX, WCOP

    texts: list[tuple[Any, str]] = [(TIT2, fields.title), (TPE1, fields.artist), (TCOP, fields.copyright)]
    if fields.composer:
        texts.append((TCOM, fields.composer))
    frames: list[Any] = [kind(encoding=_UTF8, text=[value]) for kind, value in texts]
    frames.append(COMM(encoding=_UTF8, lang="eng", desc="", text=[fields.comment]))
    if fields.attribution:
        frames.append(COMM(encoding=_UTF8, lang="eng", desc="Attribution", text=[fields.attribution]))
    frames += [
        TXXX(encoding=_UTF8, desc=desc, text=[value])
        for desc, value in (
            ("CREDITS_JSON", text),
            ("LICENSE", fields.licence),
            ("SOURCE_CLIPS", fields.source_clips),
        )
    ]
    if fields.licence_url:
        frames.append(WCOP(url=fields.licence_url))
    if fields.involved:
        people = [list(pair) for pair in fields.involved]
        frames.append(TIPL(encoding=_UTF8, people=people))
    if wav:
        from mutagen.wave import WAVE

        audio = WAVE(str(path))
        if audio.tags is None:
            audio.add_tags()
        tags: Any = audio.tags
        for frame in frames:
            tags.add(frame)
        audio.save(v2_version=4)
    else:
        tags = ID3()
        for frame in frames:
            tags.add(frame)
        tags.save(str(path), v2_version=4)


def _tags(path: Path, *, wav: bool) -> Any:
    if wav:
        from mutagen.wave import WAVE

        return WAVE(str(path)).tags
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        return ID3(str(path))
    except ID3NoHeaderError:
        return None


def read_text(path: Path, *, wav: bool) -> str | None:
    tags = _tags(path, wav=wav)
    if tags is None:
        return None
    frames = tags.getall("TXXX:CREDITS_JSON")
    if not frames or not frames[0].text:
        return None
    return "\x00".join(str(t) for t in frames[0].text)


def read_human(path: Path, *, wav: bool) -> dict[str, str]:
    tags = _tags(path, wav=wav)
    if tags is None:
        return {}
    found: dict[str, str] = {}
    for key, frame_id in (("title", "TIT2"), ("artist", "TPE1"), ("composer", "TCOM"), ("copyright", "TCOP")):
        frames = tags.getall(frame_id)
        if frames:
            found[key] = "\x00".join(str(t) for t in frames[0].text)
    comments = tags.getall("COMM::eng")
    if comments:
        found["comment"] = "\x00".join(str(t) for t in comments[0].text)
    attribution = tags.getall("COMM:Attribution:eng")
    if attribution:
        found["attribution"] = "\x00".join(str(t) for t in attribution[0].text)
    urls = tags.getall("WCOP")
    if urls:
        found["licence_url"] = str(urls[0].url)
    return found


def expected_human(fields: HumanFields) -> dict[str, str]:
    expected = {"title": fields.title, "artist": fields.artist, "copyright": fields.copyright}
    expected["comment"] = fields.comment
    if fields.attribution:
        expected["attribution"] = fields.attribution
    if fields.composer:
        expected["composer"] = fields.composer
    if fields.licence_url:
        expected["licence_url"] = fields.licence_url
    return expected
