"""Crashes and restores: a server killed mid-part or between publishing a blob and committing its row,
replayed pushes across a restart, and a server restored from an older backup."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import time

import pytest
import requests

from studio.protocol import api, problems
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
                f"Authorization: Bearer {user.token}\r\n{api.PART_SHA256_HEADER}: "
                f"{hashlib.sha256(second).hexdigest()}\r\nContent-Length: {len(second)}\r\n\r\n"
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


def test_a_server_restored_from_an_older_backup_makes_clients_reconcile(
    make_server, backend, tmp_path
) -> None:
    if backend[0] != "embedded":
        pytest.skip("a restore is played on the embedded data folder (copied back from a backup)")
    server = make_server(shared=False)
    server.start()
    user = signup(server.url, password="pw for restore")
    space = user.new_space()
    early = [_clip(f"early-{i:04d}", f"e{i}", name=f"E{i}") for i in range(3)]
    late = [_clip(f"late-{i:05d}", f"l{i}", name=f"L{i}") for i in range(2)]
    user.push(space, *early)
    server.stop()
    backup = tmp_path / "backup"
    shutil.copytree(server.data, backup)
    user.base = server.start().url
    user.push(space, *late)
    local, cursor = user.pull_all(space)
    assert len(local) == 5
    server.stop()
    shutil.rmtree(server.data)
    shutil.copytree(backup, server.data)
    user.base = server.start().url
    reset = user.feed(space, cursor)
    assert reset.status_code == 410 and reset.json()["type"] == problems.CURSOR_RESET
    other = signup(server.url)
    assert user.add_member(space, other.username, "editor").status_code == 200
    other.push(
        space,
        _clip("other-0001", "o1", name="O"),
        _clip("other-0002", "o2", name="O2"),
        _clip("other-0003", "o3", name="O3"),
    )
    assert user.feed(space, cursor).status_code == 410
    server_now, fresh_cursor = user.pull_all(space)
    have = {e["change_id"] for e in server_now}
    missing = [c for c in early + late if c["change_id"] not in have]
    assert [c["change_id"] for c in missing] == [c["change_id"] for c in late]
    results = user.push(space, *(early + late)).json()["results"]
    assert [r["status"] for r in results] == ["duplicate"] * 3 + ["applied"] * 2
    final, _ = user.pull_all(space)
    assert {e["id"] for e in final} == {"e0", "e1", "e2", "l0", "l1", "o1", "o2", "o3"}
    assert user.feed(space, fresh_cursor).status_code == 200
