"""`studio project ...` end to end in subprocesses: ids on stdout, --json documents, one-line errors,
undo/redo across separate processes, and .otio export/import."""

from __future__ import annotations

import json
import re
from pathlib import Path

import opentimelineio as otio

from tests.cli.conftest import Run, ok, one_line_error

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def show(studio: Run, name: str) -> dict:  # type: ignore[type-arg]
    doc: dict = json.loads(ok(studio("project", "show", name, "--json")))  # type: ignore[type-arg]
    return doc


def test_edit_a_project_from_the_command_line(studio: Run, cli_media: dict[str, Path]) -> None:
    video_id, tone_id = ok(studio("import", cli_media["video"], cli_media["tone"])).split()
    project_id = ok(studio("project", "new", "demo")).strip()
    assert HEX32.match(project_id)
    assert json.loads(ok(studio("project", "new", "other", "--json")))["name"] == "other"

    first = ok(studio("project", "add", "demo", "harbour")).strip()
    sound = ok(studio("project", "add", "demo", tone_id[:8], "--track", "A2", "--at", "1/2")).strip()
    added = json.loads(
        ok(
            studio(
                "project",
                "add",
                "demo",
                video_id,
                "--track",
                "V2",
                "--at",
                "5",
                "--in",
                "0.25",
                "--out",
                "1.25",
                "--json",
            )
        )
    )
    assert HEX32.match(first) and HEX32.match(sound)
    assert (added["track"], added["at"], added["in"], added["out"]) == ("V2", "5", "0.25", "1.25")
    (added_sound,) = added["linked"]

    doc = show(studio, "demo")
    assert doc["id"] == project_id
    assert [t["name"] for t in doc["tracks"]] == ["V1", "V2", "A1", "A2"]  # the default tracks
    rows = {i["id"]: (i["clip"], i["track"], i["at"], i["in"], i["out"]) for i in doc["items"]}
    assert rows[sound] == (tone_id, "A2", "0.5", "0", "1")
    assert rows[first][:4] == (video_id, "V1", "0", "0")
    assert rows[added_sound] == (video_id, "A1", "5", "0.25", "1.25")
    assert doc["conflicts"] == []

    assert ok(studio("project", "move", "demo", first[:6], "--at", "3")).strip() == first
    assert ok(studio("project", "trim", "demo", first[:6], "--in", "0.5", "--out", "1.5")).strip() == first
    item = next(i for i in show(studio, "demo")["items"] if i["id"] == first)
    assert (item["at"], item["in"], item["out"]) == ("3.5", "0.5", "1.5")

    ok(studio("project", "remove", "demo", sound))
    assert sound not in {i["id"] for i in show(studio, "demo")["items"]}
    assert ok(studio("project", "undo", "demo")).strip() == "undone: Remove clip"
    assert ok(studio("project", "undo", "demo")).strip() == "undone: Trim clip"
    assert ok(studio("project", "redo", "demo")).strip() == "redone: Trim clip"
    doc = show(studio, "demo")
    assert sound in {i["id"] for i in doc["items"]}
    assert (doc["undo"], doc["redo"]) == ("Trim clip", "Remove clip")

    text = ok(studio("project", "show", "demo"))
    assert first[:12] in text and "harbour" in text and "Conflicts: none" in text


def test_errors_are_one_line_with_a_non_zero_exit(studio: Run, cli_media: dict[str, Path]) -> None:
    ok(studio("import", cli_media["video"]))
    assert "no project named 'ghost'" in one_line_error(studio("project", "add", "ghost", "harbour"))
    ok(studio("project", "new", "demo"))
    assert "already a project named 'demo'" in one_line_error(studio("project", "new", "demo"))
    item = ok(studio("project", "add", "demo", "harbour")).strip()
    assert "would overlap item" in one_line_error(studio("project", "add", "demo", "harbour", "--at", "1"))
    assert "--at: not a time" in one_line_error(studio("project", "move", "demo", item, "--at", "later"))
    assert "no item 'ffff'" in one_line_error(studio("project", "trim", "demo", "ffff", "--out", "1"))
    assert "past the end of the clip" in one_line_error(studio("project", "trim", "demo", item, "--out", "9"))
    assert "nothing to redo" in one_line_error(studio("project", "redo", "demo"))
    message = one_line_error(studio("project", "share", "demo", "--with", "bob"))
    assert "not logged in to a server: run studio login" in message
    assert studio("project", "share", "demo", "--with", "bob").returncode == 2


def test_otio_export_and_import(studio: Run, cli_media: dict[str, Path], tmp_path: Path) -> None:
    ok(studio("import", cli_media["video"], cli_media["tone"], "--creator", "Ann:camera"))
    ok(studio("project", "new", "demo"))
    ok(studio("project", "add", "demo", "harbour", "--at", "1", "--out", "1.5"))
    ok(studio("project", "add", "demo", "gulls"))
    out = tmp_path / "demo.otio"
    ok(studio("project", "export", "demo", "-o", out))
    timeline = otio.adapters.read_from_file(str(out))
    clips = [c for c in timeline.find_clips()]
    assert sorted(c.name for c in clips) == ["gulls", "harbour", "harbour"]  # harbour's picture and sound
    project_id = ok(studio("project", "import", out, "--name", "copy")).strip()
    copy = show(studio, "copy")
    assert copy["id"] == project_id
    keep = ("clip", "track", "at", "in", "out")
    assert sorted(tuple(i[k] for k in keep) for i in copy["items"]) == sorted(
        tuple(i[k] for k in keep) for i in show(studio, "demo")["items"]
    )


def test_move_and_remove_take_a_linked_pair_along(studio: Run, cli_media: dict[str, Path]) -> None:
    """A pair the app placed (picture and sound linked) moves and goes as one from the command line."""
    from fractions import Fraction

    from studio.core import gestures
    from studio.services import projects

    ok(studio("import", cli_media["video"]))
    ok(studio("project", "new", "pair"))
    with projects.open_store() as store:
        session = projects.open_project(store, "pair")
        v1 = session.timeline.track_by_name("V1")
        clip = projects.clip_lookup(store)(ok(studio("import", cli_media["video"])).strip())
        assert v1 is not None and clip is not None and clip.has_audio
        with session.edit("Add clip") as tx:
            picture, sound = gestures.place_clip(tx, clip, v1.id, Fraction(0))
    ok(studio("project", "move", "pair", sound[:8], "--at", "2"))
    rows = {i["id"]: (i["track"], i["at"]) for i in show(studio, "pair")["items"]}
    assert rows == {picture: ("V1", "2"), sound: ("A1", "2")}
    ok(studio("project", "remove", "pair", picture))
    assert show(studio, "pair")["items"] == []


def test_adding_a_clip_with_picture_and_sound_journals_what_a_drop_in_the_app_does(
    studio: Run, cli_media: dict[str, Path]
) -> None:
    """`studio project add` and a drop in the app (core.gestures.place_clip, what the timeline panel runs)
    give the same journal: a linked pair, picture on V1 and sound on A1, with the same link metadata."""
    from fractions import Fraction

    from studio.core import gestures
    from studio.services import projects
    from tests.services.test_linked_edits import journal

    video_id = ok(studio("import", cli_media["video"])).strip()
    ok(studio("project", "new", "cli"))
    picture = ok(studio("project", "add", "cli", "harbour", "--at", "1")).strip()
    later = ok(studio("project", "add", "cli", video_id[:8])).strip()  # at the end of V1 and A1
    with projects.open_store() as store:
        clip = projects.clip_lookup(store)(video_id)
        assert clip is not None and clip.has_video and clip.has_audio
        app = projects.create_session(store, "app")
        v1 = app.timeline.track_by_name("V1")
        assert v1 is not None
        for at in (Fraction(1), Fraction(3)):  # dropped on V1 at 1 s, then right after the first
            with app.edit("Add clip") as tx:
                gestures.place_clip(tx, clip, v1.id, at)
        assert journal(store, projects.open_project(store, "cli")) == journal(store, app)
    items = {i["id"]: i for i in show(studio, "cli")["items"]}
    assert len(items) == 4
    for item_id, at in ((picture, "1"), (later, "3")):
        (sound,) = items[item_id]["linked"]
        assert (items[item_id]["track"], items[sound]["track"]) == ("V1", "A1")
        assert items[item_id]["at"] == items[sound]["at"] == at
        assert items[sound]["linked"] == [item_id]
