"""Importing real media made by ffmpeg: ids are the files' SHA-256, bytes land in the media folder,
kinds and durations agree with ffmpeg's own reading, credits come from the user or from the file's
embedded studio-credits block, and a bad file in a batch imports nothing."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from studio.core.cancel import CancelToken
from studio.core.errors import Cancelled, InvalidInput, MediaError
from studio.core.library import list_clips
from studio.core.paths import data_dir, media_path
from studio.core.store import Store
from studio.services.library import import_files, parse_creator
from tests import mediagen

SOURCE = "c" * 64
BLOCK = {
    "schema": "studio-credits/1",
    "work": {
        "id": "w1",
        "title": "Harbour remix",
        "licence": "CC-BY-SA-4.0",
        "licence_url": "",
        "exported": "2026-01-02T03:04:05Z",
        "duration_s": 1,
    },
    "contributors": [
        {"id": "c-ann", "name": "Ann", "roles": ["camera"], "share_bp": 7000},
        {"id": "c-bo", "name": "Bo", "roles": ["music", "editor"], "share_bp": 3000},
    ],
    "sources": [
        {
            "clip": SOURCE,
            "title": "harbour",
            "kind": "video",
            "owner": "ann",
            "licence": "CC-BY-4.0",
            "used_s": 1,
            "via": ["d" * 64],
        }
    ],
    "share_method": "weighted-time/1",
    "share_params": {},
}


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("import-media")
    remix = folder / "remix.mp4"
    shutil.copyfile(mediagen.make_video(folder / "plain.mp4", 1, size="160x120"), remix)
    from mutagen.mp4 import MP4, AtomDataType, MP4FreeForm

    tagged = MP4(str(remix))
    if tagged.tags is None:
        tagged.add_tags()
    tagged.tags["----:com.apple.iTunes:CREDITS_JSON"] = [
        MP4FreeForm(json.dumps(BLOCK).encode("utf-8"), dataformat=AtomDataType.UTF8)
    ]
    tagged.save()
    return {
        "video": mediagen.make_video(folder / "harbour.mp4", 2, size="160x120"),
        "mute": mediagen.make_video(folder / "drone.mp4", 1, size="160x120", audio=False),
        "tone": mediagen.make_audio(folder / "gulls.wav", 1),
        "still": mediagen.make_image(folder / "poster.png", "160x120"),
        "remix": remix,
        "junk": mediagen.make_not_media(folder / "notes.mp4"),
    }


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "studio.db") as opened:
        yield opened


def ffmpeg_duration(path: Path) -> Fraction:
    """The container duration ffmpeg prints for `path` (to the centisecond)."""
    match = re.search(r"Duration: (\d+):(\d+):(\d+)\.(\d+)", mediagen.ffmpeg_info(path))
    assert match, f"ffmpeg shows no duration for {path}"
    h, m, s, cs = (int(g) for g in match.groups())
    return Fraction(h * 3600 + m * 60 + s) + Fraction(cs, 100)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_files_become_clips_keyed_by_their_sha256(store: Store, media: dict[str, Path]) -> None:
    results = import_files(store, [media["video"], media["tone"], media["still"], media["mute"]])
    video, tone, still, mute = (r.clip for r in results)
    for result in results:
        assert result.clip.id == sha256(result.source)
        assert media_path(result.clip.id).read_bytes() == result.source.read_bytes()
        assert not result.existed
    assert (video.kind, video.has_video, video.has_audio) == ("video", True, True)
    assert (tone.kind, tone.has_video, tone.has_audio) == ("audio", False, True)
    assert (still.kind, still.duration) == ("image", None)
    assert (mute.kind, mute.has_audio) == ("video", False)
    for clip, path in ((video, media["video"]), (tone, media["tone"])):
        assert clip.duration is not None
        assert abs(clip.duration - ffmpeg_duration(path)) <= Fraction(1, 100)
    assert video.title == "harbour" and video.probe["video"]["width"] == 160
    assert {r.clip.id for r in list_clips(store)} == {r.clip.id for r in results}


def test_credits_and_licence_given_by_the_user(store: Store, media: dict[str, Path]) -> None:
    creators = [parse_creator("Ann Lee:camera"), parse_creator("Bo"), parse_creator("Ann Lee:sound")]
    (result,) = import_files(store, [media["video"]], title="Harbour", creators=creators, licence="CC-BY-4.0")
    clip = result.clip
    assert clip.title == "Harbour" and clip.licence == "CC-BY-4.0"
    assert [(c.name, c.roles) for c in clip.credits] == [
        ("Ann Lee", ("camera", "sound")),
        ("Bo", ("creator",)),
    ]
    with pytest.raises(InvalidInput, match="not an SPDX licence id"):
        import_files(store, [media["tone"]], licence="free for all!")
    with pytest.raises(InvalidInput, match="has no name: give one"):
        parse_creator(":camera")


def test_importing_the_same_bytes_again_updates_only_what_is_given(
    store: Store, media: dict[str, Path]
) -> None:
    (first,) = import_files(store, [media["video"]], creators=[parse_creator("Ann")], licence="CC0-1.0")
    (again,) = import_files(store, [media["video"]], title="Harbour at dawn")
    assert again.existed and again.clip.id == first.clip.id
    assert again.clip.title == "Harbour at dawn"
    assert (again.clip.licence, [c.name for c in again.clip.credits]) == ("CC0-1.0", ["Ann"])
    assert len(list_clips(store)) == 1


def test_a_remix_brings_its_embedded_credits_and_lineage(store: Store, media: dict[str, Path]) -> None:
    (result,) = import_files(store, [media["remix"]])
    clip = result.clip
    assert clip.embedded_credits == BLOCK and clip.is_remix
    assert [(c.name, c.roles) for c in clip.credits] == [("Ann", ("camera",)), ("Bo", ("music", "editor"))]
    assert (clip.title, clip.licence) == ("Harbour remix", "CC-BY-SA-4.0")
    assert clip.lineage == (SOURCE, "d" * 64)


def test_one_bad_file_imports_nothing_and_names_the_file(store: Store, media: dict[str, Path]) -> None:
    with pytest.raises(MediaError, match=r"notes\.mp4"):
        import_files(store, [media["video"], media["junk"]])
    assert list_clips(store) == []
    assert not (data_dir() / "media").exists() or not any((data_dir() / "media").rglob("*"))
    with pytest.raises(MediaError, match="no such file"):
        import_files(store, [media["video"].with_name("missing.mp4")])


def test_progress_and_cancel(store: Store, media: dict[str, Path]) -> None:
    seen: list[float] = []
    import_files(store, [media["video"], media["tone"]], progress=lambda f, _m: seen.append(f))
    assert seen[-1] == 1.0 and seen == sorted(seen)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        import_files(store, [media["still"]], cancel=token)
    assert len(list_clips(store)) == 2


def test_the_library_lists_each_clip_with_its_state(store: Store, media: dict[str, Path]) -> None:
    """What both front ends show: a clip made here is local, public and made here is published, a
    record without its media is remote."""
    from dataclasses import replace

    from studio.core.library import get_record, save_clip
    from studio.services.library import import_with_details, list_library, save_credits

    video, tone = import_with_details(
        store, [media["video"], media["tone"]], lineage=[SOURCE], tags=["harbour", "dawn"]
    )
    assert video.lineage == (SOURCE,) and video.tags[-2:] == ("harbour", "dawn")
    assert get_record(store, video.id).clip.tags == video.tags  # saved, not only returned
    record = get_record(store, tone.id)
    with store.write():
        save_clip(store, tone, source_name=record.source_name, media_present=False)
    states = {entry.clip.id: entry.state for entry in list_library(store)}
    assert states == {video.id: "local", tone.id: "remote"}

    with pytest.raises(InvalidInput, match="not an SPDX licence"):
        save_credits(store, replace(video, licence="CC BY (c)"))
    assert get_record(store, video.id).clip.licence == video.licence
    save_credits(store, replace(video, licence="CC-BY-4.0"))
    assert get_record(store, video.id).clip.licence == "CC-BY-4.0"
