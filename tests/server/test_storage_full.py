"""The server's disk fills up during an upload, for real (a small tmpfs): the part is refused with 507 and
a message that says so, nothing half-written is counted, the server keeps serving, and once there is room
again the upload resumes and the blob is exactly the bytes sent."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import requests

from studio.protocol import api, problems
from tests.server.conftest import Api, ServerProcess, signup
from tests.sync.conftest import resize_tmpfs, tmpfs


def _put(user: Api, session: str, number: int, data: bytes) -> requests.Response:
    return user.put_part(session, number, data[(number - 1) * api.PART_SIZE : number * api.PART_SIZE])


def test_a_full_disk_refuses_the_part_and_the_upload_resumes_once_there_is_room(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "40m") as disk:  # room for one part of three
        server = ServerProcess(disk / "server").start()
        try:
            alice = signup(server.url)
            space = alice.new_space()
            data = os.urandom(3 * api.PART_SIZE)
            sha = hashlib.sha256(data).hexdigest()
            answer = alice.post(
                api.NEGOTIATE, json={"space": space, "blobs": [{"sha256": sha, "size": len(data)}]}
            ).json()["blobs"][0]
            session = answer["session_id"]
            codes = [_put(alice, session, n, data).status_code for n in (1, 2, 3)]
            assert 507 in codes, codes
            full = _put(alice, session, codes.index(507) + 1, data)
            assert full.status_code == 507
            assert full.json()["type"] == problems.STORAGE_FULL and "storage is full" in full.json()["detail"]
            assert server.alive() and alice.get(api.HEALTH).status_code == 200
            received = alice.get(api.UPLOAD.format(session_id=session)).json()["parts_received"]
            assert received == [n for n, code in zip((1, 2, 3), codes, strict=True) if code == 200]

            resize_tmpfs(disk, "128m")
            for number in sorted({1, 2, 3} - set(received)):
                assert _put(alice, session, number, data).status_code == 200
            done = alice.post(api.UPLOAD_COMPLETE.format(session_id=session))
            assert done.status_code == 200, done.text
            assert alice.get(api.BLOB.format(sha256=sha)).content == data
        finally:
            server.stop()
