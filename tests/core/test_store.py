"""The local store: its settings, migrations from an empty file and from the previous schema,
transactions, the journal's sync side (remote ops, acknowledgements), the outbox, and writers in
several processes at once."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
from fractions import Fraction as F
from pathlib import Path

import pytest

from studio.core import edits
from studio.core.migrations import LATEST, MIGRATIONS
from studio.core.project import ProjectSession, create_project
from studio.core.store import Store, StoreError
from tests.core.conftest import make_clip

CLIP = make_clip("harbour", "video", F(100))


def pragma(store: Store, name: str) -> object:
    return store.conn.execute(f"PRAGMA {name}").fetchone()[0]


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def test_a_new_store_uses_wal_foreign_keys_and_the_latest_schema(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        assert pragma(store, "journal_mode") == "wal"
        assert pragma(store, "foreign_keys") == 1
        assert pragma(store, "synchronous") == 1  # NORMAL
        assert pragma(store, "busy_timeout") == 30000
        assert store.schema_version == LATEST == len(MIGRATIONS)
        assert len(store.client_id) == 32 and int(store.client_id, 16) >= 0
        client = store.client_id
    assert {
        "meta",
        "contributors",
        "clips",
        "projects",
        "ops",
        "outbox",
        "sync_state",
        "fold_cache",
    } <= tables(tmp_path / "s.db")
    with Store(tmp_path / "s.db") as again, Store(tmp_path / "other.db") as other:
        assert again.client_id == client
        assert other.client_id != client


def test_several_openers_of_a_new_store_at_once_all_get_it(tmp_path: Path) -> None:
    """The app opens its library from more than one place at start; switching a new file to WAL can fail
    at once with "database is locked" for all but one of them, which must wait and try again."""
    failures: list[str] = []
    for round_no in range(60):
        path = tmp_path / f"new-{round_no}.db"
        barrier = threading.Barrier(3)

        def open_store(path: Path = path, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                Store(path).close()
            except StoreError as exc:
                failures.append(str(exc))

        threads = [threading.Thread(target=open_store) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []


def test_an_empty_file_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(b"")
    with Store(path) as store:
        assert store.schema_version == LATEST
        assert store.integrity_check() == []


def write_previous_version(path: Path) -> None:
    """A store as the previous release left it: schema LATEST - 1, with a project and some edits."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    for migration in MIGRATIONS[:1]:  # the schema before the fold cache
        migration(conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO projects (id, name, created) VALUES ('p1', 'old', '2025-01-01T00:00:00+00:00')")
    client = conn.execute("SELECT value FROM meta WHERE key = 'client_id'").fetchone()[0]
    track = {
        "id": "t1",
        "kind": "video",
        "name": "V1",
        "order": "V",
        "muted": False,
        "locked": False,
        "metadata": {},
    }
    ops = [
        {"op": "insert", "entity": "track", "id": "t1", "value": track},
        {"op": "set", "entity": "track", "id": "t1", "new": {"name": "Main"}, "old": {"name": "V1"}},
    ]
    for counter, op in enumerate(ops, start=1):
        conn.execute(
            "INSERT INTO ops (project_id, client, counter, lamport, op_id, group_id, origin, label, created, "
            "payload) VALUES ('p1', ?, ?, ?, ?, ?, 'edit', 'Edit', 0, ?)",
            (client, counter, counter, f"{client}:{counter}", f"g{counter}", json.dumps(op)),
        )
    conn.execute("UPDATE meta SET value = '2' WHERE key IN ('counter', 'lamport')")
    conn.execute("COMMIT")
    conn.close()


def test_the_previous_schema_is_migrated_keeping_projects_and_history(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    write_previous_version(path)
    assert "fold_cache" not in tables(path)
    with Store(path) as store:
        assert store.schema_version == LATEST
        session = ProjectSession(store, "old")
        assert [t.name for t in session.timeline.ordered_tracks()] == ["Main"]
        assert session.undo() == "Edit"
        assert [t.name for t in session.timeline.ordered_tracks()] == ["V1"]
        assert store.integrity_check() == []
    assert "fold_cache" in tables(path)


def test_a_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    with pytest.raises(StoreError, match=f"newer studio \\(schema {LATEST + 1}"):
        Store(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"meeting notes, not a database\n" * 100)
    with pytest.raises(StoreError, match="not a usable studio store"):
        Store(path)
    assert path.read_bytes().startswith(b"meeting notes")


def test_write_rolls_back_on_error_and_nests(store: Store) -> None:
    with pytest.raises(RuntimeError, match="boom"), store.write() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")
        with store.write():
            conn.execute("INSERT INTO meta (key, value) VALUES ('b', '2')")
        raise RuntimeError("boom")
    assert store.get_meta("a", "missing") == "missing"
    assert store.get_meta("b", "missing") == "missing"
    with store.read(), pytest.raises(RuntimeError, match=r"inside store\.read"), store.write():
        pass
    with pytest.raises(RuntimeError, match=r"inside `with store\.write"):
        store.reserve_counters(1)


def test_remote_ops_are_added_once_and_advance_the_clock(store: Store) -> None:
    info = create_project(store, "p")
    track = {
        "id": "t9",
        "kind": "audio",
        "name": "A9",
        "order": "a",
        "muted": False,
        "locked": False,
        "metadata": {},
    }
    row = {
        "client": "remote",
        "counter": 7,
        "lamport": 41,
        "group_id": "g",
        "origin": "edit",
        "label": "Add track",
        "payload": {"op": "insert", "entity": "track", "id": "t9", "value": track},
        "server_rev": 3,
    }
    with store.write():
        assert store.insert_remote_ops(info.id, [row, row]) == 1
        assert store.insert_remote_ops(info.id, [row]) == 0
        assert store.tick_lamport(0) == 42
    (stored,) = store.journal_ordered(info.id)
    assert (stored.op_id, stored.server_rev, stored.key) == ("remote:7", 3, (41, "remote", 7))
    bad = dict(row, payload={"op": "explode"})
    with store.write(), pytest.raises(Exception, match="unknown kind 'explode'"):
        store.insert_remote_ops(info.id, [bad])


def test_pushed_ops_are_acknowledged(session: ProjectSession) -> None:
    session.apply("Add track", lambda tl: edits.add_track(tl, "video"))
    session.apply("Add clip", lambda tl: edits.insert_item(tl, CLIP, "V1"))
    store = session.store
    pending = store.unacknowledged_ops(session.id)
    assert len(pending) == 2
    store.acknowledge_ops({pending[0].op_id: 10})
    assert [r.op_id for r in store.unacknowledged_ops(session.id)] == [pending[1].op_id]


def test_record_changes_are_queued_in_the_outbox_until_taken(store: Store) -> None:
    info = create_project(store, "queued")
    create_project(store, "pulled", queue=False)
    (entry,) = store.outbox()
    assert (entry.kind, entry.record_id, entry.payload["name"]) == ("project", info.id, "queued")
    store.remove_outbox([entry.change_id])
    assert store.outbox() == []


def test_sync_cursors_are_kept_per_space(store: Store) -> None:
    assert store.get_cursor("public") is None
    store.set_cursor("public", "e1:10")
    store.set_cursor("public", "e1:12")
    store.set_cursor("team", "e1:3")
    assert (store.get_cursor("public"), store.get_cursor("team")) == ("e1:12", "e1:3")


def _append_edits(path: str, project: str, worker: int, count: int) -> list[str]:
    with Store(Path(path), busy_timeout=60) as store:
        session = ProjectSession(store, project)
        ids = []
        for n in range(count):
            item_id = f"w{worker}n{n}"
            session.apply("Add clip", lambda tl, i=item_id: edits.insert_item(tl, CLIP, "V1", item_id=i))
            ids.append(item_id)
        return ids


def test_several_processes_write_one_project_at_once(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        session = ProjectSession(store, create_project(store, "shared"))
        session.apply("Add track", lambda tl: edits.add_track(tl, "video"))
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        results = pool.starmap(_append_edits, [(str(path), "shared", w, 15) for w in range(4)])
    with Store(path) as store:
        session = ProjectSession(store, "shared")
        assert {i for ids in results for i in ids} == set(session.timeline.items)
        assert not session.timeline.overlaps()  # each edit was checked against everything before it
        counters = [r.counter for r in store.journal_ordered(session.id)]
        assert len(counters) == len(set(counters)) == 61
        assert store.integrity_check() == []
