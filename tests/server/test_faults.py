"""Crashes: a server killed mid-part or between publishing a blob and committing its row, and replayed
pushes across a restart."""

from __future__ import annotations

import hashlib
import os
import socket
import time

import pytest
import requests
import xxhash

from studio.protocol import api
from tests.server.conftest import signup


def _clip(change_id: str, rid: str, **fields: object) -> dict:
    return {"change_id": change_id, "kind": "contributor", "id": rid, "base_rev": None, "fields": fields}


def test_killed_mid_part_then_resumed(make_server) -> None:
    server = make_server().start()
    user = signup(server.url)
    space = user.new_space()
    data = os.urandom(api.PART_SIZE + 300_000)
    sha = hashlib.sha256(data).hexdigest()
    answer = user.post(
        api.NEGOTIATE, json={"space": space, "blobs": [{"sha256": sha, "size": len(data)}]}
    ).json()
    answer = answer["blobs"][0]
    user.send_parts(answer, data, only=[1])
    second = data[api.PART_SIZE :]
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            (
                f"PUT {api.UPLOAD_PART.format(session_id=answer['session_id'], number=2)} HTTP/1.1\r\n"
                "Host: x\r\n"
                f"Authorization: Bearer {user.token}\r\n{api.PART_CHECKSUM_HEADER}: "
                f"{xxhash.xxh3_128(second).hexdigest()}\r\nContent-Length: {len(second)}\r\n\r\n"
            ).encode()
        )
        sock.sendall(second[: len(second) // 2])
        time.sleep(0.3)
        server.kill()
    assert not server.alive()
    user.base = server.start().url
    resumed = user.post(api.NEGOTIATE, json={"space": space, "blobs": [{"sha256": sha, "size": len(data)}]})
    resumed_answer = resumed.json()["blobs"][0]
    assert resumed_answer["session_id"] == answer["session_id"]
    assert resumed_answer["parts_received"] == [1]
    assert user.get(api.BLOB.format(sha256=sha)).status_code == 404
    user.send_parts(resumed_answer, data)
    assert user.post(api.UPLOAD_COMPLETE.format(session_id=answer["session_id"])).status_code == 200
    assert user.get(api.BLOB.format(sha256=sha)).content == data


def test_killed_between_publish_and_commit(make_server) -> None:
    server = make_server().start(STUDIO_SERVER_FAILPOINT="blob-published")
    user = signup(server.url)
    space = user.new_space()
    data = os.urandom(200_000)
    sha = hashlib.sha256(data).hexdigest()
    answer = user.post(api.NEGOTIATE, json={"space": space, "blobs": [{"sha256": sha, "size": len(data)}]})
    answer = answer.json()["blobs"][0]
    user.send_parts(answer, data)
    with pytest.raises(requests.ConnectionError):
        user.post(api.UPLOAD_COMPLETE.format(session_id=answer["session_id"]))
    server.proc.wait(timeout=30)
    assert "failpoint blob-published reached" in server.log()
    user.base = server.start().url
    assert user.get(api.BLOB.format(sha256=sha)).status_code == 404
    again = user.post(api.NEGOTIATE, json={"space": space, "blobs": [{"sha256": sha, "size": len(data)}]})
    assert again.json()["blobs"][0]["session_id"] == answer["session_id"]
    done = user.post(api.UPLOAD_COMPLETE.format(session_id=answer["session_id"]))
    assert done.status_code == 200, done.text
    assert user.get(api.BLOB.format(sha256=sha)).content == data


def test_replayed_pushes_after_a_restart_apply_once(make_server) -> None:
    server = make_server().start()
    user = signup(server.url)
    space = user.new_space()
    change = _clip("restart-0001", "r1", name="R")
    assert user.push(space, change).json()["results"][0]["status"] == "applied"
    server.kill()
    user.base = server.start().url
    assert user.push(space, change).json()["results"][0]["status"] == "duplicate"
    entries, _ = user.pull_all(space)
    assert [e["change_id"] for e in entries] == ["restart-0001"]
