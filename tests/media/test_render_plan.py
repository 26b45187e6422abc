"""The render plan on its own: which inputs, which streams, which errors; the escaping checked by ffmpeg.

Also the timeline and clip builders the render, export and CLI tests share.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from studio.core.clips import Clip, Credit
from studio.core.errors import InvalidInput, MediaError
from studio.core.fractional_index import keys_after
from studio.core.timeline import AUDIO, VIDEO, Item, Timeline, Track, new_id
from studio.media.formats import FORMATS, Capabilities, capabilities, format_for_path, get_format
from studio.media.hashing import sha256_file
from studio.media.probe import probe
from studio.media.render_plan import DrawText, TitleImages, build_plan, escape_filter_value
from tests import mediagen

FONT = DrawText(Path("/nonexistent/font.ttf"))  # plans are pure: the font is only named, never opened

# --- shared builders ------------------------------------------------------------------------------


def clip_for(path: Path, *, credits: Sequence[str] = ("Ann",), licence: str = "CC-BY-4.0") -> Clip:
    """A Clip for a real file, as the library would record it (id = SHA-256, probe data)."""
    info = probe(path)
    kind = "image" if info.is_image else "video" if info.has_video else "audio"
    return Clip(
        id=sha256_file(path),
        title=Path(path).stem,
        kind=kind,
        duration=info.duration,
        credits=tuple(Credit(name) for name in credits),
        licence=licence,
        has_video=info.has_video,
        has_audio=info.has_audio,
        path=Path(path),
        probe=info.to_dict(),
    )


def timeline(
    tracks: Sequence[tuple[str, Sequence[dict[str, Any]]]],
    *,
    fps: Fraction | int = 25,
    size: tuple[int, int] = (320, 240),
    sample_rate: int = 48000,
    muted_tracks: Sequence[str] = (),
) -> Timeline:
    """A timeline from ("V1", [item fields...]) pairs, bottom track first; times may be str/int."""
    tl = Timeline()
    tl.settings.update(width=size[0], height=size[1], fps=Fraction(fps), sample_rate=sample_rate, name="t")
    for (name, items), key in zip(tracks, keys_after(None, len(tracks)), strict=True):
        kind = VIDEO if name.startswith("V") else AUDIO
        track = Track(id=new_id(), kind=kind, name=name, order=key, muted=name in muted_tracks)
        tl.tracks[track.id] = track
        for fields in items:
            values = dict(fields)
            for key_ in ("start", "duration", "source_in", "fade_in", "fade_out"):
                if key_ in values:
                    values[key_] = Fraction(values[key_])
            if isinstance(values.get("clip"), Clip):
                values["clip"] = values["clip"].id
            item = Item(id=new_id(), track=track.id, **values)
            tl.items[item.id] = item
    return tl


def clip_map(*clips: Clip) -> dict[str, Clip]:
    return {c.id: c for c in clips}


def inputs_of(args: Sequence[str]) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == "-i"]


def option(args: Sequence[str], name: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == name]


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def av_clip(media_dir: Path) -> Clip:
    return clip_for(mediagen.make_video(media_dir / "clip.mp4", 2))


@pytest.fixture(scope="module")
def music(media_dir: Path) -> Clip:
    return clip_for(mediagen.make_audio(media_dir / "tone.wav", 1))


# --- tests ----------------------------------------------------------------------------------------


def test_one_process_one_graph_with_format_settings(av_clip: Clip, music: Clip) -> None:
    tl = timeline([("V1", [dict(clip=av_clip, start=0, duration=2)]),
                   ("A1", [dict(clip=av_clip, start=0, duration=2)]),
                   ("A2", [dict(clip=music, start=1, duration=1)])])
    plan = build_plan(tl, clip_map(av_clip, music), get_format("mp4"), FONT)
    args = list(plan.args)
    assert args.count("-filter_complex") == 1
    assert option(args, "-c:v") == ["libx264"] and option(args, "-c:a") == ["aac"]
    assert option(args, "-crf") == ["20"] and option(args, "-preset") == ["veryfast"]
    assert "+faststart" in option(args, "-movflags")
    assert len(option(args, "-map")) == 2
    assert "amix=inputs=3:normalize=0" in plan.filtergraph
    assert plan.duration == 2
    cmd = plan.command("ffmpeg", Path("out.mp4"))
    assert cmd[0] == "ffmpeg" and cmd[-1] == "out.mp4" and "-y" in cmd


def test_audio_only_formats_drop_the_picture(av_clip: Clip, tmp_path: Path) -> None:
    gone = tmp_path / "gone.mp4"
    picture_only = Clip(id="f" * 64, title="gone", kind="video", duration=Fraction(2), has_video=True,
                        path=gone)
    tl = timeline([("V1", [dict(clip=picture_only, start=0, duration=2)]),
                   ("A1", [dict(clip=av_clip, start=0, duration=2)])])
    for name in ("m4a", "mp3", "wav", "flac", "ogg"):
        plan = build_plan(tl, clip_map(av_clip, picture_only), get_format(name), FONT)
        assert "-c:v" not in plan.args and len(option(plan.args, "-map")) == 1
        assert str(gone) not in plan.args  # the picture's file is not even needed
        assert "color=" not in plan.filtergraph and "overlay" not in plan.filtergraph


def test_every_offline_file_is_named_at_once(av_clip: Clip, tmp_path: Path) -> None:
    lost = [Clip(id=c * 64, title=f"lost {c}", kind="video", duration=Fraction(2), has_video=True,
                 has_audio=True, path=tmp_path / f"lost-{c}.mp4") for c in "ab"]
    unknown = "c" * 64
    tl = timeline([
        ("V1", [dict(clip=lost[0], start=0, duration=1), dict(clip=av_clip, start=1, duration=1)]),
        ("A1", [dict(clip=lost[1], start=0, duration=1), dict(clip=unknown, start=1, duration=1)]),
    ])
    with pytest.raises(MediaError) as err:
        build_plan(tl, clip_map(av_clip, *lost), get_format("mp4"), FONT)
    message = str(err.value)
    assert "offline (3)" in message
    for needle in ("lost-a.mp4", "lost-b.mp4", unknown):
        assert needle in message


def test_media_on_a_muted_track_is_not_needed(av_clip: Clip, tmp_path: Path) -> None:
    lost = Clip(id="d" * 64, title="lost", kind="audio", duration=Fraction(2), has_audio=True,
                path=tmp_path / "lost.wav")
    tl = timeline([("V1", [dict(clip=av_clip, start=0, duration=2)]),
                   ("A1", [dict(clip=lost, start=0, duration=2)])], muted_tracks=["A1"])
    plan = build_plan(tl, clip_map(av_clip, lost), get_format("mp4"), FONT)
    assert inputs_of(plan.args) == [str(av_clip.path.resolve())]


def test_item_past_the_end_of_its_clip_is_refused(av_clip: Clip) -> None:
    tl = timeline([("V1", [dict(clip=av_clip, start=0, duration="1.5", source_in=1)])])
    with pytest.raises(InvalidInput, match=r"uses 1\.000-2\.500 s of clip, which is 2\.000 s long"):
        build_plan(tl, clip_map(av_clip), get_format("mp4"), FONT)


def test_empty_timeline_and_odd_size_are_refused(av_clip: Clip) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        build_plan(timeline([("V1", [])]), {}, get_format("mp4"), FONT)
    odd = timeline([("V1", [dict(clip=av_clip, start=0, duration=1)])], size=(321, 240))
    with pytest.raises(InvalidInput, match="321x240 must be even"):
        build_plan(odd, clip_map(av_clip), get_format("webm"), FONT)
    assert build_plan(odd, clip_map(av_clip), get_format("wav"), FONT).duration == 1


def test_a_file_used_by_several_items_is_opened_once_for_sound(music: Clip, av_clip: Clip) -> None:
    items = [dict(clip=music, start=i, duration="0.5", source_in="0.25") for i in range(4)]
    tl = timeline([("V1", [dict(clip=av_clip, start=0, duration=2)]), ("A1", items)])
    plan = build_plan(tl, clip_map(music, av_clip), get_format("mp4"), FONT)
    assert inputs_of(plan.args).count(str(music.path.resolve())) == 1
    assert "asplit=4" in plan.filtergraph


def test_picture_inputs_seek_and_sound_inputs_decode_from_the_start(av_clip: Clip) -> None:
    tl = timeline([("V1", [dict(clip=av_clip, start=0, duration="0.48", source_in="1.25")]),
                   ("A1", [dict(clip=av_clip, start=0, duration="0.5", source_in="1.25")])])
    args = list(build_plan(tl, clip_map(av_clip), get_format("mp4"), FONT).args)
    first, second = [i for i, a in enumerate(args) if a == "-i"]
    assert args[first - 4:first] == ["-ss", "1.250000", "-t", "0.520000"]
    assert "-ss" not in args[first + 1:second]


def test_title_cards_are_named_by_their_content(tmp_path: Path) -> None:
    tl = timeline([("V1", [dict(kind="title", text="Same", start=0, duration=1),
                           dict(kind="title", text="Same", start=2, duration=1),
                           dict(kind="title", text="Other", start=4, duration=1)])])
    plan = build_plan(tl, {}, get_format("mp4"), TitleImages(tmp_path))
    assert len(plan.title_cards) == 2
    assert {c.path.parent for c in plan.title_cards} == {tmp_path}
    assert not any(c.path.exists() for c in plan.title_cards)  # building a plan writes nothing
    drawn = build_plan(tl, {}, get_format("mp4"), FONT)
    assert drawn.title_cards == () and drawn.filtergraph.count("drawtext=") == 3


def test_output_format_follows_the_extension_unless_named() -> None:
    for name, fmt in FORMATS.items():
        assert format_for_path(Path(f"x/piece{fmt.extension}")) is fmt
        assert format_for_path(Path("piece.bin"), name) is fmt
    with pytest.raises(InvalidInput, match="--format"):
        format_for_path(Path("piece.avi"))
    with pytest.raises(InvalidInput, match="unknown output format 'gif'"):
        get_format("gif")


@pytest.mark.parametrize(
    "text",
    ["plain", "it's: a [test]; 1,2", "back\\slash \\' quote", "%{pts} %% {}", "two\nlines ", "日本語 — ü"],
)
def test_filter_values_reach_ffmpeg_unchanged(text: str, tmp_path: Path) -> None:
    """ffmpeg's metadata filter writes out the value it parsed: it must be the text we meant."""
    report = tmp_path / "metadata.txt"
    graph = f"color=s=16x16:d=0.04,metadata=mode=add:key=probe:value={escape_filter_value(text)}"
    graph += f",metadata=mode=print:file={escape_filter_value(str(report))}"
    done = subprocess.run(
        [mediagen.ffmpeg(), "-hide_banner", "-nostdin", "-filter_complex", graph, "-f", "null", "-"],
        capture_output=True, text=True, errors="replace",
    )
    assert done.returncode == 0, done.stderr
    written = report.read_text(encoding="utf-8")
    assert written.split("\n", 1)[1] == f"probe={text}\n"


def test_encoders_are_read_from_the_binary_and_checked(tmp_path: Path) -> None:
    listing = subprocess.run([mediagen.ffmpeg(), "-hide_banner", "-encoders"], capture_output=True,
                             text=True).stdout
    capabilities.cache_clear()
    found = capabilities(mediagen.ffmpeg())
    for fmt in FORMATS.values():
        found.check_format(fmt)
        for codec in fmt.encoders:
            assert f" {codec} " in listing
    assert "drawtext" in found.filters or "drawtext" not in subprocess.run(
        [mediagen.ffmpeg(), "-hide_banner", "-filters"], capture_output=True, text=True).stdout
    stored = list((Path(os.environ["STUDIO_CACHE_DIR"]) / "ffmpeg-capabilities-v1").iterdir())
    assert len(stored) == 1
    stored[0].write_text("{damaged", encoding="utf-8")
    capabilities.cache_clear()
    assert capabilities(mediagen.ffmpeg()) == found  # a damaged cache entry is asked again
    bare = Capabilities(encoders=frozenset({"aac"}), filters=frozenset())
    with pytest.raises(MediaError, match=r"cannot write webm: encoder\(s\) libvpx-vp9, libopus missing"):
        bare.check_format(get_format("webm"))
