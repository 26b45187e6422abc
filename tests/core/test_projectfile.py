"""Project files: exact round trips, the draft upgrade, clear errors for broken files, atomic saves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from studio.core.clips import Clip, Credit
from studio.core.errors import InvalidInput
from studio.core.projectfile import (
    CURRENT_SCHEMA,
    UPGRADES,
    load_project_file,
    looks_like_project_file,
    parse_project_document,
    save_project_file,
)
from studio.core.timeline import Item, Marker, Timeline, Track

CLIP_A = "a" * 64
CLIP_B = "0123456789abcdef" * 4
REPO = Path(__file__).resolve().parents[2]


def sample_project(folder: Path) -> tuple[Timeline, dict[str, Clip]]:
    """Two video tracks, one audio track, clip and title items with odd exact times, markers."""
    tl = Timeline()
    tl.settings.update(
        name="Harbour remix", fps=Fraction(24000, 1001), width=320, height=240, sample_rate=44100,
        editors=["Ann Editor", "Bo"], metadata={"studio.ui": {"zoom": 3}},
    )
    v1 = Track("t-v1", "video", "V1", "V")
    v2 = Track("t-v2", "video", "V2", "k", metadata={"studio.ui": {"height": 40}})
    a1 = Track("t-a1", "audio", "A1", "a", muted=True, locked=True)
    for t in (v1, v2, a1):
        tl.tracks[t.id] = t
    items = [
        Item("i-1", v1.id, Fraction(0), Fraction(1001, 480), source_in=Fraction(1, 3), clip=CLIP_A),
        Item("i-2", v1.id, Fraction(1001, 480), Fraction(3, 2), clip=CLIP_B, fade_in=Fraction(1, 4),
             fade_out=Fraction(1, 10), muted=True, metadata={"studio.note": "b-roll"}),
        Item("i-3", v2.id, Fraction(1, 2), Fraction(2), kind="title", text="Harbour\nby Ann"),
        Item("i-4", a1.id, Fraction(1, 7), Fraction(5, 3), source_in=Fraction(1, 44100), clip=CLIP_A,
             gain_db=-6.5),
    ]
    for item in items:
        tl.items[item.id] = item
    for marker in (Marker("m-1", Fraction(7, 3), "fix the cut", "Bo"), Marker("m-2", Fraction(0), done=True),
                   Marker("m-3", Fraction(1, 3), "review", duration=Fraction(1001, 240), colour="PURPLE",
                          metadata={"otio_metadata": {"fcp_xml": {"comment": None}}})):
        tl.markers[marker.id] = marker
    tl.settings["start_time"] = Fraction(3600)
    clips = {
        CLIP_A: Clip(
            CLIP_A, "Harbour at dawn", "video", Fraction(12012, 1000),
            credits=(Credit("Ann", ("camera", "sound")), Credit("Cy", ("music",), Fraction(1, 3), "c-1")),
            licence="CC-BY-4.0", owner="ann", has_video=True, has_audio=True,
            path=folder / "media" / "harbour.mp4", lineage=(CLIP_B,),
            embedded_credits={"schema": "studio-credits/1", "contributors": [{"name": "Dee", "share_bp": 1}]},
            tags=("sea", "morning"), probe={"duration": "12012/1000"},
        ),
        CLIP_B: Clip(CLIP_B, "Gulls", "audio", None, licence="CC0-1.0", has_audio=True,
                     path=Path("/srv/shared/gulls.wav")),
    }
    return tl, clips


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_round_trip_keeps_timeline_and_clips_exactly(tmp_path: Path) -> None:
    tl, clips = sample_project(tmp_path)
    path = tmp_path / "harbour.studio"
    save_project_file(path, "proj-1", "Harbour remix", tl, clips)

    meta, loaded, loaded_clips = load_project_file(path)

    assert (meta.id, meta.name, meta.schema) == ("proj-1", "Harbour remix", CURRENT_SCHEMA)
    assert meta.upgraded_from is None
    assert loaded == tl
    assert loaded.fps == Fraction(24000, 1001)
    assert loaded.items["i-4"].source_in == Fraction(1, 44100)
    assert loaded_clips == clips


def test_files_written_before_start_time_and_marker_fields_load_with_their_defaults(tmp_path: Path) -> None:
    tl, clips = sample_project(tmp_path)
    path = tmp_path / "older.studio"
    save_project_file(path, "proj-1", "Harbour remix", tl, clips)
    doc = json.loads(path.read_text(encoding="utf-8"))
    del doc["timeline"]["settings"]["start_time"]
    for marker in doc["timeline"]["markers"]:
        for key in ("duration", "colour", "metadata"):
            del marker[key]
    _meta, loaded, _clips = load_project_file(write_json(path, doc))
    assert loaded.start_time == 0
    assert [(m.duration, m.colour, m.metadata) for m in loaded.markers.values()] == [(0, "", {})] * 3
    doc["timeline"]["markers"][0]["colour"] = "\x1b[31m"
    with pytest.raises(InvalidInput, match=r"timeline\.markers\[0\]\.colour: expected a colour name"):
        load_project_file(write_json(path, doc))


def test_media_paths_are_relative_inside_the_project_folder_and_absolute_elsewhere(tmp_path: Path) -> None:
    tl, clips = sample_project(tmp_path / "proj")
    path = tmp_path / "proj" / "harbour.studio"
    save_project_file(path, "p", "n", tl, clips)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["schema"] == "studio.project/1"
    assert doc["clips"][CLIP_A]["path"] == "media/harbour.mp4"
    assert doc["clips"][CLIP_B]["path"] == "/srv/shared/gulls.wav"
    assert doc["timeline"]["items"][0]["start"] == 0

    moved = tmp_path / "elsewhere"
    (tmp_path / "proj").rename(moved)
    _, _, loaded_clips = load_project_file(moved / "harbour.studio")
    assert loaded_clips[CLIP_A].path == moved / "media" / "harbour.mp4"


def test_only_clips_in_use_are_written_and_missing_ones_refused(tmp_path: Path) -> None:
    tl, clips = sample_project(tmp_path)
    extra = "f" * 64
    clips[extra] = Clip(extra, "unused", "image", None)
    path = tmp_path / "p.studio"
    save_project_file(path, "p", "n", tl, clips)
    assert set(json.loads(path.read_text())["clips"]) == {CLIP_A, CLIP_B}

    del clips[CLIP_B]
    with pytest.raises(InvalidInput, match=f"no clip record for {CLIP_B}"):
        save_project_file(tmp_path / "q.studio", "p", "n", tl, clips)
    assert not (tmp_path / "q.studio").exists()


DRAFT = {
    "schema": "studio.project/0",
    "id": "draft-1",
    "name": "Old piece",
    "fps": 30.0,
    "editors": ["Ann"],
    "tracks": [{"id": "v", "kind": "video", "name": "V1"}, {"id": "a", "kind": "audio", "name": "A1"},
               {"id": "v2", "kind": "video", "name": "V2"}],
    "items": [
        {"id": "i1", "track": "v", "clip": CLIP_A, "at": 0.1 + 0.2, "in": 0.5, "out": 1.4333333333333333},
        {"id": "i2", "track": "a", "clip": CLIP_A, "at": 0.125, "in": 0, "out": 2, "gain": -3.0},
        {"id": "i3", "track": "v2", "clip": None, "text": "Title", "at": 1, "out": 2.5},
    ],
    "clips": {CLIP_A: {"title": "Dawn", "kind": "video", "duration": 12.0,
                       "credits": [{"name": "Ann", "role": "camera"}], "licence": "CC-BY-4.0",
                       "path": "dawn.mp4"}},
}


def test_draft_schema_is_upgraded_to_exact_times(tmp_path: Path) -> None:
    path = write_json(tmp_path / "old.studio", DRAFT)
    before = path.read_bytes()

    meta, tl, clips = load_project_file(path)

    assert path.read_bytes() == before, "loading must never rewrite the file"
    assert meta.upgraded_from == "studio.project/0"
    assert (meta.id, meta.name, meta.schema) == ("draft-1", "Old piece", "studio.project/1")
    assert tl.fps == 30 and tl.editors == ["Ann"] and tl.name == "Old piece"
    i1, i2, i3 = tl.items["i1"], tl.items["i2"], tl.items["i3"]
    assert i1.start == Fraction(3, 10)  # 0.30000000000000004 is frame 9 at 30 fps
    assert i1.source_in == Fraction(1, 2)
    assert i1.duration == Fraction(43, 30) - Fraction(1, 2)  # out = frame 43
    assert i2.start == Fraction(1, 8)  # off the frame grid: its shortest decimal
    assert i2.gain_db == -3.0 and i2.source_in == 0 and i2.duration == 2
    assert (i3.kind, i3.text, i3.clip, i3.start, i3.duration) == ("title", "Title", None, 1, Fraction(5, 2))
    assert [t.id for t in tl.ordered_tracks()] == ["v", "a", "v2"]
    clip = clips[CLIP_A]
    assert clip.duration == 12 and clip.credits == (Credit("Ann", ("camera",)),)
    assert clip.path == tmp_path / "dawn.mp4"

    resaved = tmp_path / "new.studio"
    save_project_file(resaved, meta.id, meta.name, tl, clips)
    assert json.loads(resaved.read_text())["schema"] == "studio.project/1"
    assert load_project_file(resaved).timeline == tl


def test_draft_with_ntsc_rate_snaps_to_frames(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(DRAFT))
    doc["fps"] = 24000 / 1001
    doc["items"][0]["at"] = 5 * 1001 / 24000
    _, tl, _ = load_project_file(write_json(tmp_path / "ntsc.studio", doc))
    assert tl.fps == Fraction(24000, 1001)
    assert tl.items["i1"].start == Fraction(5005, 24000)


def test_an_upgrade_that_does_not_advance_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(UPGRADES, "studio.project/0", lambda doc: dict(doc))
    with pytest.raises(InvalidInput, match=r"old\.studio: schema: the upgrade from studio\.project/0 did"):
        load_project_file(write_json(tmp_path / "old.studio", DRAFT))


def test_bad_draft_names_the_field(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(DRAFT))
    doc["items"][1]["at"] = "soon"
    with pytest.raises(InvalidInput, match=r"old\.studio: items\[1\]\.at: expected seconds"):
        load_project_file(write_json(tmp_path / "old.studio", doc))


def _good_doc(folder: Path) -> dict[str, Any]:
    tl, clips = sample_project(folder)
    path = folder / "good.studio"
    save_project_file(path, "p", "n", tl, clips)
    doc: dict[str, Any] = json.loads(path.read_text())
    path.unlink()
    return doc


def _set(doc: dict[str, Any], dotted: str, value: Any) -> None:
    keys: list[Any] = [int(k) if k.isdigit() else k for k in dotted.split(".")]
    target: Any = doc
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


NEWER = (
    r"written by a newer Remix Studio \(schema studio\.project/7\); "
    r"this version reads up to studio\.project/1$"
)
MUTATIONS = [
    ("timeline.items.1.start", "abc", r"timeline\.items\[1\]\.start: not a time"),
    ("timeline.items.0.duration", "-1", r"timeline\.items\[0\]\.duration: expected a positive"),
    ("timeline.items.2.gain_db", "loud", r"timeline\.items\[2\]\.gain_db: expected a gain"),
    ("timeline.items.0.muted", 1, r"timeline\.items\[0\]\.muted: expected true/false"),
    ("timeline.tracks.0.kind", "subtitle", r"timeline\.tracks\[0\]\.kind: expected one of video, audio"),
    ("timeline.tracks.1.order", "", r"timeline\.tracks\[1\]\.order: not an order key"),
    ("timeline.settings.fps", 0, r"timeline\.settings\.fps: expected a positive rate"),
    ("timeline.markers.0.at", -2, r"timeline\.markers\[0\]\.at: negative time"),
    ("timeline.items", {}, r"timeline\.items: expected a list, got an object"),
    ("timeline.items.3.track", "nowhere", r"timeline\.items\[3\]\.track: unknown track 'nowhere'"),
    ("timeline.items.3.clip", "b" * 64, r"timeline\.items\[3\]\.clip: unknown clip"),
    ("project.id", 7, r"project\.id: expected text, got a number"),
    ("project", None, r"project: expected an object, got null"),
    (f"clips.{CLIP_A}.kind", "hologram", rf"clips\.{CLIP_A}\.kind: expected one of"),
    (f"clips.{CLIP_A}.credits.1.name", "", rf"clips\.{CLIP_A}\.credits\[1\]: credit: missing name"),
    (f"clips.{CLIP_A}.duration", "1/0", rf"clips\.{CLIP_A}\.duration: not a time"),
    (f"clips.{CLIP_A}.lineage.0", "me", rf"clips\.{CLIP_A}\.lineage\[0\]: not a clip id"),
    ("schema", "studio.project/7", NEWER),
    ("schema", "otio/1", r"not a Remix Studio project file \(schema 'otio/1'\)"),
    ("schema", 1, r"schema: expected text"),
]


@pytest.mark.parametrize(
    ("field", "value", "message"), MUTATIONS, ids=[f"{m[0]}={m[1]!r}" for m in MUTATIONS]
)
def test_bad_field_is_named_and_the_file_left_alone(
    tmp_path: Path, field: str, value: Any, message: str
) -> None:
    doc = _good_doc(tmp_path)
    _set(doc, field, value)
    path = write_json(tmp_path / "broken.studio", doc)
    before = path.read_bytes()
    with pytest.raises(InvalidInput, match=r"broken\.studio: " + message):
        load_project_file(path)
    assert path.read_bytes() == before


def test_duplicate_ids_are_named(tmp_path: Path) -> None:
    doc = _good_doc(tmp_path)
    doc["timeline"]["items"][2]["id"] = doc["timeline"]["items"][0]["id"]
    with pytest.raises(InvalidInput, match=r"timeline\.items\[2\]\.id: duplicate id .* \(also items\[0\]\)"):
        load_project_file(write_json(tmp_path / "dup.studio", doc))


def test_missing_and_unknown_fields_are_named(tmp_path: Path) -> None:
    doc = _good_doc(tmp_path)
    del doc["timeline"]["items"][1]["track"]
    with pytest.raises(InvalidInput, match=r"timeline\.items\[1\]\.track: missing"):
        load_project_file(write_json(tmp_path / "a.studio", doc))
    doc = _good_doc(tmp_path)
    doc["timeline"]["tracks"][0]["colour"] = "red"
    with pytest.raises(InvalidInput, match=r"timeline\.tracks\[0\]: unknown field\(s\) colour"):
        load_project_file(write_json(tmp_path / "b.studio", doc))
    doc = _good_doc(tmp_path)
    del doc["schema"]
    with pytest.raises(InvalidInput, match=r"b\.studio: not a project file \(no \"schema\" field\)"):
        load_project_file(write_json(tmp_path / "b.studio", doc))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", r"invalid JSON, line 1, column 2"),
        (b"", r"invalid JSON, the file is empty"),
        (b"[1, 2]", r"the top level is a list, not an object"),
        (b'{"schema": NaN}', r"invalid JSON: NaN is not a number JSON allows"),
        (b"\xff\xfe\x00junk", r"not UTF-8 text"),
    ],
)
def test_not_a_project_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.studio"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=r"x\.studio: not a project file \(.*" + message):
        load_project_file(path)
    assert path.read_bytes() == content


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    tl, clips = sample_project(tmp_path)
    path = tmp_path / "cut.studio"
    save_project_file(path, "p", "n", tl, clips)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInput, match=r"cut\.studio: not a project file \(invalid JSON, line \d+"):
        load_project_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"nope\.studio: no such project file"):
        load_project_file(tmp_path / "nope.studio")


def test_refused_save_leaves_the_existing_file_untouched(tmp_path: Path) -> None:
    tl, clips = sample_project(tmp_path)
    path = tmp_path / "p.studio"
    save_project_file(path, "p", "n", tl, clips)
    before = path.read_bytes()

    tl.items["i-1"].track = "gone"
    with pytest.raises(InvalidInput, match=r"cannot save project file .*p\.studio: timeline\.items\[0\]"):
        save_project_file(path, "p", "n", tl, clips)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["p.studio"]


@pytest.mark.skipif(sys.platform != "linux", reason="uses RLIMIT_FSIZE to make the disk refuse a write")
def test_failure_mid_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    """The write runs in a child process whose file size limit stops it part way through,
    exactly as a full disk would; the previous project file must survive byte for byte."""
    folder = tmp_path / "proj"
    folder.mkdir()
    tl, clips = sample_project(folder)
    path = folder / "p.studio"
    save_project_file(path, "p", "n", tl, clips)
    before = path.read_bytes()
    assert len(before) < 16384

    child = textwrap.dedent(
        f"""
        import resource, signal, sys
        from fractions import Fraction
        from pathlib import Path
        sys.path.insert(0, {str(REPO)!r})
        from tests.core.test_projectfile import sample_project
        from studio.core.projectfile import save_project_file
        from studio.core.timeline import Item
        folder = Path({str(folder)!r})
        tl, clips = sample_project(folder)
        for n in range(400):
            tl.items[f"extra-{{n}}"] = Item(
                f"extra-{{n}}", "t-v2", Fraction(10 + n), Fraction(1), kind="title", text="title text " * 4
            )
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))
        try:
            save_project_file(folder / "p.studio", "p", "n", tl, clips)
        except OSError as exc:
            print("refused:", exc.errno)
            sys.exit(0)
        sys.exit("the oversized write was not refused")
        """
    )
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "refused: 27" in done.stdout  # EFBIG
    assert path.read_bytes() == before
    assert sorted(os.listdir(folder)) == ["p.studio"]
    assert load_project_file(path).timeline == tl


def test_parse_document_without_a_file(tmp_path: Path) -> None:
    doc = _good_doc(tmp_path)
    meta, tl, _ = parse_project_document(doc, tmp_path)
    assert meta.id == "p" and len(tl.items) == 4
    doc["timeline"]["items"][0]["start"] = "x"
    with pytest.raises(InvalidInput, match=r"^timeline\.items\[0\]\.start: not a time"):
        parse_project_document(doc, tmp_path)


def test_looks_like_project_file(tmp_path: Path) -> None:
    tl, clips = sample_project(tmp_path)
    named = tmp_path / "a.studio"
    save_project_file(named, "p", "n", tl, clips)
    other_name = tmp_path / "a.json"
    other_name.write_bytes(named.read_bytes())
    otio_like = write_json(tmp_path / "t.otio", {"OTIO_SCHEMA": "Timeline.1"})
    assert looks_like_project_file(named)
    assert looks_like_project_file(other_name)
    assert not looks_like_project_file(otio_like)
    assert not looks_like_project_file(tmp_path / "missing.studio")
