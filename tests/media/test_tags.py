"""Credits embedding round trips in every container, read back with ffmpeg, mutagen and exiftool."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from studio.core.cancel import CancelToken
from studio.core.errors import Cancelled, InvalidInput, MediaError
from studio.media.tags import (
    credits_json,
    credits_sidecar_path,
    embed_credits,
    read_credits,
    sanitize,
    verify_embedded,
    write_sidecar,
)
from tests import mediagen
from tests.deps import missing_dependency

BLOCK = {
    "schema": "studio-credits/1",
    "work": {
        "id": "w-1",
        "title": 'Night "Market"; 夜市\r\nremix\x00',
        "licence": "CC-BY-SA-4.0",
        "licence_url": "https://creativecommons.org/licenses/by-sa/4.0/",
        "exported": "2025-06-01T12:00:00Z",
        "duration_s": 1.0,
    },
    "contributors": [
        {"id": "c1", "name": 'Ann "The Lens"; O\'Neil', "roles": ["camera", "editor"], "share_bp": 2500},
        {"id": "c2", "name": "Борис 李", "roles": ["music"], "share_bp": 5000},
        {"id": "c3", "name": "Zoë\r\nLine", "roles": ["sound"], "share_bp": 2500},
    ],
    "sources": [
        {
            "clip": "a" * 64,
            "title": "Rain",
            "kind": "video",
            "owner": "c1",
            "licence": "CC-BY-4.0",
            "used_s": 0.5,
            "via": [],
        },
        {
            "clip": "b" * 64,
            "title": "Bells",
            "kind": "audio",
            "owner": "c2",
            "licence": "CC0-1.0",
            "used_s": 1.0,
            "via": ["c" * 64],
        },
    ],
    "share_method": "weighted-time/1",
    "share_params": {"pools": {"picture": 4500, "sound": 4500, "editing": 1000}},
}
# What the architecture asks the human-readable tags to say for BLOCK (share order, sanitised text).
TITLE = 'Night "Market"; 夜市\nremix'
ARTIST = 'Борис 李; Ann "The Lens"; O\'Neil; Zoë\nLine'
COMPOSER = "Борис 李"
COPYRIGHT = '© 2025 Борис 李, Ann "The Lens"; O\'Neil, Zoë\nLine — CC-BY-SA-4.0'
COMMENT = 'Борис 李 — music (50 %)\nAnn "The Lens"; O\'Neil — camera, editor (25 %)\nZoë\nLine — sound (25 %)'
LICENCE = "CC-BY-SA-4.0"
SOURCE_CLIPS = ["a" * 64, "b" * 64]

VIDEO = ["mp4", "mov", "mkv", "webm"]
AUDIO = ["m4a", "mp3", "wav", "flac", "ogg", "opus"]
EXIFTOOL = shutil.which("exiftool")


def make_source(media_dir: Path, ext: str) -> Path:
    if ext in VIDEO:
        return mediagen.make_video(media_dir / f"src.{ext}", 1, size="160x120")
    return mediagen.make_audio(media_dir / f"src.{ext}", 1)


def md5s(path: Path, ext: str) -> tuple[str, ...]:
    streams = ("v", "a") if ext in VIDEO else ("a",)
    return tuple(mediagen.decoded_md5(path, s) for s in streams)


@pytest.fixture()
def embedded(request: pytest.FixtureRequest, media_dir: Path, copy_of) -> tuple[Path, Path, str]:
    ext = request.param
    source = make_source(media_dir, ext)
    target = copy_of(source, f"piece.{ext}")
    embed_credits(target, BLOCK)
    return source, target, ext


ALL = pytest.mark.parametrize("embedded", VIDEO + AUDIO, indirect=True)


@ALL
def test_round_trip_keeps_decoded_media(embedded: tuple[Path, Path, str]) -> None:
    source, target, ext = embedded
    assert read_credits(target) == BLOCK
    verify_embedded(target, BLOCK)
    assert md5s(target, ext) == md5s(source, ext)
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


# ffmpeg reports Ogg comments per stream, not as global tags; Ogg and Opus are read with mutagen below.
@pytest.mark.parametrize("embedded", [e for e in VIDEO + AUDIO if e not in ("ogg", "opus")], indirect=True)
def test_human_fields_as_ffmpeg_reads_them(embedded: tuple[Path, Path, str]) -> None:
    _, target, ext = embedded
    tags = mediagen.ffmetadata(target)
    assert tags["title"] == TITLE
    assert tags["artist"] == ARTIST
    assert tags["copyright"] == COPYRIGHT
    assert tags["composer"] == COMPOSER
    if ext == "flac":
        assert COMMENT in tags["comment"]  # ffmpeg shows Vorbis DESCRIPTION as "comment"
    else:
        assert tags["comment"] == COMMENT
    if ext in ("mp4", "m4a", "mov", "mkv", "webm"):
        assert LICENCE in tags["description"] and "2 source clips" in tags["description"]
    assert json.loads(tags["credits_json"]) == BLOCK
    assert json.loads(tags["source_clips"]) == SOURCE_CLIPS
    assert tags["license"] == LICENCE


@pytest.mark.parametrize("embedded", ["mp4", "m4a", "mov"], indirect=True)
def test_mp4_items_with_mutagen(embedded: tuple[Path, Path, str]) -> None:
    from mutagen.mp4 import MP4

    _, target, ext = embedded
    tags = MP4(str(target)).tags
    free = "----:com.apple.iTunes:"
    assert json.loads(bytes(tags[free + "CREDITS_JSON"][0]).decode()) == BLOCK
    assert bytes(tags[free + "LICENSE"][0]).decode() == LICENCE
    assert json.loads(bytes(tags[free + "SOURCE_CLIPS"][0]).decode()) == SOURCE_CLIPS
    assert tags["©wrt"] == [COMPOSER]
    if ext != "mov":  # QuickTime keeps these in its own user data, read above through ffmpeg
        assert tags["©nam"] == [TITLE] and tags["©ART"] == [ARTIST] and tags["cprt"] == [COPYRIGHT]
        assert tags["©cmt"] == [COMMENT]


@pytest.mark.parametrize("embedded", ["mp3", "wav"], indirect=True)
def test_id3_frames_with_mutagen(embedded: tuple[Path, Path, str]) -> None:
    import mutagen

    _, target, ext = embedded
    tags = mutagen.File(str(target)).tags
    assert tags.version[:2] == (2, 4)
    assert tags["TIT2"].text == [TITLE] and tags["TPE1"].text == [ARTIST]
    assert tags["TCOM"].text == [COMPOSER] and tags["TCOP"].text == [COPYRIGHT]
    assert tags["WCOP"].url == BLOCK["work"]["licence_url"]
    assert tags.getall("COMM")[0].text == [COMMENT]
    people = tags["TIPL"].people
    assert ["music", "Борис 李"] in people and ["editor", 'Ann "The Lens"; O\'Neil'] in people
    assert json.loads(tags["TXXX:CREDITS_JSON"].text[0]) == BLOCK
    assert tags["TXXX:LICENSE"].text == [LICENCE]
    assert json.loads(tags["TXXX:SOURCE_CLIPS"].text[0]) == SOURCE_CLIPS
    if ext == "wav":
        chunks = riff_chunks(target)
        assert b"id3 " in chunks
        assert b"LIST" not in chunks and b"bext" not in chunks


def riff_chunks(path: Path) -> list[bytes]:
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    found, pos = [], 12
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        found.append(data[pos : pos + 4])
        pos += 8 + size + (size & 1)
    return found


@pytest.mark.parametrize("embedded", ["flac", "ogg", "opus"], indirect=True)
def test_vorbis_comments_with_mutagen(embedded: tuple[Path, Path, str]) -> None:
    import mutagen

    _, target, _ = embedded
    tags = mutagen.File(str(target)).tags
    assert tags["TITLE"] == [TITLE] and tags["ARTIST"] == [ARTIST]
    assert tags["COMPOSER"] == [COMPOSER] and tags["COPYRIGHT"] == [COPYRIGHT]
    assert tags["LICENSE"] == [LICENCE]
    (description,) = tags["DESCRIPTION"]
    assert COMMENT in description and LICENCE in description
    assert json.loads(tags["CREDITS_JSON"][0]) == BLOCK
    assert json.loads(tags["SOURCE_CLIPS"][0]) == SOURCE_CLIPS


@ALL
def test_exiftool_reads_the_credits(embedded: tuple[Path, Path, str]) -> None:
    if EXIFTOOL is None:
        missing_dependency("exiftool is not on PATH here (CI installs it)")
    _, target, _ = embedded
    out = subprocess.run(
        [EXIFTOOL, "-j", "-Title", "-Artist", "-Copyright", "-Composer", str(target)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (found,) = json.loads(out)
    assert found["Title"] == TITLE
    assert found["Artist"] == ARTIST
    assert found["Copyright"] == COPYRIGHT
    assert found["Composer"] == COMPOSER
    everything = subprocess.run(
        [EXIFTOOL, "-j", "-a", "-u", "-b", "-G1", str(target)], capture_output=True, text=True, check=True
    ).stdout
    values = [_exif_text(v) for v in json.loads(everything)[0].values() if isinstance(v, str)]
    compact = json.dumps(BLOCK, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert any(compact in v for v in values)


def _exif_text(value: str) -> str:
    if value.startswith("base64:"):
        return base64.b64decode(value[7:]).decode("utf-8", "replace")
    return value


def test_no_credits_gives_none(clip: Path, tone: Path) -> None:
    assert read_credits(clip) is None
    assert read_credits(tone) is None


def test_read_rejects_non_media(media_dir: Path) -> None:
    path = mediagen.make_not_media(media_dir / "memo.mp3")
    with pytest.raises(MediaError, match=r"memo\.mp3"):
        read_credits(path)


def _bad_mp3(path: Path, text: str) -> None:
    from mutagen.id3 import ID3, TXXX

    tags = ID3()
    tags.add(TXXX(encoding=3, desc="CREDITS_JSON", text=[text]))
    tags.save(str(path))


def _bad_mp4(path: Path, text: str) -> None:
    from mutagen.mp4 import MP4, MP4FreeForm

    audio = MP4(str(path))
    if audio.tags is None:
        audio.add_tags()
    audio.tags["----:com.apple.iTunes:CREDITS_JSON"] = [MP4FreeForm(text.encode())]
    audio.save()


def _bad_flac(path: Path, text: str) -> None:
    from mutagen.flac import FLAC

    audio = FLAC(str(path))
    audio["CREDITS_JSON"] = [text]
    audio.save()


def _bad_mkv(path: Path, text: str) -> None:
    tmp = path.with_name("tmp-" + path.name)
    mediagen.run(["-i", path, "-c", "copy", "-metadata", f"CREDITS_JSON={text}", tmp])
    os.replace(tmp, path)


@pytest.mark.parametrize(
    ("ext", "spoil"), [("mp3", _bad_mp3), ("m4a", _bad_mp4), ("flac", _bad_flac), ("mkv", _bad_mkv)]
)
@pytest.mark.parametrize(
    "text", ['{"schema": "studio-credits/1", "work": ', "[1, 2]", '{"schema": "other/9"}']
)
def test_malformed_credits_json_names_the_file(media_dir: Path, copy_of, ext: str, spoil, text: str) -> None:
    target = copy_of(make_source(media_dir, ext), f"spoilt.{ext}")
    spoil(target, text)
    with pytest.raises(MediaError) as err:
        read_credits(target)
    assert str(target) in str(err.value) and "CREDITS_JSON" in str(err.value)


@pytest.mark.parametrize("ext", ["mp3", "ogg", "mkv", "mp4"])
def test_embedding_again_replaces_the_credits(media_dir: Path, copy_of, ext: str) -> None:
    import mutagen

    target = copy_of(make_source(media_dir, ext), f"again.{ext}")
    embed_credits(target, BLOCK)
    second = copy.deepcopy(BLOCK)
    second["work"]["title"] = "Second cut"
    second["contributors"] = [{"id": "d", "name": "Dee", "roles": ["editor"], "share_bp": 10000}]
    embed_credits(target, second)
    assert read_credits(target) == second
    verify_embedded(target, second)
    if ext in ("mp3", "ogg"):
        tags = mutagen.File(str(target)).tags
        key = "TXXX:CREDITS_JSON" if ext == "mp3" else "CREDITS_JSON"
        values = tags[key].text if ext == "mp3" else tags[key]
        assert len(values) == 1
    assert mediagen.ffmetadata(target).get("artist", "Dee") == "Dee"


def test_verify_detects_a_mismatch(media_dir: Path, copy_of) -> None:
    target = copy_of(make_source(media_dir, "flac"), "check.flac")
    embed_credits(target, BLOCK)
    other = copy.deepcopy(BLOCK)
    other["contributors"][0]["share_bp"], other["contributors"][1]["share_bp"] = 5000, 2500
    with pytest.raises(MediaError, match="differ"):
        verify_embedded(target, other)


def test_failed_embed_leaves_the_file_as_it_was(media_dir: Path, copy_of) -> None:
    target = copy_of(make_source(media_dir, "mp4"), "keep.mp4")
    before = target.read_bytes()
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        embed_credits(target, BLOCK, cancel=token)
    bad = copy.deepcopy(BLOCK)
    bad["contributors"][0]["share_bp"] = 1
    with pytest.raises(InvalidInput, match="10000"):
        embed_credits(target, bad)
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["keep.mp4"]


def test_container_without_credits_support(media_dir: Path, copy_of) -> None:
    target = copy_of(mediagen.make_video(media_dir / "old.avi", 1, acodec="libmp3lame", vcodec="mpeg4"))
    before = target.read_bytes()
    with pytest.raises(MediaError, match="cannot carry credits"):
        embed_credits(target, BLOCK)
    assert target.read_bytes() == before
    assert read_credits(target) is None


def test_permissions_are_kept(media_dir: Path, copy_of) -> None:
    target = copy_of(make_source(media_dir, "opus"), "perm.opus")
    target.chmod(0o640)
    embed_credits(target, BLOCK)
    assert target.stat().st_mode & 0o777 == 0o640


def test_sidecar(media_dir: Path, copy_of) -> None:
    target = copy_of(make_source(media_dir, "webm"), "piece.webm")
    embed_credits(target, BLOCK)
    side = write_sidecar(target, BLOCK)
    assert side == credits_sidecar_path(target) == target.with_name("piece.webm.credits.json")
    doc = json.loads(side.read_text("utf-8"))
    assert doc.pop("export_sha256") == hashlib.sha256(target.read_bytes()).hexdigest()
    assert doc == BLOCK
    assert sorted(p.name for p in target.parent.iterdir()) == ["piece.webm", "piece.webm.credits.json"]


def test_sanitize_and_canonical_json() -> None:
    assert sanitize("a\x00b\r\nc\rd\te\x07") == "ab\nc\nd\te"
    assert sanitize("\"q\"; 'x' — 日本 Ωμέγα") == "\"q\"; 'x' — 日本 Ωμέγα"
    assert sanitize("bad \ud800 half") == "bad ? half"
    text = credits_json(BLOCK)
    assert json.loads(text) == BLOCK
    assert text == json.dumps(BLOCK, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    with pytest.raises(InvalidInput):
        credits_json({"x": float("nan")})
