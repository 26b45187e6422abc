"""Upload parts read straight from the connection (studio/server/direct_body.py), over raw sockets to a real
server: a request pipelined behind a part is still parsed, `Expect: 100-continue` is answered, a client
that leaves mid-part loses only that part, and a part sent in pieces with pauses arrives whole."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import xxhash

from studio.protocol import api
from tests.server.conftest import REPO, Api, ServerProcess, signup

MIB = 1024 * 1024


def _session(user: Api, space: str, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    r = user.post(api.NEGOTIATE, json={"space": space, "blobs": [{"sha256": sha, "size": len(data)}]})
    assert r.status_code == 200, r.text
    return str(r.json()["blobs"][0]["session_id"])


def _part_request(user: Api, session: str, number: int, body: bytes, expect: bool = False) -> bytes:
    lines = [
        f"PUT {api.UPLOAD_PART.format(session_id=session, number=number)} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {user.token}",
        f"{api.PART_CHECKSUM_HEADER}: {xxhash.xxh3_128(body).hexdigest()}",
        f"Content-Length: {len(body)}",
    ]
    if expect:
        lines.append("Expect: 100-continue")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _status_request(user: Api, session: str) -> bytes:
    return (
        f"GET {api.UPLOAD.format(session_id=session)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {user.token}\r\nConnection: close\r\n\r\n"
    ).encode()


def _read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _complete(user: Api, session: str) -> dict[str, object]:
    done = user.post(api.UPLOAD_COMPLETE.format(session_id=session))
    assert done.status_code == 200, done.text
    return dict(done.json())


def test_a_request_pipelined_behind_a_part_is_answered(server: ServerProcess, alice: Api) -> None:
    """Headers, the whole part and the next request in one write: the part body ends exactly where its
    Content-Length says, and the request after it is parsed from the same read."""
    data = os.urandom(3 * MIB)
    session = _session(alice, alice.new_space(), data)
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(_part_request(alice, session, 1, data) + data + _status_request(alice, session))
        answers = _read_until_closed(sock)
    first, second = answers.split(b"HTTP/1.1 ")[1:]
    assert first.startswith(b"200"), answers[:300]
    assert second.startswith(b"200"), answers[:600]
    assert b'"parts_received":[1]' in second
    assert _complete(alice, session)["sha256"] == hashlib.sha256(data).hexdigest()


def test_expect_100_continue_is_answered_before_the_body(server: ServerProcess, alice: Api) -> None:
    data = os.urandom(MIB)
    session = _session(alice, alice.new_space(), data)
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(_part_request(alice, session, 1, data, expect=True))
        interim = sock.recv(4096)
        assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
        sock.sendall(data + _status_request(alice, session))
        answers = _read_until_closed(sock)
    assert answers.startswith(b"HTTP/1.1 200"), answers[:300]
    assert _complete(alice, session)["size"] == len(data)


def test_a_part_sent_in_pieces_with_pauses_arrives_whole(server: ServerProcess, alice: Api) -> None:
    data = os.urandom(MIB + 12345)
    session = _session(alice, alice.new_space(), data)
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        head = _part_request(alice, session, 1, data)
        sock.sendall(head + data[:7])
        for start in range(7, len(data), 200_000):
            time.sleep(0.02)
            sock.sendall(data[start : start + 200_000])
        sock.sendall(_status_request(alice, session))
        answers = _read_until_closed(sock)
    assert answers.startswith(b"HTTP/1.1 200"), answers[:300]
    assert _complete(alice, session)["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_client_that_leaves_mid_part_loses_only_that_part(server: ServerProcess, alice: Api) -> None:
    data = os.urandom(api.PART_SIZE + MIB)
    session = _session(alice, alice.new_space(), data)
    first = data[: api.PART_SIZE]
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(_part_request(alice, session, 1, first) + first[: 3 * MIB])
        time.sleep(0.2)
    # The server is still serving, did not count the broken part, and takes it again in full.
    status = alice.get(api.UPLOAD.format(session_id=session))
    assert status.status_code == 200 and status.json()["parts_received"] == []
    r = alice.put_part(session, 2, data[api.PART_SIZE :])
    assert r.status_code == 200, r.text
    r = alice.put_part(session, 1, first)
    assert r.status_code == 200, r.text
    assert _complete(alice, session)["sha256"] == hashlib.sha256(data).hexdigest()


_STOCK_UVICORN = """
import sys
from pathlib import Path
import uvicorn
from studio.server.app import create_app
from studio.server.settings import Settings
app = create_app(Settings.from_env(Path(sys.argv[1])))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def test_under_another_asgi_server_parts_are_read_through_receive(tmp_path: Path) -> None:
    """Stock uvicorn offers no direct body: the part route reads the ASGI body stream instead."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen(
        [sys.executable, "-c", _STOCK_UVICORN, str(tmp_path / "data"), str(port)],
        cwd=REPO,
        stdout=log,
        stderr=log,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(base + api.HEALTH, timeout=5).raise_for_status()
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, "stock uvicorn did not start"
                time.sleep(0.1)
        user = signup(base)
        data = os.urandom(api.PART_SIZE + 4321)
        sha = user.upload(user.new_space(), data)
        assert sha == hashlib.sha256(data).hexdigest()
        got = user.get(api.BLOB.format(sha256=sha))
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == sha
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
