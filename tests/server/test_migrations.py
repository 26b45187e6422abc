"""Server schema migrations on both backends: the revisions build exactly the schema the code uses, and an
upgrade keeps finished blobs and unfinished upload sessions while forgetting parts it can no longer check."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from studio.server import schema
from studio.server.db import Database
from tests.server.conftest import BACKENDS, backend_urls


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with backend_urls(request.param) as (url, _blobs):
        db = Database(url or f"sqlite:///{tmp_path / 'server.db'}")
        try:
            yield db
        finally:
            db.dispose()


def test_the_migrations_build_the_schema_the_code_uses(database: Database) -> None:
    database.migrate()
    with database.writer.connect() as conn:
        drift = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    assert drift == []


def test_upgrading_keeps_blobs_and_sessions_and_drops_parts_recorded_with_sha256(database: Database) -> None:
    database.migrate("0001")
    now = time.time()
    with database.write() as conn:
        conn.execute(
            text("INSERT INTO blobs (sha256, size, created_at) VALUES (:sha, 3, :now)"),
            {"sha": "b" * 64, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO upload_sessions (id, account_id, sha256, size, part_size, space_id, created_at,"
                " state, store_ref) VALUES ('s' || :pad, 'a', :sha, 20, 8, 'p', :now, 'open', '')"
            ),
            {"pad": "0" * 31, "sha": "c" * 64, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO upload_parts (session_id, number, sha256, size, etag)"
                " VALUES ('s' || :pad, 1, :sha, 8, '')"
            ),
            {"pad": "0" * 31, "sha": "d" * 64},
        )
    database.migrate()
    with database.read() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("upload_parts")}
        assert "checksum" in columns and "sha256" not in columns
        assert conn.execute(select(func.count()).select_from(schema.upload_parts)).scalar_one() == 0
        sessions = conn.execute(select(schema.upload_sessions.c.id, schema.upload_sessions.c.state)).all()
        assert [tuple(s) for s in sessions] == [("s" + "0" * 31, "open")]
        assert conn.execute(select(schema.blobs.c.sha256)).scalars().all() == ["b" * 64]


def test_upgrading_binds_existing_change_ids_ops_and_op_clients_to_their_authors(database: Database) -> None:
    database.migrate("0002")
    client = "c" * 32
    with database.write() as conn:
        conn.execute(
            text(
                "INSERT INTO changes (space_id, seq, stamp, kind, record_id, change_id, author_id, body,"
                " superseded) VALUES ('public', 1, 's', 'ops', 'p1', 'ops-change-1', :author, '{}', false)"
            ),
            {"author": "a" * 32},
        )
        conn.execute(
            text(
                "INSERT INTO applied_changes (space_id, change_id, result)"
                " VALUES ('public', 'ops-change-1', '{}')"
            )
        )
        conn.execute(
            text("INSERT INTO ops (space_id, op_id, project_id, seq) VALUES ('public', :op, 'p1', 1)"),
            {"op": f"{client}:1"},
        )
    database.migrate()
    with database.read() as conn:
        applied = conn.execute(select(schema.applied_changes)).all()
        assert [(r.account_id, r.change_id, r.digest) for r in applied] == [("a" * 32, "ops-change-1", "")]
        assert conn.execute(select(schema.ops.c.account_id)).scalars().all() == ["a" * 32]
        # Bound to the account; no device yet (0008): the next push under it names the device.
        assert [tuple(r) for r in conn.execute(select(schema.op_clients)).all()] == [(client, "a" * 32, None)]


def test_upgrading_fills_the_media_each_existing_clip_record_is_about(database: Database) -> None:
    database.migrate("0006")
    legacy, named = "1" * 64, "2" * 64
    with database.write() as conn:
        for rid, doc in ((legacy, '{"title":"t"}'), ("c1", f'{{"media":"{named}"}}'), ("p1", "{}")):
            conn.execute(
                text(
                    "INSERT INTO records (space_id, kind, id, rev, doc, deleted, conflicts, owner_id,"
                    " created_at, updated_at, search_text, tags_text, people_text, media_kind, licence)"
                    " VALUES ('public', :kind, :id, 1, :doc, false, '[]', :owner, 0, 0, '', '', '', '', '')"
                ),
                {"kind": "project" if rid == "p1" else "clip", "id": rid, "doc": doc, "owner": "a" * 32},
            )
    database.migrate()
    with database.read() as conn:
        r = schema.records
        media = dict(conn.execute(select(r.c.id, r.c.media)).all())
    # Ids are kept (pieces and the ledger name them); each record now says which file it is about.
    assert media == {legacy: legacy, "c1": named, "p1": ""}


def test_upgrading_adds_an_empty_certificate_record_and_keeps_the_devices(database: Database) -> None:
    database.migrate("0010")
    with database.write() as conn:
        conn.execute(
            text(
                "INSERT INTO tokens (id, account_id, token_hash, name, created_at, last_used_at, expires_at,"
                " revoked) VALUES (:id, :account, :hash, 'laptop', 0, 0, 1, false)"
            ),
            {"id": "d" * 32, "account": "a" * 32, "hash": "h" * 64},
        )
    database.migrate()
    with database.read() as conn:
        assert "certificates" in inspect(conn).get_table_names()
        # Certificates issued before were not recorded: none to list or revoke (docs/server.md says so).
        assert conn.execute(select(func.count()).select_from(schema.certificates)).scalar_one() == 0
        assert conn.execute(select(schema.tokens.c.id)).scalars().all() == ["d" * 32]
