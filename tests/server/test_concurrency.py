"""Several server processes on one database and one blob store, concurrent writers, and a feed reader that
must never skip a change, even one whose transaction commits late."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from studio.protocol import api
from studio.server import schema
from studio.server.auth import Caller
from studio.server.changes import apply_push
from studio.server.db import Database
from studio.server.models import RecordChangeIn
from tests.server.conftest import Api, ServerProcess, signup


def _change(change_id: str, rid: str) -> dict:
    return {"change_id": change_id, "kind": "contributor", "id": rid, "base_rev": None, "fields": {"n": rid}}


def _database_url(server: ServerProcess) -> str:
    return server.database or f"sqlite:///{server.data / 'studio.db'}"


def test_two_processes_share_one_database_and_one_bucket(make_server) -> None:
    first = make_server().start()
    second = make_server(root=first.root.parent / "second")
    second.data = first.data if not first.database else second.data
    second.start()
    alice = signup(first.url)
    bob = signup(first.url)
    space = alice.new_space()
    alice.add_member(space, bob.username, "editor")
    bob_on_second = Api(second.url, bob.token, bob.username)
    data = os.urandom(300_000)
    sha = alice.upload(space, data)
    alice.push(
        space,
        {
            **_change("media-00001", "m"),
            "kind": "clip",
            "fields": {"media": sha, "credits": [{"name": "A", "role": "b"}]},
        },
    )
    assert bob_on_second.get(api.BLOB.format(sha256=sha)).content == data

    writers = [alice, bob_on_second]
    ids = [f"w{w}-{i:05d}" for i in range(40) for w in range(2)]
    with ThreadPoolExecutor(6) as pool:
        list(
            pool.map(lambda cid: writers[int(cid[1])].push(space, _change(cid, cid)).raise_for_status(), ids)
        )
    on_first, _ = alice.pull_all(space, limit=9)
    on_second, _ = bob_on_second.pull_all(space, limit=9)
    assert [e["seq"] for e in on_first] == [e["seq"] for e in on_second]
    assert sorted(e["change_id"] for e in on_first) == sorted([*ids, "media-00001"])
    seqs = [e["seq"] for e in on_first]
    assert seqs == sorted(set(seqs))


def test_a_late_commit_is_never_skipped_by_a_paging_reader(make_server) -> None:
    server = make_server().start()
    other = make_server(root=server.root.parent / "other")
    other.data = server.data if not server.database else other.data
    other.start()
    user = signup(server.url)
    space = user.new_space()
    me = user.get(api.ME).json()
    caller = Caller(account_id=me["id"], username=me["username"], device_id=me["device_id"])
    reader = Api(other.url, user.token)
    seen: list[str] = []
    cursor = None
    stop = threading.Event()
    errors: list[BaseException] = []

    def read() -> None:
        nonlocal cursor
        try:
            while not stop.is_set():
                page = reader.feed(space, cursor, limit=3).json()
                seen.extend(e["change_id"] for e in page["entries"])
                cursor = page["cursor"]
                time.sleep(0.01)
        except BaseException as exc:
            errors.append(exc)

    pushed_over_http: list[str] = []

    def write(prefix: str, count: int) -> None:
        for i in range(count):
            cid = f"{prefix}-{i:05d}"
            user.push(space, _change(cid, cid)).raise_for_status()
            pushed_over_http.append(cid)

    reader_thread = threading.Thread(target=read)
    reader_thread.start()
    db = Database(_database_url(server))
    try:
        write("before", 5)
        held = db.writer.connect()
        tx = held.begin()
        space_row = held.execute(select(schema.spaces).where(schema.spaces.c.id == space)).first()
        apply_push(
            db,
            held,
            space_row,
            caller,
            [RecordChangeIn.model_validate(_change("late-00001", "late"))],
            time.time(),
        )
        behind = threading.Thread(target=write, args=("behind", 5))
        behind.start()
        time.sleep(1.0)
        assert "late-00001" not in seen
        assert not any(c.startswith("behind") for c in pushed_over_http), "a writer overtook an open commit"
        assert not any(c.startswith("behind") for c in seen)
        tx.commit()
        held.close()
        behind.join(timeout=60)
        write("after", 5)
        deadline = time.monotonic() + 20
        while len(seen) < 16 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        reader_thread.join(timeout=30)
        db.dispose()
    assert not errors
    expected = (
        [f"before-{i:05d}" for i in range(5)]
        + ["late-00001"]
        + [f"behind-{i:05d}" for i in range(5)]
        + [f"after-{i:05d}" for i in range(5)]
    )
    assert seen == expected
