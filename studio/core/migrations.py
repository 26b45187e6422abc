"""The local store's schema, as an ordered list of migrations keyed by PRAGMA user_version.

Migration N (1-based) turns a version N-1 database into version N. Each runs inside the
store's write transaction together with the user_version bump, so a crash mid-migration
leaves the previous version intact and two processes opening an old file migrate it once.
Never edit a released migration: append a new one.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable

from studio.core.identity import contributor_id

Migration = Callable[[sqlite3.Connection], None]


def _v1_base(conn: sqlite3.Connection) -> None:
    """Records, op journal, sync outbox and cursors."""
    statements = [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE contributors (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            contact TEXT NOT NULL DEFAULT '',
            space TEXT NOT NULL DEFAULT '',
            origin TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'pulled')),
            server_rev INTEGER,
            created TEXT NOT NULL
        )""",
        "CREATE INDEX contributors_name ON contributors(name)",
        """CREATE TABLE clips (
            id TEXT PRIMARY KEY CHECK (length(id) = 64),
            title TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('video', 'audio', 'image', 'title')),
            duration TEXT,
            has_video INTEGER NOT NULL DEFAULT 0,
            has_audio INTEGER NOT NULL DEFAULT 0,
            probe TEXT NOT NULL DEFAULT '{}',
            credits TEXT NOT NULL DEFAULT '[]',
            licence TEXT NOT NULL DEFAULT '',
            owner TEXT NOT NULL DEFAULT '',
            lineage TEXT NOT NULL DEFAULT '[]',
            embedded_credits TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            source_name TEXT NOT NULL DEFAULT '',
            media_present INTEGER NOT NULL DEFAULT 0,
            origin TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'pulled')),
            space TEXT NOT NULL DEFAULT '',
            server_rev INTEGER,
            created TEXT NOT NULL
        )""",
        "CREATE INDEX clips_title ON clips(title COLLATE NOCASE)",
        """CREATE TABLE projects (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            settings TEXT NOT NULL DEFAULT '{}',
            space TEXT NOT NULL DEFAULT '',
            origin TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'pulled')),
            server_rev INTEGER,
            created TEXT NOT NULL
        )""",
        # The op journal: one row per primitive op; a group of rows is one undo step.
        """CREATE TABLE ops (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            client TEXT NOT NULL,
            counter INTEGER NOT NULL,
            lamport INTEGER NOT NULL,
            op_id TEXT NOT NULL UNIQUE,
            group_id TEXT NOT NULL,
            origin TEXT NOT NULL CHECK (origin IN ('edit', 'undo', 'redo')),
            label TEXT NOT NULL DEFAULT '',
            merge_key TEXT,
            created REAL NOT NULL,
            payload TEXT NOT NULL,
            server_rev INTEGER
        )""",
        "CREATE INDEX ops_project_seq ON ops(project_id, seq)",
        "CREATE INDEX ops_project_order ON ops(project_id, lamport, client, counter)",
        "CREATE INDEX ops_group ON ops(group_id)",
        "CREATE INDEX ops_unacknowledged ON ops(project_id, seq) WHERE server_rev IS NULL",
        # Changes to records (clips, contributors, projects) waiting for the sync client to push.
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            change_id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            record_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            created TEXT NOT NULL
        )""",
        "CREATE TABLE sync_state (space TEXT PRIMARY KEY, cursor TEXT NOT NULL, updated TEXT NOT NULL)",
    ]
    for sql in statements:
        conn.execute(sql)
    conn.execute("INSERT INTO meta (key, value) VALUES ('client_id', ?)", (uuid.uuid4().hex,))
    conn.execute("INSERT INTO meta (key, value) VALUES ('counter', '0')")
    conn.execute("INSERT INTO meta (key, value) VALUES ('lamport', '0')")


def _v2_fold_cache(conn: sqlite3.Connection) -> None:
    """A cached fold per project, so opening a long-edited project does not replay every op."""
    conn.execute(
        """CREATE TABLE fold_cache (
            project_id TEXT PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            lamport INTEGER NOT NULL,
            client TEXT NOT NULL,
            counter INTEGER NOT NULL,
            state TEXT NOT NULL,
            created TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX ops_project_client ON ops(project_id, client, seq)")


def _v3_derived_contributor_ids(conn: sqlite3.Connection) -> None:
    """Contributors created here get the id derived from their name (studio.core.identity), the same on
    every machine; clip credits and queued changes that named the old random ids follow. Contributors
    pulled from a server keep the id the server knows them by."""
    mapping: dict[str, str] = {}
    rows = conn.execute(
        "SELECT id, name FROM contributors WHERE origin = 'local' ORDER BY created"
    ).fetchall()
    for old, name in rows:
        new = contributor_id(name)
        if new == old:
            continue
        mapping[old] = new
        if conn.execute("SELECT 1 FROM contributors WHERE id = ?", (new,)).fetchone():
            conn.execute("DELETE FROM contributors WHERE id = ?", (old,))
        else:
            conn.execute("UPDATE contributors SET id = ? WHERE id = ?", (new, old))
    if not mapping:
        return
    for clip_id, credits in conn.execute("SELECT id, credits FROM clips").fetchall():
        entries = json.loads(credits)
        changed = False
        for entry in entries:
            if isinstance(entry, dict) and entry.get("id") in mapping:
                entry["id"] = mapping[entry["id"]]
                changed = True
        if changed:
            text = json.dumps(entries, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            conn.execute("UPDATE clips SET credits = ? WHERE id = ?", (text, clip_id))
    for seq, record_id, payload in conn.execute(
        "SELECT seq, record_id, payload FROM outbox WHERE kind = 'contributor'"
    ).fetchall():
        if record_id in mapping:
            doc = json.loads(payload)
            doc["id"] = mapping[record_id]
            conn.execute(
                "UPDATE outbox SET record_id = ?, payload = ? WHERE seq = ?",
                (mapping[record_id], json.dumps(doc, sort_keys=True, ensure_ascii=False), seq),
            )


def _v4_spaces(conn: sqlite3.Connection) -> None:
    """The server spaces this machine has seen listed, with the caller's role and the space's commercial
    mark, so an export of a project knows its space's rules without a network."""
    conn.execute(
        """CREATE TABLE spaces (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL DEFAULT 'private',
            role TEXT,
            commercial INTEGER NOT NULL DEFAULT 0,
            listed INTEGER NOT NULL DEFAULT 1,
            seen TEXT NOT NULL
        )"""
    )


def _v5_known_accounts(conn: sqlite3.Connection) -> None:
    """Accounts this machine has resolved on its server (user name -> account id), so a credit naming an
    account gets that account's contributor id offline too; `me` marks the logged-in account."""
    conn.execute(
        """CREATE TABLE known_accounts (
            username TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            server TEXT NOT NULL DEFAULT '',
            me INTEGER NOT NULL DEFAULT 0,
            seen TEXT NOT NULL
        )"""
    )


def _v6_clip_claims(conn: sqlite3.Connection) -> None:
    """Several publishers' claims about one media file: the library keeps one clip row per file (its own
    claim, or the one pulled) and, here, every claim of others it has pulled, one per (file, publisher),
    so pulling someone's claim never keeps the user from publishing their own. Clips pulled before this
    become their publisher's claim (its id is the hash until the server shows the claim id again)."""
    conn.execute(
        """CREATE TABLE clip_claims (
            media TEXT NOT NULL,
            publisher TEXT NOT NULL,
            claim_id TEXT NOT NULL,
            doc TEXT NOT NULL DEFAULT '{}',
            rev INTEGER,
            deleted INTEGER NOT NULL DEFAULT 0,
            seen TEXT NOT NULL,
            PRIMARY KEY (media, publisher)
        )"""
    )
    conn.execute(
        "INSERT INTO clip_claims (media, publisher, claim_id, doc, rev, seen) "
        "SELECT id, owner, id, json_object('title', title, 'licence', licence), "
        "server_rev, created FROM clips WHERE origin = 'pulled' AND space = 'public' AND owner != ''"
    )


def _v7_sync_tables(conn: sqlite3.Connection) -> None:
    """The sync client's bookkeeping (studio.sync.state says what each table holds). Libraries made
    before this migration may already have these tables, created on first sync by earlier versions with
    the same columns: IF NOT EXISTS keeps their rows."""
    for sql in (
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
    ):
        conn.execute(sql)


MIGRATIONS: list[Migration] = [
    _v1_base,
    _v2_fold_cache,
    _v3_derived_contributor_ids,
    _v4_spaces,
    _v5_known_accounts,
    _v6_clip_claims,
    _v7_sync_tables,
]
LATEST = len(MIGRATIONS)
