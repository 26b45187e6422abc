"""OpenTimelineIO interchange: our projects through .otio and back, files written by the OTIO library
and by other editors (the shared samples), and clear errors for files that cannot be read."""

from __future__ import annotations

import hashlib
import json
import shutil
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from studio.core.cancel import CancelToken
from studio.core.clips import Clip, Credit
from studio.core.errors import Cancelled, InvalidInput
from studio.core.paths import media_path
from studio.core.timeline import Item, Marker, Timeline, Track
from studio.services.otio import ImportedTimeline, export_otio, import_otio
from tests import fixtures_otio as fx
from tests import mediagen

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "otio"
BLOCK = {
    "schema": "studio-credits/1",
    "work": {"id": "w1", "title": "Harbour remix", "licence": "CC-BY-SA-4.0", "licence_url": "",
             "exported": "2026-01-02T03:04:05Z", "duration_s": 2},
    "contributors": [{"id": "c-ann", "name": "Ann", "roles": ["camera"], "share_bp": 7000},
                     {"id": "c-bo", "name": "Bo", "roles": ["music", "editor"], "share_bp": 3000}],
    "sources": [{"clip": "d" * 64, "title": "Dawn", "kind": "video", "owner": "ann", "licence": "CC-BY-4.0",
                 "used_s": 1.5, "via": ["e" * 64]}],
    "share_method": "weighted-time/1",
    "share_params": {},
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def t(rt: otio.opentime.RationalTime) -> float:
    return float(rt.value) / float(rt.rate)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("otio-media")
    video = mediagen.make_video(folder / "harbour.mp4", 2, size="160x120", rate=25)
    tone = mediagen.make_audio(folder / "gulls.wav", 2, sample_rate=48000)
    remix = folder / "remix.mp4"
    shutil.copyfile(mediagen.make_video(folder / "plain.mp4", 1, size="160x120", rate=25), remix)
    from mutagen.mp4 import MP4, AtomDataType, MP4FreeForm

    tagged = MP4(str(remix))
    if tagged.tags is None:
        tagged.add_tags()
    tagged.tags["----:com.apple.iTunes:CREDITS_JSON"] = [
        MP4FreeForm(json.dumps(BLOCK).encode("utf-8"), dataformat=AtomDataType.UTF8)
    ]
    tagged.save()
    return {"video": video, "tone": tone, "remix": remix}


# --- our project -> .otio -> our project ----------------------------------------------------------


def studio_project(media: dict[str, Path]) -> tuple[Timeline, dict[str, Clip]]:
    video, tone, remix = (sha256(media[k]) for k in ("video", "tone", "remix"))
    clips = {
        video: Clip(video, "Harbour at dawn", "video", Fraction(2),
                    (Credit("Ann", ("camera", "sound")), Credit("Cy", ("grade",), Fraction(1, 3), "c-cy")),
                    "CC-BY-4.0", owner="ann", has_video=True, has_audio=True, path=media["video"],
                    lineage=(remix,), tags=("sea",)),
        tone: Clip(tone, "Gulls", "audio", Fraction(2), (Credit("Bo", ("field recording",)),), "CC0-1.0",
                   has_audio=True, path=media["tone"]),
        remix: Clip(remix, "Earlier remix", "video", Fraction(1), (), "CC-BY-SA-4.0", has_video=True,
                    has_audio=True, path=media["remix"], embedded_credits=BLOCK),
    }
    tl = Timeline()
    tl.settings.update(name="Harbour", fps=Fraction(25), width=160, height=120, sample_rate=44100,
                       editors=["Eve", "Fay"], metadata={"studio.ui": {"zoom": 2}})
    for track in (Track("v1", "video", "V1", "V"), Track("a1", "audio", "A1", "a", muted=True),
                  Track("v2", "video", "V2", "k", locked=True, metadata={"studio.ui": {"h": 30}}),
                  Track("a2", "audio", "A2", "x")):
        tl.tracks[track.id] = track
    items = [
        Item("i1", "v1", Fraction(0), Fraction(6, 5), source_in=Fraction(2, 5), clip=video),
        Item("i2", "v1", Fraction(8, 5), Fraction(1, 3), source_in=Fraction(1, 7), clip=remix,
             fade_in=Fraction(1, 10), fade_out=Fraction(1, 5), metadata={"studio.note": "odd times"}),
        Item("i3", "v1", Fraction(9, 5), Fraction(1, 2), clip=video),  # overlaps i2
        Item("i4", "v2", Fraction(1, 2), Fraction(3, 2), kind="title", text="Harbour\nby Ann & Bo"),
        Item("i5", "a1", Fraction(1, 48000), Fraction(3, 2), source_in=Fraction(1, 3), clip=tone,
             gain_db=-7.5, muted=True),
        Item("i6", "a2", Fraction(0), Fraction(6, 5), source_in=Fraction(2, 5), clip=video, gain_db=3.0),
    ]
    for item in items:
        tl.items[item.id] = item
    for marker in (Marker("m1", Fraction(13, 10), "tighten", "Eve"), Marker("m2", Fraction(0), "", "", True),
                   Marker("m3", Fraction(1, 3), "grade", duration=Fraction(2, 5), colour="CYAN",
                          metadata={"studio.ui": {"lane": 1}})):
        tl.markers[marker.id] = marker
    tl.settings["start_time"] = Fraction(3600)
    return tl, clips


def test_round_trip_is_exact(tmp_path: Path, media: dict[str, Path]) -> None:
    tl, clips = studio_project(media)
    path = tmp_path / "harbour.otio"

    warnings = export_otio(tl, clips, path)
    back = import_otio(path)

    assert warnings == [
        "track V1: overlapping items were written to 1 extra OpenTimelineIO track(s) above it"
    ]
    assert back.warnings == [] and back.offline == []
    assert back.timeline == tl
    assert back.clips == clips
    assert back.timeline.items["i5"].start == Fraction(1, 48000)


@pytest.mark.parametrize("fps", [Fraction(24000, 1001), Fraction(30000, 1001), Fraction(100000, 3001)])
def test_frame_rates_round_trip_exactly(tmp_path: Path, fps: Fraction) -> None:
    tl = Timeline()
    tl.settings["fps"] = fps
    tl.tracks["v"] = Track("v", "video", "V1", "V")
    frame = 1 / fps
    for n, (start, length) in enumerate([(0, 1), (7, 1001), (100003, 5)]):
        tl.items[f"t{n}"] = Item(
            f"t{n}", "v", start * frame, length * frame, source_in=n * frame, kind="title", text=f"card {n}"
        )
    tl.items["odd"] = Item("odd", "v", Fraction(10**9, 7), Fraction(1, 44100), kind="title", text="off grid")
    export_otio(tl, {}, tmp_path / "r.otio")
    assert import_otio(tmp_path / "r.otio").timeline == tl


def frames(start: int, length: int, rate: int = 24) -> otio.opentime.TimeRange:
    rt = otio.opentime.RationalTime
    return otio.opentime.TimeRange(rt(start, rate), rt(length, rate))


def test_start_time_and_marker_fields_read_by_the_otio_library(tmp_path: Path,
                                                               media: dict[str, Path]) -> None:
    tl, clips = studio_project(media)
    export_otio(tl, clips, tmp_path / "h.otio")
    doc = otio.adapters.read_from_file(str(tmp_path / "h.otio"))
    assert doc.global_start_time == otio.opentime.RationalTime(90000, 25)  # 01:00:00:00 at 25 fps
    got = {m.name: (m.color, t(m.marked_range.start_time), t(m.marked_range.duration))
           for m in doc.tracks.markers}
    assert got == {"tighten": ("RED", 1.3, 0), "": ("GREEN", 0, 0),
                   "grade": ("CYAN", pytest.approx(1 / 3), 0.4)}


def test_other_tools_markers_keep_name_comment_colour_and_place(tmp_path: Path,
                                                                media: dict[str, Path]) -> None:
    """A marker hung on a clip outside its visible range shows at the clip's edge, and goes back to
    its place; name and comment come back apart while the note joining them is unchanged."""
    doc = otio.schema.Timeline(name="review")
    track = otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video)
    reference = otio.schema.ExternalReference(target_url=media["video"].as_uri())
    clip = otio.schema.Clip(name="shot", media_reference=reference, source_range=frames(12, 24))
    clip.markers.append(otio.schema.Marker(name="early", comment="before the cut", color="PURPLE",
                                           marked_range=frames(6, 3), metadata={"my_tool": {"id": 7}}))
    track.append(otio.schema.Gap(source_range=frames(0, 24)))
    track.append(clip)
    doc.tracks.append(track)
    first = tmp_path / "review.otio"
    otio.adapters.write_to_file(doc, str(first))

    result = import_otio(first)
    (marker,) = result.timeline.markers.values()
    assert (marker.at, marker.note, marker.colour, marker.duration) == (1, "early — before the cut", "PURPLE",
                                                                        Fraction(1, 8))
    assert "marker 'early' on clip 'shot' on track V lies outside it; placed at its edge" in result.warnings
    export_otio(result.timeline, dict(result.clips), tmp_path / "again.otio")
    (written,) = otio.adapters.read_from_file(str(tmp_path / "again.otio")).tracks.markers
    assert (written.name, written.comment, written.color) == ("early", "before the cut", "PURPLE")
    placed = written.marked_range
    assert (t(placed.start_time), t(placed.duration)) == (0.75, 0.125)  # 1 s less the 6 frames before the cut
    assert dict(written.metadata["my_tool"]) == {"id": 7}
    assert import_otio(tmp_path / "again.otio").timeline == result.timeline  # and our own file reads back

    marker.note = "early, fixed"  # an edited note is written as the name; a moved marker where it is now
    marker.at = Fraction(3, 2)
    export_otio(result.timeline, dict(result.clips), tmp_path / "edited.otio")
    (written,) = otio.adapters.read_from_file(str(tmp_path / "edited.otio")).tracks.markers
    assert (written.name, written.comment, t(written.marked_range.start_time)) == ("early, fixed", "", 1.5)


def test_exported_file_read_by_the_otio_library(tmp_path: Path, media: dict[str, Path]) -> None:
    tl, clips = studio_project(media)
    path = tmp_path / "harbour.otio"
    export_otio(tl, clips, path)
    doc = otio.adapters.read_from_file(str(path))

    assert doc.name == "Harbour"
    assert list(doc.metadata["studio"]["editors"]) == ["Eve", "Fay"]
    tracks = list(doc.tracks)
    assert [(x.name, x.kind) for x in tracks] == [
        ("V1", "Video"), ("V1", "Video"), ("A1", "Audio"), ("V2", "Video"), ("A2", "Audio")
    ]
    assert [x.enabled for x in tracks] == [True, True, False, True, True]

    lower = list(tracks[0])
    assert [type(c).__name__ for c in lower] == ["Clip", "Gap", "Clip"]
    first = lower[0]
    assert first.name == "Harbour at dawn"
    assert first.media_reference.target_url == media["video"].as_uri()
    assert Path(first.media_reference.target_url[len("file://"):]).is_file()
    assert t(first.source_range.start_time) == pytest.approx(0.4)
    assert t(first.source_range.duration) == pytest.approx(1.2)
    assert t(lower[1].source_range.duration) == pytest.approx(0.4)
    studio = first.metadata["studio"]
    assert studio["clip_id"] == sha256(media["video"])
    assert first.media_reference.metadata["studio"]["clip_id"] == sha256(media["video"])
    assert [dict(c) for c in studio["credits"]] == [
        {"name": "Ann", "role": "camera"}, {"name": "Ann", "role": "sound"},
        {"name": "Cy", "role": "grade", "weight": "1/3", "id": "c-cy"},
    ]
    assert studio["licence"] == "CC-BY-4.0"
    assert studio["item_id"] == "i1"
    remix = lower[2]
    assert remix.name == "Earlier remix"
    assert t(remix.range_in_parent().start_time) == pytest.approx(1.6)
    assert remix.metadata["studio"]["fade_in"] == "1/10"

    overlap = list(tracks[1])
    assert [type(c).__name__ for c in overlap] == ["Gap", "Clip"]
    assert t(overlap[0].source_range.duration) == pytest.approx(1.8)
    assert overlap[1].metadata["studio"]["item_id"] == "i3"
    assert tracks[1].metadata["studio"]["lane"] == 1

    sound = [c for c in tracks[2] if isinstance(c, otio.schema.Clip)]
    assert sound[0].metadata["studio"]["gain_db"] == -7.5
    assert t(sound[0].range_in_parent().start_time) == pytest.approx(1 / 48000)

    title = next(c for c in tracks[3] if isinstance(c, otio.schema.Clip))
    assert isinstance(title.media_reference, otio.schema.GeneratorReference)
    assert title.media_reference.generator_kind == "studio.title"
    assert title.media_reference.parameters["text"] == "Harbour\nby Ann & Bo"
    assert t(title.range_in_parent().start_time) == pytest.approx(0.5)

    markers = sorted(doc.tracks.markers, key=lambda m: t(m.marked_range.start_time))
    assert [(m.name, t(m.marked_range.start_time)) for m in markers] == [
        ("", 0.0), ("grade", pytest.approx(1 / 3)), ("tighten", 1.3)]
    assert markers[2].metadata["studio"]["author"] == "Eve"


def test_export_names_what_it_cannot_hold_and_failures_leave_the_old_file(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    tl, clips = studio_project(media)
    path = tmp_path / "out.otio"
    export_otio(tl, clips, path)
    before = path.read_bytes()

    tl.items["i1"].duration = Fraction(1, 3**40)  # too fine for OTIO's double-precision times
    with pytest.raises(InvalidInput, match="too fine to write exactly"):
        export_otio(tl, clips, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.otio"]

    tl, clips = studio_project(media)
    unknown = "e" * 64
    tl.items["i6"].clip = unknown
    warnings = export_otio(tl, clips, path)
    assert f"item i6: clip {unknown} is not known; written as missing media" in warnings
    back = import_otio(path)
    assert back.timeline.items["i6"].clip == unknown
    assert unknown in back.offline


def test_export_and_import_can_be_cancelled(tmp_path: Path, media: dict[str, Path]) -> None:
    tl, clips = studio_project(media)
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        export_otio(tl, clips, tmp_path / "c.otio", cancel=cancel)
    assert not (tmp_path / "c.otio").exists()
    path = fx.gaps_timeline(tmp_path / "g.otio", media["video"], media["tone"])
    with pytest.raises(Cancelled):
        import_otio(path, cancel=cancel)


def test_import_reports_progress(tmp_path: Path, media: dict[str, Path]) -> None:
    path = fx.gaps_timeline(tmp_path / "g.otio", media["video"], media["tone"])
    seen: list[float] = []
    import_otio(path, progress=lambda fraction, message: seen.append(fraction))
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) >= 3


# --- files built with the opentimelineio library ---------------------------------------------------


def items_by_clip_name(result: ImportedTimeline) -> dict[str, list[Item]]:
    out: dict[str, list[Item]] = {}
    for item in result.timeline.iter_items():
        title = result.clips[item.clip].title if item.clip else item.text
        out.setdefault(title, []).append(item)
    return out


def test_gaps_and_real_media(tmp_path: Path, media: dict[str, Path]) -> None:
    result = import_otio(fx.gaps_timeline(tmp_path / "g.otio", media["video"], media["tone"]))

    assert result.warnings == [] and result.offline == []
    tl = result.timeline
    assert [(x.name, x.kind) for x in tl.ordered_tracks()] == [("V1", "video"), ("A1", "audio")]
    assert tl.ordered_tracks()[0].metadata == {"otio": {"name": "Picture"}}
    assert tl.fps == 24 and tl.name == "Gaps"
    v, a = tl.ordered_tracks()
    shots = tl.items_on(v.id)
    assert [(i.start, i.source_in, i.duration) for i in shots] == [
        (Fraction(12, 24), Fraction(6, 24), Fraction(24, 24)),
        (Fraction(12 + 24 + 24, 24), Fraction(0), Fraction(12, 24)),
    ]
    (tone,) = tl.items_on(a.id)
    assert (tone.start, tone.source_in, tone.duration) == (Fraction(1, 4), Fraction(1, 10), Fraction(1, 2))
    assert all(i.muted for i in shots), "items on video tracks are picture only"
    assert not tone.muted

    video_id, tone_id = sha256(media["video"]), sha256(media["tone"])
    assert {i.clip for i in shots} == {video_id} and tone.clip == tone_id
    video = result.clips[video_id]
    assert (video.kind, video.has_video, video.has_audio, video.path) == ("video", True, True, media["video"])
    assert video.duration == Fraction(2) and video.title == "shot one"
    assert result.clips[tone_id].kind == "audio" and result.clips[tone_id].has_video is False


def test_transitions_keep_the_cut(tmp_path: Path, media: dict[str, Path]) -> None:
    result = import_otio(fx.transitions_timeline(tmp_path / "t.otio", media["video"]))
    assert result.warnings == ["transition 'Cross Dissolve' on track V is not imported; the cut is kept"]
    a, b = result.timeline.iter_items()
    assert (a.start, a.duration) == (0, 2)
    assert (b.start, b.source_in, b.duration) == (2, Fraction(1, 2), 1)


def test_nested_stacks_and_tracks_are_flattened(tmp_path: Path, media: dict[str, Path]) -> None:
    result = import_otio(fx.nested_timeline(tmp_path / "n.otio", media["video"]))
    tl = result.timeline
    assert (
        "nested stack 'nest' on track main was flattened into it (its upper layers go to tracks just above)"
        in result.warnings
    )
    assert "nested track 'sub' on track main was flattened into it" in result.warnings
    main, layer, over = tl.ordered_tracks()
    assert [x.kind for x in (main, layer, over)] == ["video"] * 3
    assert over.metadata == {"otio": {"name": "over"}}

    assert [(i.start, i.source_in, i.duration) for i in tl.items_on(main.id)] == [
        (Fraction(0), Fraction(0), Fraction(1)),  # A
        (Fraction(1), Fraction(6, 24), Fraction(1)),  # B: the stack shows its frames [6, 30)
        (Fraction(2), Fraction(0), Fraction(1, 2)),  # D
        (Fraction(5, 2), Fraction(12, 24), Fraction(1, 2)),  # E: the nested track shows [12, 24)
    ]
    (c,) = tl.items_on(layer.id)  # C, the stack's upper layer, cut to the stack's [6, 30) as well
    assert (c.start, c.source_in, c.duration) == (Fraction(1), Fraction(6, 24), Fraction(6, 24))
    (f,) = tl.items_on(over.id)
    assert (f.start, f.duration) == (1, 1)


def test_markers_on_stack_track_and_clip(tmp_path: Path, media: dict[str, Path]) -> None:
    result = import_otio(fx.markers_timeline(tmp_path / "m.otio", media["video"]))
    got = sorted((m.at, m.note) for m in result.timeline.markers.values())
    assert got == [
        (Fraction(6, 24), "track note"),
        (Fraction(24, 24), "flash frame"),
        (Fraction(36, 24), "Review — tighter here"),
    ]
    assert not any(m.done or m.author for m in result.timeline.markers.values())


def test_ntsc_times_are_exact(tmp_path: Path, media: dict[str, Path]) -> None:
    result = import_otio(fx.ntsc_timeline(tmp_path / "ntsc.otio", media["video"]))
    tl = result.timeline
    assert tl.fps == Fraction(24000, 1001)
    frame, frame_2997 = Fraction(1001, 24000), Fraction(1001, 30000)
    v, a = tl.ordered_tracks()
    (shot,) = tl.items_on(v.id)
    assert (shot.start, shot.source_in, shot.duration) == (5 * frame, 1001 * frame, 24 * frame)
    (sound,) = tl.items_on(a.id)
    assert (sound.start, sound.source_in, sound.duration) == tuple(n * frame_2997 for n in (3, 10, 30))

    # and through our own export, still exact
    out = tmp_path / "again.otio"
    export_otio(tl, result.clips, out)
    assert import_otio(out).timeline == tl


def test_unusable_media_is_kept_offline(tmp_path: Path) -> None:
    result = import_otio(fx.no_media_timeline(tmp_path / "o.otio", tmp_path / "frames"))
    tl = result.timeline
    names = [result.clips[i.clip].title for i in tl.iter_items()]
    assert names == ["lost", "sequence", "gone", "gone"], "the generator clip is left out, the rest kept"
    assert len(result.offline) == 3 and set(result.offline) == set(result.clips)
    gone_url = Path("/nonexistent/media/gone.mov").as_uri()
    gone_id = hashlib.sha256(gone_url.encode("utf-8")).hexdigest()
    assert gone_id in result.offline
    assert result.clips[gone_id].path == Path("/nonexistent/media/gone.mov")
    assert [i.start for i in tl.iter_items()] == [0, Fraction(1, 2), 1, 2]
    warnings = "\n".join(result.warnings)
    assert "clip 'bars' on track V is generated (SMPTEBars) and has no media; left out" in warnings
    assert "image sequences (" in warnings and "frame.#.png" in warnings
    assert f"media offline: {gone_url}" in warnings


def test_clip_ids_from_metadata_hash_or_url(tmp_path: Path, media: dict[str, Path]) -> None:
    claimed = "c" * 64
    tl = otio.schema.Timeline(name="ids")
    track = otio.schema.Track(name="A", kind=otio.schema.TrackKind.Audio)
    on_ref = fx.clip("claimed on ref", media["tone"], 0, 12)
    on_ref.media_reference.metadata["studio"] = {"clip_id": claimed}
    bad_claim = fx.clip("bad claim", media["tone"], 0, 12)
    bad_claim.metadata["studio"] = {"clip_id": "NOT-A-HASH"}
    relative = fx.clip("relative", "sub/gulls.wav", 0, 12)
    track.extend([on_ref, bad_claim, relative])
    tl.tracks.append(track)
    (tmp_path / "sub").mkdir()
    shutil.copyfile(media["tone"], tmp_path / "sub" / "gulls.wav")
    path = fx.write(tl, tmp_path / "ids.otio")

    result = import_otio(path)
    first, second, third = result.timeline.iter_items()
    assert first.clip == claimed
    assert second.clip == third.clip == sha256(media["tone"])
    assert result.offline == []
    assert result.clips[claimed].path == media["tone"]


def test_media_found_in_the_local_store_by_clip_id(tmp_path: Path, media: dict[str, Path]) -> None:
    sha = sha256(media["video"])
    stored = media_path(sha)
    stored.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(media["video"], stored)
    tl = otio.schema.Timeline(name="store")
    track = otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video)
    moved = fx.clip("moved", Path("/somewhere/else/harbour.mp4"), 0, 12)
    moved.metadata["studio"] = {"clip_id": sha}
    track.append(moved)
    tl.tracks.append(track)
    result = import_otio(fx.write(tl, tmp_path / "s.otio"))
    assert result.offline == [] and result.clips[sha].path == stored


def test_media_with_embedded_credits_brings_them(tmp_path: Path, media: dict[str, Path]) -> None:
    tl = otio.schema.Timeline(name="remix of a remix")
    track = otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video)
    track.append(fx.clip("earlier", media["remix"], 0, 12))
    tl.tracks.append(track)
    result = import_otio(fx.write(tl, tmp_path / "r.otio"))
    clip = result.clips[sha256(media["remix"])]
    assert clip.embedded_credits == BLOCK
    assert clip.credits == (Credit("Ann", ("camera",), contributor_id="c-ann"),
                            Credit("Bo", ("music", "editor"), contributor_id="c-bo"))
    assert clip.licence == "CC-BY-SA-4.0"
    assert clip.lineage == ("d" * 64, "e" * 64)


def test_credits_licence_and_editors_from_metadata_written_by_hand(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    """The CLI contract: credits as [{"name", "role"}], licence and editors under metadata["studio"]."""
    tl = otio.schema.Timeline(name="hand made")
    tl.metadata["studio"] = {"editors": ["Gil"]}
    track = otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video)
    shot = fx.clip("shot", media["video"], 0, 24)
    shot.metadata["studio"] = {
        "credits": [{"name": "Ann", "role": "camera"}, {"name": "Ann", "role": "light"}, {"name": "Hal"},
                    {"role": "nameless"}],
        "licence": "CC-BY-4.0",
    }
    track.append(shot)
    tl.tracks.append(track)
    result = import_otio(fx.write(tl, tmp_path / "h.otio"))
    clip = result.clips[sha256(media["video"])]
    assert clip.credits == (Credit("Ann", ("camera", "light")), Credit("Hal", ("creator",)))
    assert clip.licence == "CC-BY-4.0"
    assert result.timeline.editors == ["Gil"]
    assert any("a credit was ignored" in w for w in result.warnings)


# --- the shared samples, as other tools wrote them -------------------------------------------------


Span = tuple[Fraction, Fraction, Fraction]


def exact(rt: otio.opentime.RationalTime) -> Fraction:
    """value / rate; the samples use whole frame rates and whole frame values."""
    assert float(rt.rate).is_integer() and float(rt.value).is_integer()
    return Fraction(int(rt.value), int(rt.rate))


def library_spans(path: Path) -> list[list[Span]]:
    """Per top-level track, (start, source_in, duration) of the clips directly on it (generated ones
    excepted), as the OTIO library itself places them; source_in counts from the media's start."""
    doc = otio.adapters.read_from_file(str(path))
    tracks = []
    for track in doc.tracks:
        spans = []
        for child in track:
            if isinstance(child, otio.schema.Clip) and not isinstance(
                child.media_reference, otio.schema.GeneratorReference
            ):
                placed, trimmed = child.range_in_parent(), child.trimmed_range()
                available = child.media_reference.available_range
                media_start = exact(available.start_time) if available is not None else Fraction(0)
                spans.append((exact(placed.start_time), exact(trimmed.start_time) - media_start,
                              exact(placed.duration)))
        tracks.append(spans)
    return tracks


FLAT_SAMPLES = ["simple_cut", "transition", "clip_example", "multitrack", "preflattened", "effects",
                "premiere_example_marker2", "screening_example_marker2"]


@pytest.mark.parametrize("name", FLAT_SAMPLES)
def test_sample_items_match_the_otio_library(name: str) -> None:
    path = SAMPLES / f"{name}.otio"
    result = import_otio(path)
    tl = result.timeline
    got = [[(i.start, i.source_in, i.duration) for i in tl.items_on(x.id)] for x in tl.ordered_tracks()]
    assert got == library_spans(path)
    used = {i.clip for i in tl.items.values()}
    assert set(result.offline) == used == set(result.clips), "all sample media is offline, and listed"
    assert all(c.path is None or not c.path.exists() for c in result.clips.values())


def test_sample_simple_cut_in_detail() -> None:
    result = import_otio(SAMPLES / "simple_cut.otio")
    assert result.warnings == [f"media offline: file:///folder/{n}.mov (clip 'Clip-00{i}')"
                               for i, n in enumerate(["titles", "wind-up", "punchline", "credits"], 1)]
    items = list(result.timeline.iter_items())
    # Clip-004 has no source range: its media's available range [100, 106) frames is used
    assert [(i.start, i.source_in, i.duration) for i in items][-1] == (Fraction(13, 24), 0, Fraction(6, 24))
    assert result.clips[items[0].clip].path == Path("/folder/titles.mov")
    assert result.clips[items[0].clip].kind == "video"


def test_sample_effects_keeps_all_37_image_clips() -> None:
    result = import_otio(SAMPLES / "effects.otio")
    tl = result.timeline
    assert len(tl.items) == 37
    assert [t.kind for t in tl.ordered_tracks()].count("video") == 8
    assert [t.kind for t in tl.ordered_tracks()].count("audio") == 11
    images = {c.id for c in result.clips.values() if c.kind == "image"}
    doc = otio.adapters.read_from_file(str(SAMPLES / "effects.otio"))
    png_urls = {c.media_reference.target_url for c in doc.find_clips()
                if str(getattr(c.media_reference, "target_url", "")).endswith(".png")}
    assert len(images) == len(png_urls) > 5
    assert all(result.clips[c].duration is None for c in images)
    assert tl.fps == 24
    assert any("effects are not imported" in w for w in result.warnings)
    assert any("transition 'Cross Fade 0 dB'" in w for w in result.warnings)
    assert len(result.offline) == len(result.clips) == 28


def test_sample_nested_example() -> None:
    result = import_otio(SAMPLES / "nested_example.otio")
    tl = result.timeline
    assert len(tl.tracks) == 1 and len(tl.items) == 7
    inside = next(i for i in tl.items.values() if result.clips[i.clip].title == "Clip Inside A Stack 1")
    # after "Normal Clip 1" (238 frames); the stack shows 31 of the clip's 37 frames from frame 373
    assert (inside.start, inside.source_in, inside.duration) == (Fraction(238, 24), Fraction(373, 24),
                                                                 Fraction(31, 24))
    in_track = next(i for i in tl.items.values() if result.clips[i.clip].title == "Clip Inside A Track")
    assert in_track.duration == Fraction(1, 24)
    assert sum("was flattened" in w for w in result.warnings) == 3


def test_sample_generator_reference() -> None:
    result = import_otio(SAMPLES / "generator_reference_test.otio")
    assert len(result.timeline.items) == 0 and len(result.timeline.tracks) == 1
    assert result.warnings == ["clip 'C' on track Sequence1 is generated (SMPTEBars) and has no media; "
                               "left out (a gap in its place)"]


def test_sample_premiere_markers_and_tracks() -> None:
    result = import_otio(SAMPLES / "premiere_example_marker2.otio")
    tl = result.timeline
    assert tl.fps == 30
    assert [t.name for t in tl.ordered_tracks()] == ["V1", "V2", "V3", "V4", "A1", "A2", "A3", "A4"]
    notes = sorted((m.at, m.note) for m in tl.markers.values())
    assert (Fraction(113, 30), "My MArker 1") in notes
    assert (Fraction(492, 30), "dsf") in notes
    clip_marker = next(m for m in tl.markers.values() if m.at not in (Fraction(113, 30), Fraction(492, 30),
                                                                      Fraction(298, 30)))
    shot = next(i for i in tl.items.values() if result.clips[i.clip].title == "sc01_sh030_anim.mov")
    assert clip_marker.at == shot.start + Fraction(73, 30)
    assert {
        "clip 'test_title' on track V3 (unnamed) is generated (Slug) and has no media; "
        "left out (a gap in its place)",
        "nested stack 'sc01_sh010_anim' on track V2 (unnamed) is empty (a gap in its place)",
    } <= set(result.warnings)
    video_ids = {t.id for t in tl.ordered_tracks("video")}
    assert all(i.muted == (i.track in video_ids) for i in tl.items.values())


@pytest.mark.parametrize("name", ["premiere_example", "screening_example"])
def test_newer_schema_gives_a_clear_error(name: str) -> None:
    path = SAMPLES / f"{name}.otio"
    with pytest.raises(InvalidInput) as caught:
        import_otio(path)
    message = str(caught.value)
    assert message.startswith(
        f"{path}: written by a newer OpenTimelineIO (schema Marker.3); "
        f"this studio reads up to Marker.2 (opentimelineio {otio.__version__})"
    )


# --- files that are not timelines ------------------------------------------------------------------


NO_SCHEMA = r"not an OpenTimelineIO file \(its JSON has no top-level OTIO_SCHEMA\)"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"OTIO_SCHEMA": "Timeline.1", ', r"not an OpenTimelineIO file \(invalid JSON, line 1, column"),
        ("", r"not an OpenTimelineIO file \(invalid JSON, the file is empty\)"),
        ('{"schema": "studio.project/1"}', NO_SCHEMA),
        ("[1, 2]", NO_SCHEMA),
        ('{"OTIO_SCHEMA": "Timeline.1", "tracks": 5}', r"not a readable OpenTimelineIO file \(.*expected"),
        ('{"OTIO_SCHEMA": "Gap.1", "name": "g"}', r"holds an OpenTimelineIO Gap, not a timeline"),
        ('{"OTIO_SCHEMA": "Bogus.1"}', r"holds an OpenTimelineIO Bogus\.1 \(a schema it does not know\)"),
        ('{"OTIO_SCHEMA": "Sequence.4"}', r"uses a schema version opentimelineio .* cannot read"),
        ('{"OTIO_SCHEMA": "Timeline.9"}', r"written by a newer OpenTimelineIO \(schema Timeline\.9\)"),
    ],
)
def test_not_a_timeline(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.otio"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"bad\.otio: " + message):
        import_otio(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"nope\.otio: no such file"):
        import_otio(tmp_path / "nope.otio")


ALL_READABLE = [*FLAT_SAMPLES, "nested_example", "generator_reference_test"]


def foreign_clip_metadata(path: Path) -> list[tuple[str, dict]]:
    """(name, metadata without the studio's key) of every clip with media or a title, read by the OTIO
    library; sorted, as the order of layers may differ after a round trip."""
    doc = otio.adapters.read_from_file(str(path))
    out = []
    for clip in doc.find_clips():
        ref = clip.media_reference
        if isinstance(ref, otio.schema.GeneratorReference) and ref.generator_kind != "studio.title":
            continue
        meta = {k: v for k, v in json.loads(otio.adapters.write_to_string(clip))["metadata"].items()
                if k != "studio"}
        out.append((clip.name, meta))
    return sorted(out, key=lambda pair: (pair[0], json.dumps(pair[1], sort_keys=True)))


@pytest.mark.parametrize("name", ALL_READABLE)
def test_other_tools_clip_metadata_survives_a_round_trip(name: str, tmp_path: Path) -> None:
    """fcp_xml, Resolve_OTIO, cmx_3600 ... on each clip are written back as they were read."""
    path = SAMPLES / f"{name}.otio"
    result = import_otio(path)
    again = tmp_path / f"{name}.otio"
    export_otio(result.timeline, dict(result.clips), again)
    before, after = foreign_clip_metadata(path), foreign_clip_metadata(again)
    assert [meta for _name, meta in after] == [meta for _name, meta in before]
    carried = {key for _name, meta in before for key in meta}
    assert carried == FOREIGN_KEYS.get(name, set())  # so the comparison above is not an empty one


FOREIGN_KEYS = {
    "effects": {"Resolve_OTIO"},
    "premiere_example_marker2": {"fcp_xml", "my_hook_function_was_here"},
    "screening_example_marker2": {"cmx_3600"},
}


def clip_media(path: Path) -> list[tuple[str, str | None, Fraction, Fraction]]:
    """(name, target URL, source start, duration) of every clip with media, read by the OTIO library."""
    doc = otio.adapters.read_from_file(str(path))
    out = []
    for clip in doc.find_clips():
        ref = clip.media_reference
        if isinstance(ref, otio.schema.GeneratorReference):
            continue
        trimmed = clip.trimmed_range()
        url = ref.target_url if isinstance(ref, otio.schema.ExternalReference) else None
        out.append((clip.name, url, Fraction(trimmed.start_time.to_seconds()).limit_denominator(10**6),
                    Fraction(trimmed.duration.to_seconds()).limit_denominator(10**6)))
    return sorted(out, key=lambda row: (row[0], row[1] or "", row[2], row[3]))


@pytest.mark.parametrize("name", [*FLAT_SAMPLES, "generator_reference_test"])
def test_offline_media_urls_and_source_ranges_survive_a_round_trip(name: str, tmp_path: Path) -> None:
    """Every clip keeps the URL its file named (its media is offline here) and its source range.
    (nested_example is left out: its nested stacks become tracks holding the part of each clip that
    shows, so a clip's range there is cut to its stack.)"""
    path = SAMPLES / f"{name}.otio"
    result = import_otio(path)
    again = tmp_path / f"{name}.otio"
    export_otio(result.timeline, dict(result.clips), again)
    before, after = clip_media(path), clip_media(again)
    assert after == before
    assert all(url for _name, url, _start, _length in before if url is not None)


@pytest.mark.parametrize("name", FLAT_SAMPLES)
def test_track_lengths_with_trailing_gaps_survive_a_round_trip(name: str, tmp_path: Path) -> None:
    """A track's whole length, a trailing gap included, as the OTIO library measures it."""
    path = SAMPLES / f"{name}.otio"
    result = import_otio(path)
    again = tmp_path / f"{name}.otio"
    export_otio(result.timeline, dict(result.clips), again)

    def lengths(file: Path) -> list[float]:
        doc = otio.adapters.read_from_file(str(file))
        return sorted(round(t.duration().to_seconds(), 6) for t in doc.tracks)

    assert lengths(again) == lengths(path)


def seconds(rt: otio.opentime.RationalTime) -> Fraction:
    return Fraction(rt.to_seconds()).limit_denominator(10**6)


def timeline_facts(path: Path) -> dict[str, object]:
    """What the OTIO library reads of a timeline as a whole: its global start time (None is 0), other
    tools' metadata on the timeline and on each track, and every marker (wherever it hangs) with its
    name, comment, colour, other tools' metadata and range in its top-level track's time (which is the
    timeline's, except on screening_example's track whose own range lies outside its contents and is
    left out on import with a warning)."""
    doc = otio.adapters.read_from_file(str(path))

    def foreign(obj: object) -> dict:
        meta = json.loads(otio.adapters.write_to_string(obj))["metadata"]
        return {k: v for k, v in meta.items() if k != "studio"}

    start = doc.global_start_time
    markers = []
    holders = [doc.tracks, *doc.tracks.find_children(shallow_search=False)]
    for holder in holders:
        for marker in getattr(holder, "markers", []):
            top = holder
            while top.parent() is not None and top.parent() is not doc.tracks:
                top = top.parent()
            placed = holder.transformed_time_range(marker.marked_range, top)
            markers.append((marker.name, marker.comment, marker.color, seconds(placed.start_time),
                            seconds(placed.duration), json.dumps(foreign(marker), sort_keys=True)))
    return {
        "start": (seconds(start), float(start.rate)) if start is not None and start.value else 0,
        "timeline": foreign(doc),
        "tracks": [foreign(track) for track in doc.tracks],
        "markers": sorted(markers),
    }


@pytest.mark.parametrize("name", ALL_READABLE)
def test_start_time_markers_and_other_tools_metadata_survive_a_round_trip(name: str, tmp_path: Path) -> None:
    """global_start_time, marker names, colours, ranges and metadata, and fcp_xml / Resolve_OTIO /
    cmx_3600 metadata on the timeline and its tracks are written back as the OTIO library read them."""
    path = SAMPLES / f"{name}.otio"
    result = import_otio(path)
    again = tmp_path / f"{name}.otio"
    export_otio(result.timeline, dict(result.clips), again)
    before, after = timeline_facts(path), timeline_facts(again)
    assert after == before
    expected = SAMPLE_FACTS.get(name, {})  # so the comparison above is not an empty one
    assert before["start"] == expected.get("start", 0)
    assert {k for t in [before["timeline"], *before["tracks"]] for k in t} == expected.get("keys", set())
    assert sorted({m[2] for m in before["markers"]}) == expected.get("colours", [])


SAMPLE_FACTS: dict[str, dict] = {
    "effects": {"start": (Fraction(3600), 24.0), "keys": {"Resolve_OTIO"}},
    "premiere_example_marker2": {"keys": {"fcp_xml"}, "colours": ["RED"]},
    "screening_example_marker2": {"colours": ["GREEN", "PINK", "RED"]},
}
