"""The sync tables are part of the store's versioned schema: a library made before they were (schema 6,
with the tables the sync client used to create on first use) migrates keeping their rows, and syncs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from studio.core.migrations import LATEST, MIGRATIONS
from studio.core.project import create_project, find_project
from studio.core.store import Store
from studio.services import sync as svc
from studio.sync import state

# What the sync client ran on first use before the tables joined the store's migrations (verbatim).
_OLD_SYNC_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sync_shadow (
        space TEXT NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL,
        rev INTEGER NOT NULL, doc TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
        conflicts TEXT NOT NULL DEFAULT '[]', owner TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (space, kind, record_id))""",
    "CREATE INDEX IF NOT EXISTS sync_shadow_record ON sync_shadow(kind, record_id)",
    """CREATE TABLE IF NOT EXISTS sync_pending (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, change_id TEXT NOT NULL, space TEXT NOT NULL,
        kind TEXT NOT NULL, record_id TEXT NOT NULL, base_rev INTEGER, fields TEXT NOT NULL,
        deleted INTEGER, sent INTEGER NOT NULL DEFAULT 0, UNIQUE (space, change_id))""",
    "CREATE INDEX IF NOT EXISTS sync_pending_record ON sync_pending(space, kind, record_id)",
    """CREATE TABLE IF NOT EXISTS sync_wanted (
        sha256 TEXT PRIMARY KEY, size INTEGER, added TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sync_rejected (
        space TEXT NOT NULL, seq INTEGER NOT NULL, reason TEXT NOT NULL, entry TEXT NOT NULL,
        PRIMARY KEY (space, seq))""",
    "CREATE TABLE IF NOT EXISTS sync_binding (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS sync_refused (
        space TEXT NOT NULL, change_id TEXT NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL,
        reason TEXT NOT NULL, detail TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (space, change_id))""",
    """CREATE TABLE IF NOT EXISTS sync_confirmed (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, space TEXT NOT NULL, change_id TEXT NOT NULL,
        kind TEXT NOT NULL, record_id TEXT NOT NULL, fields TEXT NOT NULL, base TEXT NOT NULL,
        deleted INTEGER, UNIQUE (space, change_id))""",
    """CREATE TABLE IF NOT EXISTS sync_reconcile (
        space TEXT NOT NULL, kind TEXT NOT NULL, record_id TEXT NOT NULL,
        PRIMARY KEY (space, kind, record_id))""",
)
_SYNC_TABLES = {
    "sync_shadow",
    "sync_pending",
    "sync_wanted",
    "sync_rejected",
    "sync_binding",
    "sync_refused",
    "sync_confirmed",
    "sync_reconcile",
}


def _write_schema_6(path: Path, *, with_sync_tables: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for migration in MIGRATIONS[:6]:
        migration(conn)
    conn.execute("PRAGMA user_version = 6")
    if with_sync_tables:
        for sql in _OLD_SYNC_SCHEMA:
            conn.execute(sql)
        conn.execute(
            "INSERT INTO sync_refused (space, change_id, kind, record_id, reason, detail, at) "
            "VALUES ('public', 'c0ffee', 'clip', 'gone', 'forbidden', 'not yours', ?)",
            ("2026-01-01T00:00:00+00:00",),
        )
        conn.execute(
            "INSERT INTO sync_wanted (sha256, size, added) VALUES (?, 5, '2026-01-01T00:00:00+00:00')",
            ("ab" * 32,),
        )
    conn.execute("COMMIT")
    conn.close()


def _tables(store: Store) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_schema_6_library_without_sync_tables_gets_them(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _write_schema_6(path, with_sync_tables=False)
    with Store(path) as store:
        assert store.schema_version == LATEST == 7
        assert _tables(store) >= _SYNC_TABLES
        with store.read() as conn:
            assert state.refused_changes(conn) == [] and state.wanted_media(conn) == []


def test_a_library_the_previous_code_synced_migrates_keeping_its_rows_and_syncs(server, machines):
    alice = machines("alice")
    with alice.active():
        from studio.core.paths import store_path

        _write_schema_6(store_path(), with_sync_tables=True)
    alice.signup(server.url)
    with alice.store() as store:
        assert store.schema_version == LATEST
        with store.read() as conn:
            assert [r["change"] for r in state.refused_changes(conn)] == ["c0ffee"]
            assert state.wanted_media(conn) == [("ab" * 32, 5)]
        create_project(store, "Carried over")
    bob = machines("bob").signup(server.url)
    alice.call(svc.share_project, "Carried over", bob.user, "editor")
    alice.call(svc.sync)

    # The refused change from before the migration is dropped through the service, and the project made
    # after it reaches the collaborator.
    assert alice.call(svc.drop_refused, "c0ff")["change"] == "c0ffee"
    assert alice.call(svc.refused_changes) == []
    bob.call(svc.sync)
    with bob.store() as store:
        assert find_project(store, "Carried over").name == "Carried over"
