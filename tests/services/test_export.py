"""The export pipeline end to end: a project (store, project file or .otio) becomes a file carrying its
credits, with a sidecar whose export_sha256 matches; checked with mutagen, hashlib, PyAV and ffmpeg."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import ID3
from mutagen.mp4 import MP4

from studio.core.cancel import CancelToken
from studio.core.clips import Credit
from studio.core.errors import Cancelled, MediaError, NotFound
from studio.core.projectfile import save_project_file
from studio.services.export import NO_LICENCE, ROLL_SECONDS, export_timeline
from studio.services.library import import_files
from studio.services.projects import add_clip, new_project, open_project, open_store
from tests import fixtures_otio as fx
from tests import mediagen
from tests.media.test_render import ffmpeg_duration, frame_at, streams, volume
from tests.media.test_render_plan import clip_for, clip_map, timeline

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("export-media")
    return {
        "video": mediagen.make_video(folder / "harbour.mp4", 2),
        "music": mediagen.make_audio(folder / "gulls.mp3", 3, sample_rate=44100, frequency=660),
        "still": mediagen.make_image(folder / "poster.png"),
    }


@pytest.fixture()
def project_file(media: dict[str, Path], tmp_path: Path) -> Path:
    video = clip_for(media["video"], credits=("Ann Lee",))
    music = clip_for(media["music"], credits=("Bo",))
    tl = timeline([("V1", [dict(clip=video, start=0, duration=2)]),
                   ("A1", [dict(clip=video, start=0, duration=2)]),
                   ("A2", [dict(clip=music, start=0, duration=3, gain_db=-6, fade_out=1)])])
    path = tmp_path / "harbour.studio"
    save_project_file(path, "p-harbour", "Harbour", tl, clip_map(video, music))
    return path


def sidecar_of(path: Path) -> dict[str, Any]:
    return json.loads(path.with_name(path.name + ".credits.json").read_text(encoding="utf-8"))


def test_project_file_to_mp4_carries_its_credits(project_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "harbour.mp4"
    seen: list[float] = []
    result = export_timeline(project_file, out, editors=["Cy"], exported=WHEN,
                             progress=lambda f, _m: seen.append(f))
    assert result.path == out.absolute() and result.format == "mp4" and result.duration == 3
    side = sidecar_of(out)
    assert side.pop("export_sha256") == hashlib.sha256(out.read_bytes()).hexdigest()
    embedded = json.loads(bytes(MP4(str(out)).tags["----:com.apple.iTunes:CREDITS_JSON"][0]))
    assert embedded == side == result.block
    assert embedded["work"]["title"] == "Harbour" and embedded["work"]["id"] == "p-harbour"
    assert embedded["work"]["exported"] == "2026-03-04T05:06:07Z"
    assert embedded["work"]["licence"] == "CC-BY-4.0"  # all clips share it
    shares = {c["name"]: c["share_bp"] for c in embedded["contributors"]}
    assert set(shares) == {"Ann Lee", "Bo", "Cy"} and sum(shares.values()) == 10000
    assert abs(ffmpeg_duration(out) - 3) <= 1 / 25
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert sorted(p.name for p in out.parent.iterdir()) == ["harbour.mp4", "harbour.mp4.credits.json"]


def test_store_project_to_mp3(media: dict[str, Path], tmp_path: Path) -> None:
    with open_store() as store:
        clips = import_files(store, [media["video"]], creators=[Credit("Ann Lee", ("camera",))],
                             licence="CC-BY-4.0")
        import_files(store, [media["music"]], creators=[Credit("Bo", ("music",))], licence="CC-BY-SA-4.0")
        new_project(store, "Gulls")
        session = open_project(store, "Gulls")
        add_clip(session, clips[0].clip.id, track="A1", at="0")
        add_clip(session, "gulls", track="A2", at="1")
        out = tmp_path / "gulls.mp3"
        result = export_timeline("Gulls", out, licence="CC-BY-SA-4.0", store=store, exported=WHEN)
    tags = ID3(str(out))
    embedded = json.loads(str(tags.getall("TXXX:CREDITS_JSON")[0].text[0]))
    assert embedded == result.block
    assert embedded["work"]["licence"] == "CC-BY-SA-4.0"
    assert {c["name"] for c in embedded["contributors"]} == {"Ann Lee", "Bo"}
    assert streams(out)["audio"]["codec"] == "mp3" and "video" not in streams(out)
    assert abs(ffmpeg_duration(out) - 4) <= 0.05
    assert sidecar_of(out)["export_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_otio_from_another_editor_plays_picture_and_sound_from_their_tracks(
    media: dict[str, Path], tmp_path: Path
) -> None:
    tone = mediagen.make_audio(tmp_path / "tone.wav", 1)
    otio_file = fx.gaps_timeline(tmp_path / "gaps.otio", media["video"], tone)
    out = tmp_path / "gaps.mkv"
    cleared = ["tone", "shot one", "shot two"]  # nobody stated a licence: the editor holds the rights
    result = export_timeline(otio_file, out, editors=["Dee"], exported=WHEN, rights_cleared=cleared)
    assert result.block["work"]["licence"] == NO_LICENCE
    # picture: gap 0-0.5, shot one 0.5-1.5, gap 1.5-2.5, shot two 2.5-3
    assert frame_at(out, 0.25).max() < 25 and frame_at(out, 2.0).max() < 25
    assert frame_at(out, 1.0).mean() > 40 and frame_at(out, 2.75).mean() > 40
    # sound: only the audio track's tone, 0.25-0.75; the video items' own tone is not played
    assert volume(out, 0.3, 0.4)[0] > -40
    assert volume(out, 0.9, 1.5)[1] < -60
    assert abs(ffmpeg_duration(out) - 3) <= 1 / 24


def test_offline_media_is_listed_and_nothing_is_written(media: dict[str, Path], tmp_path: Path) -> None:
    otio_file = fx.gaps_timeline(tmp_path / "gaps.otio", tmp_path / "moved.mp4", tmp_path / "lost.wav")
    out = tmp_path / "out" / "gaps.mp4"
    out.parent.mkdir()
    out.write_bytes(b"an earlier export")
    with pytest.raises(MediaError, match=r"offline \(2\)") as err:
        export_timeline(otio_file, out)
    assert "lost.wav" in str(err.value) and "moved.mp4" in str(err.value)
    assert out.read_bytes() == b"an earlier export"  # nothing lost, nothing half-written
    assert [p.name for p in out.parent.iterdir()] == ["gaps.mp4"]


def test_credits_roll_is_appended(project_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "rolled.mp4"
    result = export_timeline(project_file, out, credits_roll=True, exported=WHEN)
    assert result.duration == 3 + ROLL_SECONDS
    assert abs(ffmpeg_duration(out) - float(3 + ROLL_SECONDS)) <= 1 / 25
    assert result.block["work"]["duration_s"] == float(3 + ROLL_SECONDS)
    roll = frame_at(out, 4.0)
    assert roll.mean() < 60 and roll.max() > 200  # light letters on the roll's dark background
    assert volume(out, 3.5, 4)[1] < -60


def test_cancel_leaves_nothing(media: dict[str, Path], tmp_path: Path) -> None:
    still = clip_for(media["still"])
    tl = timeline([("V1", [dict(clip=still, start=0, duration=120)])], size=(640, 480))
    project = tmp_path / "long.studio"
    save_project_file(project, "p-long", "Long", tl, clip_map(still))
    out_dir = tmp_path / "out"
    token = CancelToken()
    threading.Timer(0.5, token.cancel).start()
    with pytest.raises(Cancelled):
        export_timeline(project, out_dir / "long.mp4", cancel=token)
    assert list(out_dir.iterdir()) == []


def test_unknown_project_is_named(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no project named 'Nowhere'"):
        export_timeline("Nowhere", tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


def test_a_manual_share_and_format_override(project_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "piece.audio"
    result = export_timeline(project_file, out, fmt="flac", method="manual/1",
                             manual={"Ann Lee": 2500, "Bo": 7500}, exported=WHEN)
    assert streams(out)["audio"]["codec"] == "flac"
    assert {c["name"]: c["share_bp"] for c in result.block["contributors"]} == {"Ann Lee": 2500, "Bo": 7500}
    assert result.duration == Fraction(3)


def test_a_span_exports_and_credits_only_what_plays_in_it(project_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "tail.wav"
    result = export_timeline(project_file, out, span=(Fraction(5, 2), Fraction(3)), exported=WHEN)
    assert result.duration == Fraction(1, 2)
    assert abs(ffmpeg_duration(out) - 0.5) <= 0.01
    assert volume(out, 0, 0.4)[1] > -40  # the music bed is heard from the span's start
    assert [c["name"] for c in result.block["contributors"]] == ["Bo"]  # the picture and its sound end at 2 s
    assert [s["used_s"] for s in result.block["sources"]] == [0.5]
    assert sidecar_of(out) | {"export_sha256": None} == result.block | {"export_sha256": None}
