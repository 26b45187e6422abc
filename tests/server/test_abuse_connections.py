"""Attacks on the server's memory and connections, against a real server process, with its resident memory
(RSS, from /proc) measured before, during and after each attack.

Bounds asserted (the server's own allocator keeps up to 64 MiB of freed memory for reuse, serve.py):
- 56 part uploads that announce a whole 32 MiB part each (1,792 MiB announced) and send 100 bytes: RSS
  grows by less than 32 MiB while they stall, and every one is answered 408 and closed once the body
  timeout passes.
- 300 connections with half-sent headers: RSS grows by less than 32 MiB, and all are closed by the
  server once the header timeout passes; a normal request is served meanwhile.
- Connections beyond the cap are closed at once.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.protocol import api
from tests.server.conftest import Api, ServerProcess, signup

MIB = 1024 * 1024
TIMEOUT = 2


def rss(server: ServerProcess) -> int:
    """Resident memory of the server process in bytes."""
    assert server.proc is not None
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS line")


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        tmp_path_factory.mktemp("guarded"),
        env={
            "STUDIO_SERVER_BODY_TIMEOUT": str(TIMEOUT),
            "STUDIO_SERVER_HEADER_TIMEOUT": str(TIMEOUT),
            "STUDIO_SERVER_MAX_BLOB_SIZE": str(2 * api.PART_SIZE),
        },
    ).start()
    yield proc
    proc.stop()


def _connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _sessions(user: Api, space: str, count: int) -> list[str]:
    size = 2 * api.PART_SIZE
    blobs = [{"sha256": hashlib.sha256(os.urandom(16)).hexdigest(), "size": size} for _ in range(count)]
    r = user.post(api.NEGOTIATE, json={"space": space, "blobs": blobs})
    assert r.status_code == 200, r.text
    return [answer["session_id"] for answer in r.json()["blobs"]]


def test_stalled_part_uploads_hold_only_what_they_sent(guarded: ServerProcess) -> None:
    user = signup(guarded.url)
    space = user.new_space("stall")
    targets = [(session, n) for session in _sessions(user, space, 28) for n in (1, 2)]
    before = rss(guarded)
    socks = []
    for session, number in targets:
        sock = _connect(guarded)
        head = (
            f"PUT {api.UPLOAD_PART.format(session_id=session, number=number)} HTTP/1.1\r\n"
            f"Host: x\r\nAuthorization: Bearer {user.token}\r\nContent-Length: {api.PART_SIZE}\r\n"
            f"{api.PART_CHECKSUM_HEADER}: {'0' * 32}\r\n\r\n"
        )
        sock.sendall(head.encode() + b"x" * 100)
        socks.append(sock)
    time.sleep(0.5 * TIMEOUT)
    during = rss(guarded)
    answers = [_read_all(sock) for sock in socks]
    for sock in socks:
        sock.close()
    after = rss(guarded)
    print(f"stalled uploads: RSS {before / MIB:.1f} -> {during / MIB:.1f} -> {after / MIB:.1f} MiB")
    assert len(targets) == 56
    assert during - before < 32 * MIB, "stalled parts must not hold their announced size"
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers), answers[0][:200]
    assert all(b"request-timeout" in answer for answer in answers)
    status = user.get(api.UPLOAD.format(session_id=targets[0][0]))
    assert status.json()["parts_received"] == []


def test_half_sent_headers_are_cut_off(guarded: ServerProcess) -> None:
    before = rss(guarded)
    socks = []
    for _ in range(300):
        sock = _connect(guarded)
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(sock)
    during = rss(guarded)
    served = Api(guarded.url).get(api.HEALTH)
    assert served.status_code == 200, "a normal request is served during the attack"
    started = time.monotonic()
    answers = [_read_all(sock) for sock in socks]
    waited = time.monotonic() - started
    for sock in socks:
        sock.close()
    after = rss(guarded)
    print(f"slow headers: RSS {before / MIB:.1f} -> {during / MIB:.1f} -> {after / MIB:.1f} MiB")
    assert during - before < 32 * MIB
    assert all(answer == b"" for answer in answers), "closed without an answer"
    assert waited < 30 * TIMEOUT, "every half-open connection was closed by the server"


def test_connections_beyond_the_cap_are_closed_at_once(make_server) -> None:
    server = make_server(env={"STUDIO_SERVER_MAX_CONNECTIONS": "20", "STUDIO_SERVER_HEADER_TIMEOUT": "2"})
    server.start()
    idle = [_connect(server) for _ in range(20)]
    extra = _connect(server)
    extra.settimeout(5)
    assert _read_all(extra) == b"", "the 21st connection is closed without waiting for the header timeout"
    for sock in idle:
        sock.close()
    extra.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if Api(server.url).get(api.HEALTH, timeout=5).status_code == 200:
                break
        except OSError:
            time.sleep(0.2)
    assert Api(server.url).get(api.HEALTH, timeout=5).status_code == 200
