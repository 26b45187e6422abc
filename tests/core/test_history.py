"""Undo and redo derived from the journal: exact round trips for random edit sequences, history
that survives reopening and is shared by processes, merged drag bursts, labels."""

from __future__ import annotations

import tempfile
import time
from fractions import Fraction as F
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core import edits
from studio.core.errors import EditRejected
from studio.core.project import ProjectSession, create_project
from studio.core.store import Store
from studio.core.timeline import Timeline
from tests.core.conftest import make_clip

CLIPS = [
    make_clip("harbour", "video", F(10)),
    make_clip("song", "audio", F(12)),
    make_clip("poster", "image"),
]

times = st.fractions(min_value=0, max_value=40, max_denominator=4)
short = st.fractions(min_value=0, max_value=5, max_denominator=4)
ACTION_ARGS = {
    "insert": st.tuples(st.integers(0, 2), st.integers(0, 3), st.none() | times, short, short),
    "move": st.tuples(st.integers(0, 50), times, st.integers(0, 3)),
    "trim": st.tuples(st.integers(0, 50), short, short),
    "split": st.tuples(st.integers(0, 50), short),
    "remove": st.tuples(st.integers(0, 50)),
    "ripple": st.tuples(st.integers(0, 50)),
    "gain": st.tuples(st.integers(0, 50), st.integers(-30, 10)),
    "fades": st.tuples(st.integers(0, 50), short, short),
    "marker": st.tuples(times),
    "track": st.tuples(st.sampled_from(["video", "audio"])),
    "lock": st.tuples(st.integers(0, 3), st.booleans()),
    "drop_track": st.tuples(st.integers(0, 3)),
}
# Placing clips is most of editing; dropping tracks and locking are rare.
WEIGHTS = {
    "insert": 8,
    "move": 4,
    "trim": 3,
    "split": 2,
    "remove": 2,
    "ripple": 1,
    "gain": 1,
    "fades": 1,
    "marker": 1,
    "track": 1,
    "lock": 1,
    "drop_track": 1,
}
actions = st.sampled_from([k for k, n in WEIGHTS.items() for _ in range(n)]).flatmap(
    lambda kind: ACTION_ARGS[kind].map(lambda args: (kind, *args))
)


def perform(session: ProjectSession, action: tuple) -> bool:  # type: ignore[type-arg]
    """Run one random edit; False when it was (rightly) refused or changed nothing."""
    tl = session.timeline
    tracks = tl.ordered_tracks()
    items = sorted(tl.items)
    kind = action[0]

    def track(i: int) -> str:
        return tracks[i % len(tracks)].id

    def item(i: int) -> str:
        return items[i % len(items)]

    journaled: list[dict] = []  # type: ignore[type-arg]
    try:
        if kind == "track":
            journaled = session.apply("Add track", edits.add_track(tl, action[1]))
        elif not tracks:
            return False
        elif kind == "insert":
            _, c, t, at, s_in, length = action
            journaled = session.apply(
                "Add clip",
                edits.insert_item(tl, CLIPS[c], track(t), at=at, source_in=s_in, source_out=s_in + length),
            )
        elif kind == "marker":
            journaled = session.apply("Add marker", edits.add_marker(tl, action[1], "note"))
        elif kind == "lock":
            journaled = session.apply("Lock track", edits.set_track_locked(tl, track(action[1]), action[2]))
        elif kind == "drop_track":
            journaled = session.apply("Remove track", edits.remove_track(tl, track(action[1])))
        elif not items:
            return False
        elif kind == "move":
            journaled = session.apply("Move clip", edits.move_item(tl, item(action[1]), at=action[2]))
        elif kind == "trim":
            _, i, s_in, length = action
            journaled = session.apply(
                "Trim clip", edits.trim_item(tl, item(i), source_in=s_in, source_out=s_in + length)
            )
        elif kind == "split":
            target = tl.items[item(action[1])]
            journaled = session.apply("Split clip", edits.split_item(tl, target.id, target.start + action[2]))
        elif kind == "remove":
            journaled = session.apply("Remove clip", edits.remove_item(tl, item(action[1])))
        elif kind == "ripple":
            journaled = session.apply("Ripple delete", edits.ripple_remove(tl, item(action[1])))
        elif kind == "gain":
            journaled = session.apply("Gain", edits.set_gain(tl, item(action[1]), action[2]))
        elif kind == "fades":
            journaled = session.apply(
                "Fades", edits.set_fades(tl, item(action[1]), fade_in=action[2], fade_out=action[3])
            )
    except EditRejected:
        return False
    return bool(journaled)


def undo_all(session: ProjectSession) -> int:
    steps = 0
    while session.can_undo:
        session.undo()
        steps += 1
    return steps


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(actions, min_size=10, max_size=40))
def test_undo_all_restores_the_start_and_redo_all_the_end(steps: list[tuple]) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "s.db") as store:
        session = ProjectSession(store, create_project(store, "p"))
        perform(session, ("track", "video"))
        perform(session, ("track", "audio"))
        start = session.snapshot()
        base_steps = len(session.history.undo_stack())
        done = sum(perform(session, a) for a in steps)
        end = session.snapshot()
        assert not end.overlaps()
        while len(session.history.undo_stack()) > base_steps:
            session.undo()
        assert len(session.history.redo_stack()) == done
        assert session.timeline == start
        while session.can_redo:
            session.redo()
        assert session.timeline == end
        # The journal alone gives the same state, and the same history, to a fresh session.
        reopened = ProjectSession(store, session.info)
        assert reopened.timeline == end
        assert len(reopened.history.undo_stack()) == base_steps + done and not reopened.can_redo
        undo_all(reopened)
        assert reopened.timeline == Timeline()


def test_history_survives_reopening_the_store(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        info = create_project(store, "p")
        session = ProjectSession(store, info)
        session.apply("Add track", lambda tl: edits.add_track(tl, "video"))
        session.apply("Add clip", lambda tl: edits.insert_item(tl, CLIPS[0], "V1"))
        session.undo()
        after_undo = session.snapshot()
    with Store(path) as store:
        session = ProjectSession(store, info)
        assert session.timeline == after_undo
        assert (session.undo_label, session.redo_label) == ("Add track", "Add clip")
        session.redo()
        assert len(session.timeline.items) == 1


def test_two_sessions_on_one_store_share_one_history(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as one, Store(path) as two:
        info = create_project(one, "p")
        a, b = ProjectSession(one, info), ProjectSession(two, info)
        a.apply("Add track", lambda tl: edits.add_track(tl, "video"))
        b.apply("Add clip", lambda tl: edits.insert_item(tl, CLIPS[0], "V1"))
        assert a.undo() == "Add clip"  # catches up with b's edit first
        assert not a.timeline.items
        b.refresh()
        assert not b.timeline.items and b.redo_label == "Add clip"
        assert b.undo() == "Add track"
        a.refresh()
        assert a.timeline == b.timeline == Timeline()


def test_a_new_edit_clears_redo(session: ProjectSession) -> None:
    session.apply("Add track", lambda tl: edits.add_track(tl, "video"))
    session.apply("Add clip", lambda tl: edits.insert_item(tl, CLIPS[0], "V1"))
    session.undo()
    assert session.can_redo
    session.apply("Add marker", lambda tl: edits.add_marker(tl, F(1)))
    assert not session.can_redo
    with pytest.raises(EditRejected, match="nothing to redo"):
        session.redo()
    assert [g.label for g in session.history.undo_stack()] == ["Add track", "Add marker"]


def test_drag_bursts_merge_into_one_undo_step(session: ProjectSession) -> None:
    session.apply("Add track", lambda tl: edits.add_track(tl, "video"))
    item = session.apply("Add clip", lambda tl: edits.insert_item(tl, CLIPS[0], "V1"))[0]["id"]
    for x in range(1, 8):
        session.apply(
            "Move clip", lambda tl, x=x: edits.move_item(tl, item, at=F(x)), merge_key=f"move:{item}"
        )
    assert session.timeline.items[item].start == 7
    assert session.undo_label == "Move clip"
    session.undo()
    assert session.timeline.items[item].start == 0
    assert session.undo_label == "Add clip"
    session.redo()
    assert session.timeline.items[item].start == 7


def test_bursts_do_not_merge_across_other_steps_or_after_the_window(session: ProjectSession) -> None:
    session.apply("Add track", lambda tl: edits.add_track(tl, "video"))
    item = session.apply("Add clip", lambda tl: edits.insert_item(tl, CLIPS[0], "V1"))[0]["id"]
    key = f"move:{item}"
    session.apply("Move clip", edits.move_item(session.timeline, item, at=F(1)), merge_key=key)
    session.apply("Gain", edits.set_gain(session.timeline, item, -3))
    session.apply("Move clip", edits.move_item(session.timeline, item, at=F(2)), merge_key=key)
    session.history.merge_window = 0.05
    time.sleep(0.1)
    session.apply("Move clip", edits.move_item(session.timeline, item, at=F(3)), merge_key=key)
    labels = [g.label for g in session.history.undo_stack()]
    assert labels == ["Add track", "Add clip", "Move clip", "Gain", "Move clip", "Move clip"]


def test_undo_reports_labels_for_the_menu(session: ProjectSession) -> None:
    assert (session.undo_label, session.redo_label) == (None, None)
    with pytest.raises(EditRejected, match="nothing to undo in project 'test'"):
        session.undo()
    session.apply("Add track", lambda tl: edits.add_track(tl, "audio"))
    assert session.undo_label == "Add track"
    assert session.undo() == "Add track"
    assert (session.undo_label, session.redo_label) == (None, "Add track")
