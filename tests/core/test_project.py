"""Project records and sessions: catching up with other writers before every edit, rolling back
refused edits, replicas converging on merged journals, and the fold cache agreeing with a replay."""

from __future__ import annotations

import random
from fractions import Fraction as F
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core import edits, project
from studio.core.errors import EditRejected, InvalidInput, NotFound
from studio.core.project import (
    Change,
    ProjectSession,
    create_project,
    find_project,
    list_projects,
    rename_project,
)
from studio.core.store import JournalRow, Store
from tests.core.conftest import make_clip
from tests.core.test_history import actions, perform

CLIP = make_clip("harbour", "video", F(10))


def test_projects_are_found_by_name_id_or_id_prefix(store: Store) -> None:
    info = create_project(store, "Harbour Days")
    create_project(store, "Another")
    assert find_project(store, "Harbour Days") == info
    assert find_project(store, info.id) == info
    assert find_project(store, info.id[:6]) == info
    with pytest.raises(NotFound, match="no project named 'Nope'"):
        find_project(store, "Nope")
    with pytest.raises(InvalidInput, match="already a project named 'Another'"):
        create_project(store, "Another")
    with pytest.raises(InvalidInput, match="needs a name"):
        create_project(store, "   ")
    with pytest.raises(InvalidInput, match="control characters"):
        create_project(store, "bad\x07name")
    assert rename_project(store, info.id, "Harbour Nights").name == "Harbour Nights"
    assert [p.name for p in list_projects(store)] == ["Another", "Harbour Nights"]


def test_each_edit_first_catches_up_with_other_writers(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as one, Store(path) as two:
        info = create_project(one, "p")
        a, b = ProjectSession(one, info), ProjectSession(two, info)
        a.apply("Add track", lambda tl: edits.add_track(tl, "video"))
        a.apply("Add clip", lambda tl: edits.insert_item(tl, CLIP, "V1", at=F(0)))
        # b has not seen a's edits yet, but its edit is checked against them.
        with pytest.raises(EditRejected, match="would overlap"):
            b.apply("Add clip", lambda tl: edits.insert_item(tl, CLIP, "V1", at=F(5)))
        b.apply("Add clip", lambda tl: edits.insert_item(tl, CLIP, "V1"))
        assert a.refresh() and not a.refresh()
        assert a.timeline == b.timeline and len(a.timeline.items) == 2


def test_listeners_hear_edits_undos_and_catch_ups(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as one, Store(path) as two:
        info = create_project(one, "p")
        a, b = ProjectSession(one, info), ProjectSession(two, info)
        heard: list[Change] = []
        unsubscribe = a.subscribe(heard.append)
        a.apply("Add track", lambda tl: edits.add_track(tl, "video"))
        a.undo()
        b.apply("Add marker", lambda tl: edits.add_marker(tl, F(1)))
        a.refresh()
        assert [(c.origin, c.label, len(c.ops)) for c in heard] == [
            ("edit", "Add track", 1),
            ("undo", "Add track", 1),
            ("other", "", 1),
        ]
        unsubscribe()
        a.apply("Add marker", lambda tl: edits.add_marker(tl, F(2)))
        assert len(heard) == 3


def test_a_refused_step_leaves_timeline_and_journal_as_they_were(session: ProjectSession) -> None:
    session.apply("Add track", lambda tl: edits.add_track(tl, "video"))
    before = session.snapshot()
    rows = len(session.store.journal_ordered(session.id))
    with pytest.raises(EditRejected), session.edit("Add clips") as tx:
        tx.do(edits.add_track(tx.timeline, "video", "V2"))
        tx.do(edits.insert_item(tx.timeline, CLIP, "V2", at=F(0)))
        tx.do(edits.insert_item(tx.timeline, CLIP, "V2", at=F(3)))  # overlaps the one just placed
    assert session.timeline == before
    assert len(session.store.journal_ordered(session.id)) == rows
    assert session.undo_label == "Add track"
    session.apply("Add clip", lambda tl: edits.insert_item(tl, CLIP, "V1"))  # the session still works
    assert ProjectSession(session.store, session.info).timeline == session.timeline


def export_rows(rows: list[JournalRow]) -> list[dict[str, Any]]:
    return [
        {
            "client": r.client,
            "counter": r.counter,
            "lamport": r.lamport,
            "group_id": r.group_id,
            "origin": r.origin,
            "label": r.label,
            "payload": r.op,
            "server_rev": None,
        }
        for r in rows
    ]


def exchange(a: ProjectSession, b: ProjectSession) -> None:
    """What sync does: each replica receives the ops it has not seen yet."""
    a_rows, b_rows = a.store.journal_ordered(a.id), b.store.journal_ordered(b.id)
    with a.store.write():
        a.store.insert_remote_ops(a.id, export_rows(b_rows))
    with b.store.write():
        b.store.insert_remote_ops(b.id, export_rows(a_rows))
    a.refresh()
    b.refresh()


def replicas(tmp_path: Path) -> tuple[ProjectSession, ProjectSession]:
    one, two = Store(tmp_path / "one.db"), Store(tmp_path / "two.db")
    info = create_project(one, "shared")
    create_project(two, "shared", project_id=info.id)
    return ProjectSession(one, info), ProjectSession(two, info)


def test_concurrent_edits_converge_and_keep_both_values(tmp_path: Path) -> None:
    a, b = replicas(tmp_path)
    a.apply("Add track", lambda tl: edits.add_track(tl, "video"))
    item = a.apply("Add clip", lambda tl: edits.insert_item(tl, CLIP, "V1"))[0]["id"]
    exchange(a, b)
    a.apply("Gain", lambda tl: edits.set_gain(tl, item, -3))
    b.apply("Gain", lambda tl: edits.set_gain(tl, item, -9))
    b.apply("Move clip", lambda tl: edits.move_item(tl, item, at=F(4)))
    exchange(a, b)
    assert a.timeline == b.timeline
    (conflict,) = a.timeline.conflicts.values()
    assert (conflict.field, sorted(conflict.values)) == ("gain_db", [-9.0, -3.0])
    assert a.timeline.items[item].start == 4  # the move and the gain edits both survive
    a.apply("Resolve", lambda tl: edits.resolve_conflict(tl, conflict.id, 1))
    exchange(a, b)
    assert a.timeline == b.timeline and not b.timeline.conflicts
    for s in (a, b):
        s.store.close()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(actions, min_size=3, max_size=15), st.lists(actions, min_size=3, max_size=15), st.randoms())
def test_replicas_editing_apart_converge_after_exchange(
    tmp_path_factory: pytest.TempPathFactory,
    mine: list[tuple],
    theirs: list[tuple],
    rnd: random.Random,  # type: ignore[type-arg]
) -> None:
    a, b = replicas(tmp_path_factory.mktemp("replicas"))
    perform(a, ("track", "video"))
    perform(a, ("track", "audio"))
    exchange(a, b)
    for step in mine:
        perform(a, step)
        if rnd.random() < 0.2 and a.can_undo:
            a.undo()
    for step in theirs:
        perform(b, step)
    exchange(a, b)
    assert a.timeline == b.timeline
    b.store.drop_fold_cache(b.id)
    assert ProjectSession(b.store, b.info).timeline == a.timeline
    for s in (a, b):
        s.store.close()


def test_the_fold_cache_agrees_with_a_full_replay(
    session: ProjectSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(project, "CACHE_AFTER", 5)
    session.apply("Add track", lambda tl: edits.add_track(tl, "video"))
    for n in range(8):
        session.apply("Add clip", lambda tl, n=n: edits.insert_item(tl, CLIP, "V1", at=F(20 * n)))
    ids = sorted(session.timeline.items)
    session.apply("Remove clip", lambda tl: edits.remove_item(tl, ids[0]))
    store = session.store
    assert store.load_fold_cache(session.id) is None
    ProjectSession(store, session.info)  # folds 10 ops: writes the cache
    cache = store.load_fold_cache(session.id)
    assert cache is not None and cache.seq == session.last_seq
    session.apply("Move clip", lambda tl: edits.move_item(tl, ids[1], at=F(1000)))
    from_cache = ProjectSession(store, session.info)
    assert from_cache.timeline == session.timeline
    assert from_cache.undo() == "Move clip" and from_cache.undo() == "Remove clip"
    session.refresh()
    store.drop_fold_cache(session.id)
    assert ProjectSession(store, session.info).timeline == from_cache.timeline == session.timeline


def test_ops_merged_in_before_the_cached_fold_force_a_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(project, "CACHE_AFTER", 2)
    a, b = replicas(tmp_path)
    a.apply("Add track", lambda tl: edits.add_track(tl, "video"))
    item = a.apply("Add clip", lambda tl: edits.insert_item(tl, CLIP, "V1"))[0]["id"]
    exchange(a, b)
    b.apply("Move clip", lambda tl: edits.move_item(tl, item, at=F(50)))  # b's op: lamport 3
    for x in range(1, 6):  # a moves on to lamport 7 and caches its fold
        a.apply("Move clip", lambda tl, x=x: edits.move_item(tl, item, at=F(x)))
    a.store.drop_fold_cache(a.id)
    ProjectSession(a.store, a.info)
    assert a.store.load_fold_cache(a.id).key[0] == 7  # type: ignore[union-attr]
    exchange(a, b)  # b's move sorts before a's cached fold: applied after it, it would win
    reopened = ProjectSession(a.store, a.info)
    assert reopened.timeline == b.timeline == a.timeline
    assert reopened.timeline.items[item].start == 5  # a's later moves come last in every replica
    (conflict,) = reopened.timeline.conflicts.values()
    assert conflict.field == "start" and 50 in conflict.values


def test_a_damaged_fold_cache_is_ignored(session: ProjectSession, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(project, "CACHE_AFTER", 1)
    session.apply("Add track", lambda tl: edits.add_track(tl, "video"))
    session.apply("Add clip", lambda tl: edits.insert_item(tl, CLIP, "V1"))
    ProjectSession(session.store, session.info)
    with session.store.write() as conn:
        conn.execute('UPDATE fold_cache SET state = \'{"schema": "studio.fold/1", "timeline": 5}\'')
    assert ProjectSession(session.store, session.info).timeline == session.timeline
