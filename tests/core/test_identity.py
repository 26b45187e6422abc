"""A person known by name has one contributor id on every machine, and existing libraries migrate."""

from __future__ import annotations

import json
import sqlite3
from fractions import Fraction
from pathlib import Path

from studio.core.clips import Clip, Credit
from studio.core.identity import contributor_id
from studio.core.library import clip_claims, ensure_contributor, get_clip, save_clip
from studio.core.migrations import MIGRATIONS
from studio.core.store import Store

SHA = "ab" * 32


def test_two_libraries_credit_one_person_with_one_id(tmp_path: Path) -> None:
    ids = []
    for machine in ("desk", "laptop"):
        with Store(tmp_path / f"{machine}.db") as store:
            clip = Clip(SHA, "t", "audio", Fraction(1), credits=(Credit("Ann  Lee", ("camera",)),))
            ids.append(
                get_clip(store, save_clip(store, clip, media_present=False).id).credits[0].contributor_id
            )
            assert ensure_contributor(store, "ann lee").id == ids[-1]
    assert ids[0] == ids[1] == contributor_id("Ann Lee")


def test_a_library_with_random_contributor_ids_migrates_to_derived_ones(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for migration in MIGRATIONS[:2]:
        migration(conn)
    conn.execute("PRAGMA user_version = 2")
    old = "f" * 32
    conn.execute("INSERT INTO contributors (id, name, created) VALUES (?, 'Ann Lee', '2025-01-01')", (old,))
    conn.execute(
        "INSERT INTO contributors (id, name, origin, created) VALUES (?, 'Bob', 'pulled', '2025-01-01')",
        ("e" * 32,),
    )
    credits = [{"id": old, "name": "Ann Lee", "roles": ["camera"]}]
    conn.execute(
        "INSERT INTO clips (id, title, kind, credits, created) VALUES (?, 't', 'audio', ?, '2025-01-01')",
        (SHA, json.dumps(credits)),
    )
    conn.execute(
        "INSERT INTO outbox (change_id, kind, record_id, payload, created)"
        " VALUES ('c1', 'contributor', ?, ?, 'x')",
        (old, json.dumps({"id": old, "name": "Ann Lee"})),
    )
    conn.execute("COMMIT")
    conn.close()
    with Store(path) as store, store.read() as db:
        people = dict(db.execute("SELECT name, id FROM contributors").fetchall())
        assert people == {"Ann Lee": contributor_id("Ann Lee"), "Bob": "e" * 32}
        assert json.loads(db.execute("SELECT credits FROM clips").fetchone()[0])[0]["id"] == people["Ann Lee"]
        record_id, payload = db.execute("SELECT record_id, payload FROM outbox").fetchone()
        assert record_id == json.loads(payload)["id"] == people["Ann Lee"]


def test_a_library_with_pulled_public_clips_keeps_them_as_their_publishers_claims(tmp_path: Path) -> None:
    path = tmp_path / "v5.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for migration in MIGRATIONS[:5]:
        migration(conn)
    conn.execute("PRAGMA user_version = 5")
    conn.execute(
        "INSERT INTO clips (id, title, kind, licence, owner, origin, space, server_rev, created) "
        "VALUES (?, 'Rain', 'audio', 'CC-BY-4.0', 'ann', 'pulled', 'public', 7, '2025-01-01')",
        (SHA,),
    )
    conn.execute(
        "INSERT INTO clips (id, title, kind, owner, created) VALUES (?, 'Mine', 'audio', '', '2025-01-01')",
        ("cd" * 32,),
    )
    conn.execute("COMMIT")
    conn.close()
    with Store(path) as store:
        claims = clip_claims(store, SHA)
        assert [(c.publisher, c.claim_id, c.title, c.rev) for c in claims] == [("ann", SHA, "Rain", 7)]
        assert clip_claims(store, "cd" * 32) == []
        assert get_clip(store, SHA).title == "Rain"  # the clip row itself is untouched
