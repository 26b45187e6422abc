"""Project use-cases on real imported media: placing clips (tracks made as needed), edits checked
against the clips' real durations, `show` documents, and .otio round trips through the interchange."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from studio.core import gestures
from studio.core.clips import Clip
from studio.core.errors import EditRejected, InvalidInput, NotFound
from studio.core.library import get_record
from studio.core.store import Store
from studio.services import projects
from studio.services.library import import_files, parse_creator
from tests import mediagen

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "otio"


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("project-media")
    return {
        "video": mediagen.make_video(folder / "harbour.mp4", 2, size="160x120"),
        "tone": mediagen.make_audio(folder / "gulls.wav", 1),
    }


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "studio.db") as opened:
        yield opened


@pytest.fixture()
def clips(store: Store, media: dict[str, Path]) -> dict[str, Clip]:
    video, tone = import_files(store, [media["video"], media["tone"]], creators=[parse_creator("Ann:camera")])
    return {"video": video.clip, "tone": tone.clip}


def test_clips_go_on_tracks_of_their_kind_made_as_needed(store: Store, clips: dict[str, Clip]) -> None:
    projects.new_project(store, "p")
    session = projects.open_project(store, "p")
    picture = projects.add_clip(session, "harbour")
    sound = projects.add_clip(session, clips["tone"].id[:10], track="A2", at="1/2")
    titled = projects.add_clip(
        session, clips["video"].id, track="V3", at="2.25", source_in="0.5", source_out="1.5"
    )
    names = {t.id: t.name for t in session.timeline.tracks.values()}
    assert (names[picture.track], names[sound.track], names[titled.track]) == ("V1", "A2", "V3")
    assert (picture.start, picture.duration) == (0, clips["video"].duration)
    assert sound.start == Fraction(1, 2)
    assert (titled.start, titled.source_in, titled.source_out) == (
        Fraction(9, 4),
        Fraction(1, 2),
        Fraction(3, 2),
    )
    # A clip with picture and sound lands as a linked pair: its sound on the lowest audio track.
    halves = {names[i.track]: i for i in gestures.linked_items(session.timeline, titled.id)}
    assert set(halves) == {"V3", "A1"}
    assert {(i.start, i.source_in, i.source_out) for i in halves.values()} == {
        (Fraction(9, 4), Fraction(1, 2), Fraction(3, 2))
    }
    with pytest.raises(NotFound, match=r"no track 'Music' in this project \(tracks: V1, V2, A1, A2, V3\)"):
        projects.add_clip(session, "gulls", track="Music")
    with pytest.raises(InvalidInput, match="time on the timeline: not a time"):
        projects.add_clip(session, "gulls", at="soon")
    with pytest.raises(InvalidInput, match="the in point: '-1' is negative"):
        projects.add_clip(session, "gulls", source_in="-1")
    with pytest.raises(EditRejected, match="sound only"):
        projects.add_clip(session, "gulls", track="V4")
    assert session.timeline.track_by_name("V4") is None  # the refused edit made no track either


def test_edits_use_the_clips_real_durations(store: Store, clips: dict[str, Clip]) -> None:
    projects.new_project(store, "p")
    session = projects.open_project(store, "p")
    item = projects.add_clip(session, "harbour", at=3)
    duration = clips["video"].duration
    assert duration is not None
    with pytest.raises(EditRejected, match="past the end of the clip"):
        projects.trim_item(session, item.id[:6], source_out=duration + Fraction(1, 10))
    trimmed = projects.trim_item(session, item.id[:6], source_in="1/2")
    assert (trimmed.start, trimmed.source_in, trimmed.end) == (Fraction(7, 2), Fraction(1, 2), 3 + duration)
    moved = projects.move_item(session, item.id, at="10")
    assert moved.start == 10
    with pytest.raises(InvalidInput, match="a move needs a time on the timeline, a track or both"):
        projects.move_item(session, item.id)
    assert projects.remove_item(session, item.id[:8]) == item.id
    assert projects.undo(session) == "Remove clip"
    assert projects.undo(session) == "Move clip"
    assert projects.redo(session) == "Move clip"
    assert session.timeline.items[item.id].start == 10


def test_show_lists_tracks_items_and_conflicts_with_exact_times(store: Store, clips: dict[str, Clip]) -> None:
    projects.new_project(store, "p")
    session = projects.open_project(store, "p")
    item = projects.add_clip(session, "harbour", at="1/3", source_out="1.25")
    doc = projects.describe(projects.open_project(store, "p"))
    tracks = [(t["name"], t["kind"]) for t in doc["tracks"]]
    assert tracks == [("V1", "video"), ("V2", "video"), ("A1", "audio"), ("A2", "audio")]
    shown, heard = sorted(doc["items"], key=lambda i: i["track"] != "V1")
    common = {
        "kind": "clip",
        "clip": clips["video"].id,
        "title": "harbour",
        "at": "1/3",
        "in": "0",
        "out": "1.25",
        "duration": "1.25",
        "gain_db": 0.0,
        "muted": False,
    }
    assert shown == {**common, "id": item.id, "track": "V1", "linked": [heard["id"]]}
    assert heard == {**common, "id": heard["id"], "track": "A1", "linked": [item.id]}
    assert (doc["conflicts"], doc["overlaps"], doc["undo"], doc["redo"]) == ([], [], "Add clip", None)


def test_otio_export_and_import_round_trip(store: Store, clips: dict[str, Clip], tmp_path: Path) -> None:
    projects.new_project(store, "p")
    session = projects.open_project(store, "p")
    projects.add_clip(session, "harbour", at="1/2", source_in="1/4", source_out="3/2")
    projects.add_clip(session, "gulls", track="A2", at="1")
    out = tmp_path / "p.otio"
    projects.export_timeline(session, out)
    assert out.is_file()
    imported = projects.import_timeline(store, out, name="copy")
    assert imported.offline == []
    original, copy = projects.describe(session), projects.describe(imported.session)
    keep = ("clip", "track", "at", "in", "out")
    assert sorted(tuple(i[k] for k in keep) for i in copy["items"]) == sorted(
        tuple(i[k] for k in keep) for i in original["items"]
    )
    assert copy["undo"] == "Import p.otio"
    projects.undo(imported.session)
    assert imported.session.timeline.items == {}
    with pytest.raises(InvalidInput, match="already a project named 'copy'"):
        projects.import_timeline(store, out, name="copy")


def test_importing_a_timeline_whose_media_is_offline(store: Store) -> None:
    import opentimelineio as otio

    path = SAMPLES / "simple_cut.otio"
    imported = projects.import_timeline(store, path)
    assert imported.session.name == otio.adapters.read_from_file(str(path)).name
    assert imported.offline and imported.session.timeline.items
    for clip_id in imported.offline:
        assert get_record(store, clip_id).media_present is False


@pytest.mark.parametrize("name", ["effects", "premiere_example_marker2", "screening_example_marker2"])
def test_otio_fidelity_survives_the_journal(store: Store, name: str, tmp_path: Path) -> None:
    """Imported into a project (ops in the journal), reopened from the store and exported: the start
    time, markers and other tools' timeline and track metadata are as the sample had them."""
    from tests.services.test_interchange import timeline_facts

    path = SAMPLES / f"{name}.otio"
    imported = projects.import_timeline(store, path, name="sample")
    reopened = projects.open_project(store, "sample")
    assert reopened.snapshot() == imported.session.snapshot()
    out = tmp_path / "again.otio"
    projects.export_timeline(reopened, out)
    facts = timeline_facts(path)
    assert timeline_facts(out) == facts
    shown = projects.describe(reopened)
    assert shown["start_time"] == ("3600" if name == "effects" else "0")
    assert sorted(m["colour"] for m in shown["markers"]) == sorted(m[2] for m in facts["markers"])
