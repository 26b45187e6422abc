"""Garbage collection on the server's clock: an unreferenced blob outlives its grace period and then goes
(bytes included), a referenced one stays, and an upload session left open past its time is dropped with its
staged parts. The clock is moved past each deadline; the collector itself runs as the app runs it."""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any

from studio.protocol import api
from studio.server import garbage
from studio.server.settings import DAY
from tests.server.conftest import signup

IN_PROCESS = True  # request/answer logic: the app in this process (tests/server/conftest.py)


def test_unreferenced_blobs_are_collected_after_the_grace_period(make_server: Any) -> None:
    server = make_server(env={"STUDIO_SERVER_GC_INTERVAL": "1"}).start()  # the default grace: a day
    user = signup(server.url)
    kept, dropped = os.urandom(3000), os.urandom(3000)
    kept_sha = user.upload("public", kept)
    dropped_sha = user.upload("public", dropped)
    push = user.push(
        "public",
        {
            "change_id": "gc-keep-0001",
            "kind": "clip",
            "id": "keep",
            "base_rev": None,
            "fields": {"media": kept_sha, "credits": [{"name": "A", "role": "b"}]},
        },
    )
    assert push.status_code == 200
    server.clock.advance(DAY - 60)
    assert garbage.collect(server.ctx)["blobs"] == 0, "collected inside its grace period"
    assert user.get(api.BLOB.format(sha256=dropped_sha)).content == dropped
    server.clock.advance(120)
    deadline = time.monotonic() + 20  # the app's own collector, every second
    while user.get(api.BLOB.format(sha256=dropped_sha)).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert user.get(api.BLOB.format(sha256=dropped_sha)).status_code == 404
    assert user.get(api.BLOB.format(sha256=kept_sha)).content == kept
    if not server.blobs:
        leftovers = [p.name for p in (server.data / "blobs").rglob("*") if p.is_file()]
        assert kept_sha in leftovers and dropped_sha not in leftovers
    assert user.upload("public", dropped) == dropped_sha
    assert user.get(api.BLOB.format(sha256=dropped_sha)).content == dropped


def test_an_upload_left_open_is_dropped_after_its_time(make_server: Any) -> None:
    server = make_server(env={"STUDIO_SERVER_UPLOAD_TTL": str(2 * DAY)}).start()
    user = signup(server.url)
    space = user.new_space()
    data = os.urandom(api.PART_SIZE + 100)
    sha = hashlib.sha256(data).hexdigest()
    answer = user.post(api.NEGOTIATE, json={"space": space, "blobs": [{"sha256": sha, "size": len(data)}]})
    session = answer.json()["blobs"][0]
    user.send_parts(session, data, only=[1])
    upload = api.UPLOAD.format(session_id=session["session_id"])
    server.clock.advance(2 * DAY - 60)
    garbage.collect(server.ctx)
    assert user.get(upload).json()["parts_received"] == [1], "dropped before its time"
    server.clock.advance(120)
    assert garbage.collect(server.ctx)["sessions"] >= 1  # on PostgreSQL the module's other sessions too
    assert user.get(upload).status_code == 404
    again = user.post(api.NEGOTIATE, json={"space": space, "blobs": [{"sha256": sha, "size": len(data)}]})
    fresh = again.json()["blobs"][0]
    assert fresh["session_id"] != session["session_id"] and fresh["parts_received"] == []
