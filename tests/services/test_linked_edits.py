"""The edit rules are one: the same edit made through the CLI's service calls and through the app's
gestures (what the timeline panel runs on a drag, a trim or Delete) journals the same ops, linked
picture+sound pairs included, and both front ends start a project with the same tracks. No Qt here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from studio.core import edits, gestures
from studio.core.clips import Clip
from studio.core.library import save_clip
from studio.core.project import ProjectSession, create_project
from studio.core.store import Store
from studio.services import projects
from tests.core.conftest import make_clip

UUID = re.compile(r"\b[0-9a-f]{32}\b")


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "studio.db") as opened:
        yield opened


@pytest.fixture()
def harbour(store: Store) -> Clip:
    clip = make_clip("harbour", "video", Fraction(10))
    with store.write():
        save_clip(store, clip, media_present=False)
    return clip


def journal(store: Store, session: ProjectSession) -> list[str]:
    """The project's ops in journal order with every generated id (items, tracks, links, the
    project) replaced by its order of first appearance, so two projects can be compared."""
    names: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        return names.setdefault(match.group(0), f"<id{len(names)}>")

    return [UUID.sub(rename, json.dumps(row.op, sort_keys=True)) for row in store.journal_ordered(session.id)]


def placed_pair(store: Store, name: str, clip: Clip) -> tuple[ProjectSession, str, str]:
    """A project with the clip dropped on V1 at 1 s, as the app places it: picture and sound linked."""
    session = projects.create_session(store, name)
    v1 = session.timeline.track_by_name("V1")
    assert v1 is not None
    with session.edit("Add clip") as tx:
        picture, sound = gestures.place_clip(tx, clip, v1.id, Fraction(1))
    return session, picture, sound


def test_both_front_ends_start_a_project_with_the_same_tracks(store: Store, tmp_path: Path) -> None:
    made_by_cli = projects.open_project(store, projects.new_project(store, "cli").id)
    with Store(tmp_path / "first-start.db") as empty:
        made_by_app = projects.open_last_project(empty, "", "My first remix")  # the app's first start
        assert made_by_app.name == "My first remix"
        assert journal(empty, made_by_app) == journal(store, made_by_cli)
    tracks = [(t.name, t.kind) for t in made_by_cli.timeline.ordered_tracks()]
    assert sorted(tracks) == [("A1", "audio"), ("A2", "audio"), ("V1", "video"), ("V2", "video")]
    assert made_by_cli.undo_label == "New project"
    assert projects.open_last_project(store, "nothing by this name", "unused").id == made_by_cli.id


def test_a_move_trim_and_remove_journal_the_same_ops_in_cli_and_app(store: Store, harbour: Clip) -> None:
    cli, cli_picture, cli_sound = placed_pair(store, "cli", harbour)
    app, app_picture, app_sound = placed_pair(store, "app", harbour)
    assert journal(store, cli) == journal(store, app)

    # Move the picture to 3 s: `studio project move cli PICTURE --at 3` / a drag of the selected pair.
    projects.move_item(cli, cli_picture, at="3")
    with app.edit("Move 2 clips") as tx:
        gestures.move(tx, [app_picture, app_sound], Fraction(2), {})
    assert cli.timeline.items[cli_sound].start == 3
    # Trim the sound's out point to 6 s of the clip: `trim --out 6` / dragging its end edge.
    projects.trim_item(cli, cli_sound[:10], source_out="6")
    with app.edit("Trim end") as tx:
        gestures.trim(tx, app_sound, "end", Fraction(3 + 6), projects.clip_lookup(store))
    assert cli.timeline.items[cli_picture].source_out == 6
    # Trim the in point of the picture: its sound follows.
    projects.trim_item(cli, cli_picture, source_in="1/2")
    with app.edit("Trim start") as tx:
        gestures.trim(tx, app_picture, "start", Fraction(7, 2), projects.clip_lookup(store))
    assert cli.timeline.items[cli_sound].start == Fraction(7, 2)
    assert journal(store, cli) == journal(store, app)

    # Remove the sound: `studio project remove` / Delete on the selected pair.
    projects.remove_item(cli, cli_sound)
    with app.edit("Delete") as tx:
        gestures.delete(tx, [app_sound, app_picture])
    assert cli.timeline.items == {} == app.timeline.items
    assert journal(store, cli) == journal(store, app)


def test_moving_one_half_to_another_track_keeps_the_other_on_its_own(store: Store, harbour: Clip) -> None:
    session, picture, sound = placed_pair(store, "p", harbour)
    moved = projects.move_item(session, picture, at="4", track="V2")
    tracks = {t.id: t.name for t in session.timeline.tracks.values()}
    assert (tracks[moved.track], moved.start) == ("V2", 4)
    other = session.timeline.items[sound]
    assert (tracks[other.track], other.start) == ("A1", 4)


def test_an_unlinked_item_moves_alone(store: Store, harbour: Clip) -> None:
    session, picture, sound = placed_pair(store, "p", harbour)
    mute = make_clip("mute", "video", Fraction(10), has_audio=False)
    with store.write():
        save_clip(store, mute, media_present=False)
    lone = projects.add_clip(session, "mute", track="V2", at="20")
    assert gestures.linked_items(session.timeline, lone.id) == [lone]
    projects.move_item(session, lone.id, at="30")
    assert session.timeline.items[lone.id].start == 30
    assert session.timeline.items[picture].start == session.timeline.items[sound].start == 1


def test_the_command_line_makes_the_track_a_pair_needs(store: Store, harbour: Clip) -> None:
    """A project with no audio track (one made before projects had default tracks): the sound half gets
    an A1 made for it in the same undo step, rather than being left out."""
    bare = ProjectSession(store, create_project(store, "bare"))
    with bare.edit("Add track") as tx:
        tx.do(edits.add_track(tx.timeline, "video", "V1"))
    picture = projects.add_clip(bare, "harbour", at="2")
    halves = gestures.linked_items(bare.timeline, picture.id)
    names = {t.id: t.name for t in bare.timeline.tracks.values()}
    assert [(names[i.track], i.start) for i in halves] == [("V1", 2), ("A1", 2)]
    assert projects.undo(bare) == "Add clip"
    assert [t.name for t in bare.timeline.ordered_tracks()] == ["V1"] and bare.timeline.items == {}
