"""Two replicas folding one op log: a same-value concurrent set stays two edits (undoing one keeps
the other), and tracks two people add offline under the same name end with distinct names."""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import pytest

from studio.core import edits, project
from studio.core.ops import inverse
from studio.core.project import ProjectSession
from tests.core.conftest import make_clip
from tests.core.test_project import exchange, replicas

CLIP = make_clip("harbour", "video", F(10))


def _shared_item(tmp_path: Path) -> tuple[ProjectSession, ProjectSession, str]:
    a, b = replicas(tmp_path)
    a.apply("Add track", lambda tl: edits.add_track(tl, "video"))
    item = a.apply("Add clip", lambda tl: edits.insert_item(tl, CLIP, "V1"))[0]["id"]
    exchange(a, b)
    return a, b, item


def test_undo_of_my_set_keeps_a_collaborators_identical_set(tmp_path: Path) -> None:
    a, b, item = _shared_item(tmp_path)
    a.apply("Gain", lambda tl: edits.set_gain(tl, item, -6))
    b.apply("Gain", lambda tl: edits.set_gain(tl, item, -6))
    exchange(a, b)
    assert a.timeline == b.timeline and not a.timeline.conflicts
    assert a.undo() == "Gain"
    exchange(a, b)
    for s in (a, b):  # b's -6 still holds: a withdrew only its own write
        assert s.timeline.items[item].gain_db == -6
        assert not s.timeline.conflicts
    assert b.undo() == "Gain"
    exchange(a, b)
    for s in (a, b):  # nobody holds -6 any more
        assert s.timeline.items[item].gain_db == 0
    assert a.redo() == "Gain"
    exchange(a, b)
    assert a.timeline == b.timeline and a.timeline.items[item].gain_db == -6
    for s in (a, b):
        s.store.drop_fold_cache(s.id)
        assert ProjectSession(s.store, s.info).timeline == a.timeline
        s.store.close()


def test_undo_of_an_unshared_set_still_reverts_it(tmp_path: Path) -> None:
    a, b, item = _shared_item(tmp_path)
    a.apply("Gain", lambda tl: edits.set_gain(tl, item, -6))
    b.apply("Move clip", lambda tl: edits.move_item(tl, item, at=F(3)))
    exchange(a, b)
    a.undo()
    exchange(a, b)
    for s in (a, b):
        assert s.timeline.items[item].gain_db == 0 and s.timeline.items[item].start == 3
        s.store.close()


def test_the_writers_of_a_value_survive_the_fold_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(project, "CACHE_AFTER", 1)
    a, b, item = _shared_item(tmp_path)
    a.apply("Gain", lambda tl: edits.set_gain(tl, item, -6))
    b.apply("Gain", lambda tl: edits.set_gain(tl, item, -6))
    exchange(a, b)
    a.store.drop_fold_cache(a.id)
    ProjectSession(a.store, a.info)  # writes the cache
    assert a.store.load_fold_cache(a.id) is not None
    reopened = ProjectSession(a.store, a.info)
    assert reopened.undo() == "Gain"
    assert reopened.timeline.items[item].gain_db == -6
    for s in (a, b):
        s.store.close()


def test_an_undo_names_the_set_it_reverts() -> None:
    op = {"op": "set", "entity": "item", "id": "x", "new": {"gain_db": -6.0}, "old": {"gain_db": 0.0}}
    assert inverse(op, "c:7")["reverts"] == "c:7"
    assert "reverts" not in inverse(op)


def test_tracks_added_offline_by_two_people_get_distinct_names(tmp_path: Path) -> None:
    a, b = replicas(tmp_path)
    a.apply("Add track", lambda tl: edits.add_track(tl, "video"))
    a.apply("Add track", lambda tl: edits.add_track(tl, "video"))
    exchange(a, b)
    mine = a.apply("Add track", lambda tl: edits.add_track(tl, "video"))[0]["id"]
    theirs = b.apply("Add track", lambda tl: edits.add_track(tl, "video"))[0]["id"]
    a.apply("Add track", lambda tl: edits.add_track(tl, "audio", "Music"))
    b.apply("Add track", lambda tl: edits.add_track(tl, "audio", "Music"))
    assert a.timeline.tracks[mine].name == b.timeline.tracks[theirs].name == "V3"
    a.apply("Add clip", lambda tl: edits.insert_item(tl, CLIP, "V3"))
    b.apply("Add clip", lambda tl: edits.insert_item(tl, CLIP, "V3"))
    exchange(a, b)
    assert a.timeline == b.timeline
    names = sorted(t.name for t in a.timeline.tracks.values())
    assert names == ["Music", "Music 2", "V1", "V2", "V3", "V4"]
    assert {a.timeline.tracks[mine].name, a.timeline.tracks[theirs].name} == {"V3", "V4"}
    on = {t: sorted(i.track for i in s.timeline.items.values()) for t, s in (("a", a), ("b", b))}
    assert on["a"] == on["b"] == sorted([mine, theirs])  # each clip stays on its own track
    for s in (a, b):
        s.store.drop_fold_cache(s.id)
        assert ProjectSession(s.store, s.info).timeline == a.timeline


def test_undoing_a_track_renamed_by_the_merge_removes_it(tmp_path: Path) -> None:
    a, b = replicas(tmp_path)
    a.apply("Add track", lambda tl: edits.add_track(tl, "video", track_id="a-track"))
    b.apply("Add track", lambda tl: edits.add_track(tl, "video", track_id="b-track"))
    exchange(a, b)
    mine = {"a-track": a, "b-track": b}
    (who,) = [s for tid, s in mine.items() if a.timeline.tracks[tid].name == "V2"]
    who.undo()
    exchange(a, b)
    assert a.timeline == b.timeline
    assert [t.name for t in a.timeline.tracks.values()] == ["V1"] and not a.timeline.conflicts
