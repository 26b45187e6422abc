"""Upload parts read straight from the connection (studio/server/direct_body.py), over raw sockets to a real
server: a request pipelined behind a part is still parsed, `Expect: 100-continue` is answered, a client
that leaves mid-part loses only that part, and a part sent in pieces with pauses arrives whole.

The tests that send a part's headers first and its body after a pause have the body arrive once the part
is admitted, so every byte of it goes through the direct path rather than the parser: a request
pipelined right behind such a body, parts one after another on one connection, a client leaving or
stalling half-way, and several stalled bodies while another part is received. Parts over TLS are in
test_transport.py."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import xxhash

from studio.protocol import api
from tests.server.conftest import REPO, Api, ServerProcess, signup

MIB = 1024 * 1024
BODY_TIMEOUT = 4
ADMITTED = 0.3
"""Seconds a test waits after sending a part's headers, so its body arrives once the part is admitted."""


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


@pytest.mark.parametrize("body_after_admission", [False, True], ids=["one-write", "body-after-admission"])
def test_a_request_pipelined_behind_a_part_is_answered(
    server: ServerProcess, alice: Api, body_after_admission: bool
) -> None:
    """The part body ends exactly where its Content-Length says and the request sent right behind it is
    parsed from the same read: headers, body and next request in one write, or the body (with the next
    request) sent once the part's headers were admitted."""
    data = os.urandom(3 * MIB + (1 if body_after_admission else 0))
    session = _session(alice, alice.new_space(), data)
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        if body_after_admission:
            sock.sendall(_part_request(alice, session, 1, data))
            time.sleep(ADMITTED)
            sock.sendall(data + _status_request(alice, session))
        else:
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


def test_keep_alive_parts_one_after_another_on_one_connection(server: ServerProcess, alice: Api) -> None:
    """Three parts on one connection, each body sent after its headers were admitted: after each body
    the connection reads on, and the blob is whole."""
    data = os.urandom(2 * api.PART_SIZE + 777)
    session = _session(alice, alice.new_space(), data)
    parts = [data[i : i + api.PART_SIZE] for i in range(0, len(data), api.PART_SIZE)]
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        reader = sock.makefile("rb")
        for number, part in enumerate(parts, start=1):
            sock.sendall(_part_request(alice, session, number, part))
            time.sleep(ADMITTED)
            sock.sendall(part)
            status = reader.readline()
            assert status.startswith(b"HTTP/1.1 200"), status
            length = 0
            while (line := reader.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert f'"number":{number}'.encode() in reader.read(length)
    assert _complete(alice, session)["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_client_leaving_an_admitted_body_loses_only_that_part(
    short_timeout: ServerProcess,
) -> None:
    user = signup(short_timeout.url)
    data = os.urandom(2 * MIB)
    session = _session(user, user.new_space(), data)
    with socket.create_connection(("127.0.0.1", short_timeout.port), timeout=60) as sock:
        sock.sendall(_part_request(user, session, 1, data))
        time.sleep(ADMITTED)
        sock.sendall(data[: MIB + 5])
        time.sleep(0.2)
    # Well within the body timeout: the server saw the end of the connection, not a stall.
    status = user.get(api.UPLOAD.format(session_id=session))
    assert status.status_code == 200 and status.json()["parts_received"] == []
    for _ in range(6):  # clients leaving again and again hold nothing back
        with socket.create_connection(("127.0.0.1", short_timeout.port), timeout=60) as sock:
            sock.sendall(_part_request(user, session, 1, data))
            time.sleep(0.05)
            sock.sendall(data[:1000])
    r = user.put_part(session, 1, data)
    assert r.status_code == 200, r.text
    assert _complete(user, session)["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def short_timeout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        tmp_path_factory.mktemp("short-timeout"),
        env={"STUDIO_SERVER_BODY_TIMEOUT": str(BODY_TIMEOUT)},
    ).start()
    yield proc
    proc.stop()


def _nothing_answered_yet(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return not sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)


def test_stalled_bodies_are_cut_off_and_do_not_block_others(short_timeout: ServerProcess) -> None:
    """Six parts stall half-way through their bodies: a part sent meanwhile is received and answered
    while they still wait, each stalled one is answered 408 and closed once the body timeout passes,
    and none of them counts."""
    user = signup(short_timeout.url)
    space = user.new_space()
    data = os.urandom(MIB)
    stalled = []
    for _ in range(6):
        session = _session(user, space, os.urandom(MIB))
        sock = socket.create_connection(("127.0.0.1", short_timeout.port), timeout=30)
        sock.sendall(_part_request(user, session, 1, data))
        stalled.append((session, sock))
    time.sleep(ADMITTED)
    for _session_id, sock in stalled:
        sock.sendall(data[: 300 * 1024])
    session = _session(user, space, data)
    assert user.put_part(session, 1, data).status_code == 200
    assert all(_nothing_answered_yet(sock) for _s, sock in stalled), "answered before the timeout"
    for session_id, sock in stalled:
        answer = _read_until_closed(sock)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"request-timeout" in answer
        assert user.get(api.UPLOAD.format(session_id=session_id)).json()["parts_received"] == []
    assert _complete(user, session)["sha256"] == hashlib.sha256(data).hexdigest()


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
