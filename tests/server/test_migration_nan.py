"""Migration 0008 on both backends: records, feed entries and ops stored with NaN/Infinity before
strict input are rewritten, so a real server serves every feed page and record to a strict JSON reader."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select, text, update

from studio.protocol import api
from studio.server import schema
from studio.server.db import Database
from tests.server.conftest import BACKENDS, ServerProcess, backend_urls

OWNER = "a" * 32
MEDIA = "1" * 64
OP_ID = "c" * 32 + ":1"


def strict_loads(body: str | bytes) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(body, parse_constant=refuse)


def legacy_dumps(value: Any) -> str:
    """How the server stored documents before strict input (json's default allows NaN)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


CLIP_DOC = {
    "title": "NaN bread",  # the words alone are not numbers and stay
    "kind": "audio",
    "duration": float("nan"),
    "media": MEDIA,
    "probe": {"peak_db": float("-inf"), "rate": 48000},
    "credits": [{"name": "Ann", "role": "sound", "weight": float("inf")}, {"name": "Bob", "role": "mix"}],
}
CONFLICTS = [
    {
        "field": "credits",
        "reason": "concurrent-set",
        "detail": "both set",
        "base": None,
        "rev": 1,
        "change_id": "change-0001",
        "server": [{"name": "Ann", "role": "sound", "weight": float("nan")}],
        "client": [],
    },
    {
        "field": "gain",
        "reason": "concurrent-set",
        "detail": "both set",
        "base": 1.0,
        "server": float("inf"),
        "client": 0.5,
        "rev": 1,
        "change_id": "change-0001",
    },
]
OP = {"id": OP_ID, "lamport": 1, "kind": "set", "target": "item1", "fields": {"gain": float("nan")}}


def _insert_legacy_rows(db: Database) -> None:
    with db.write() as conn:
        conn.execute(
            text(
                "INSERT INTO accounts (id, username, password_hash, created_at)"
                " VALUES (:id, 'olduser', 'x', 0)"
            ),
            {"id": OWNER},
        )
        conn.execute(
            text(
                "INSERT INTO records (space_id, kind, id, rev, doc, deleted, conflicts, owner_id, created_at,"
                " updated_at, search_text, tags_text, people_text, media_kind, licence, media)"
                " VALUES ('public', 'clip', :id, 1, :doc, false, :conflicts, :owner, 0, 0, 'nan bread', '||',"
                " '|ann|bob|', 'audio', '', :id)"
            ),
            {
                "id": MEDIA,
                "doc": legacy_dumps(CLIP_DOC),
                "conflicts": legacy_dumps(CONFLICTS),
                "owner": OWNER,
            },
        )
        bodies = [
            (
                "clip",
                MEDIA,
                "change-0001",
                {
                    "kind": "clip",
                    "id": MEDIA,
                    "change_id": "change-0001",
                    "author": "olduser",
                    "doc": CLIP_DOC,
                    "deleted": False,
                    "conflicts": CONFLICTS,
                },
            ),
            (
                "ops",
                "p1",
                "change-0002",
                {"kind": "ops", "id": "p1", "change_id": "change-0002", "author": "olduser", "ops": [OP]},
            ),
        ]
        for seq, (kind, record_id, change_id, body) in enumerate(bodies, start=1):
            conn.execute(
                text(
                    "INSERT INTO changes (space_id, seq, stamp, kind, record_id, change_id, author_id, body,"
                    " superseded) VALUES ('public', :seq, 'stamp', :kind, :rid, :cid, :owner, :body, false)"
                ),
                {
                    "seq": seq,
                    "kind": kind,
                    "rid": record_id,
                    "cid": change_id,
                    "owner": OWNER,
                    "body": legacy_dumps(body),
                },
            )
            conn.execute(
                text(
                    "INSERT INTO applied_changes (space_id, account_id, change_id, digest, result)"
                    " VALUES ('public', :owner, :cid, 'd', :result)"
                ),
                {
                    "owner": OWNER,
                    "cid": change_id,
                    "result": legacy_dumps(
                        {
                            "change_id": change_id,
                            "status": "conflict",
                            "rev": seq,
                            "conflicts": CONFLICTS if kind == "clip" else [],
                        }
                    ),
                },
            )
        conn.execute(
            text(
                "INSERT INTO ops (space_id, op_id, project_id, seq, account_id, digest)"
                " VALUES ('public', :op, 'p1', 2, :owner, :digest)"
            ),
            {"op": OP_ID, "owner": OWNER, "digest": hashlib.sha256(legacy_dumps(OP).encode()).hexdigest()},
        )
        conn.execute(update(schema.spaces).where(schema.spaces.c.id == "public").values(seq=2))


@pytest.mark.parametrize("kind", BACKENDS)
def test_stored_nan_and_infinity_are_served_as_null_to_a_strict_reader_after_the_upgrade(
    kind: str, tmp_path: Path
) -> None:
    with backend_urls(kind) as (database, blobs):
        data = tmp_path / "data"
        data.mkdir(mode=0o700)
        db = Database(database or f"sqlite:///{data / 'studio.db'}")
        try:
            db.migrate("0007")
            _insert_legacy_rows(db)
        finally:
            db.dispose()
        server = ServerProcess(tmp_path, database, blobs).start()  # migrates to the head at start
        try:
            feed = requests.get(server.url + api.FEED.format(space_id="public"), timeout=30)
            assert feed.status_code == 200, feed.text
            entries = strict_loads(feed.content)["entries"]
            record = requests.get(
                server.url + api.RECORD.format(space_id="public", kind="clip", record_id=MEDIA), timeout=30
            )
            assert record.status_code == 200, record.text
            served = strict_loads(record.content)
        finally:
            server.stop()
        db = Database(database or f"sqlite:///{data / 'studio.db'}")
        try:
            with db.read() as conn:
                stored_digest = conn.execute(select(schema.ops.c.digest)).scalar_one()
                a = schema.applied_changes
                results = [
                    strict_loads(r)
                    for r in conn.execute(select(a.c.result).order_by(a.c.change_id)).scalars()
                ]
        finally:
            db.dispose()

    clip = next(e for e in entries if e["kind"] == "clip")
    ops = next(e for e in entries if e["kind"] == "ops")
    for doc in (clip["doc"], served["doc"]):
        assert doc["title"] == "NaN bread"
        assert doc["duration"] is None and doc["probe"] == {"peak_db": None, "rate": 48000}
        # A weight must be a number when present, so a non-finite one is removed rather than nulled.
        assert doc["credits"] == [{"name": "Ann", "role": "sound"}, {"name": "Bob", "role": "mix"}]
    for conflicts in (clip["conflicts"], served["conflicts"], results[0]["conflicts"]):
        assert conflicts[0]["server"] == [{"name": "Ann", "role": "sound"}]
        assert (conflicts[1]["base"], conflicts[1]["server"], conflicts[1]["client"]) == (1.0, None, 0.5)
    cleaned_op = {**OP, "fields": {"gain": None}}
    assert ops["ops"] == [cleaned_op]
    # The op log keeps comparing by content: the digest is now that of what the feed serves.
    assert stored_digest == hashlib.sha256(legacy_dumps(cleaned_op).encode()).hexdigest()
