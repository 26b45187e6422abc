"""Hostile and malformed requests: each a 4xx, nothing lands outside the data folder, the server lives."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import pytest
import xxhash

from studio.protocol import api
from tests.server.conftest import Api, ServerProcess

SHA = "a" * 64


@pytest.fixture(scope="module")
def backend() -> tuple[str, str, str]:
    """Input validation happens before any storage is touched: the embedded server is enough here."""
    return "embedded", "", ""


def raw(
    server: ServerProcess, request: bytes, body_parts: list[bytes] | None = None, wait: float = 10
) -> int:
    """Send bytes as they are and return the status code of the first response (0 if none came within
    `wait` seconds or the server closed the connection)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as sock:
        sock.sendall(request)
        for part in body_parts or []:
            sock.sendall(part)
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except TimeoutError:
            return 0
    if not data.startswith(b"HTTP/1.1 "):
        return 0
    return int(data[9:12])


def files_outside_data(server: ServerProcess) -> set[Path]:
    return {p for p in server.root.rglob("*") if p.is_file() and server.data not in p.parents}


@pytest.fixture
def session(alice: Api) -> dict:
    space = alice.new_space()
    data = b"z" * 5000
    r = alice.post(
        api.NEGOTIATE,
        json={"space": space, "blobs": [{"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}]},
    )
    return {**r.json()["blobs"][0], "data": data, "space": space}


def _get(token: str, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode()


@pytest.mark.parametrize(
    "path",
    [
        "/v1/blobs/../../../../etc/passwd",
        "/v1/blobs/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/v1/blobs/..%2f..%2f" + SHA[:58],
        "/v1/blobs/" + SHA.upper(),
        "/v1/blobs/" + SHA[:63],
        "/v1/blobs/" + SHA + "0",
        "/v1/blobs/" + SHA[:63] + "%00",
        "/v1/blobs/" + SHA + "%0a",
        "/v1/uploads/..%2f..%2f..%2fetc/parts/1",
        "/v1/uploads/" + "A" * 32,
        "/v1/spaces/..%2f..%2f/feed",
        "/v1/spaces/public/records/clip/..%2fsecret",
        "/v1/spaces/public/records/clip/%00",
        "/v1/spaces/public/records/..%2f..%2f/x",
        "/v1/devices/%2e%2e",
    ],
)
def test_malformed_ids_and_traversal_are_4xx(server: ServerProcess, alice: Api, path: str) -> None:
    before = files_outside_data(server)
    status = raw(server, _get(alice.token or "", path))
    assert 400 <= status < 500, (path, status)
    assert files_outside_data(server) - before <= {server.log_path}
    assert alice.get(api.HEALTH).status_code == 200


def test_raw_nul_and_garbage_request_lines(server: ServerProcess, alice: Api) -> None:
    for line in (
        b"GET /v1/blobs/\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01garbage\r\n\r\n",
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    ):
        status = raw(server, line)
        assert status == 0 or 400 <= status < 500, (line, status)
    assert alice.get(api.HEALTH).status_code == 200


@pytest.mark.parametrize("number", ["0", "-1", "10001", "99999999999999999999999", "1.5", "1e3", "%2e%2e"])
def test_bad_part_numbers(alice: Api, session: dict, number: str) -> None:
    r = alice.put(
        f"/v1/uploads/{session['session_id']}/parts/{number}",
        data=session["data"],
        headers={api.PART_CHECKSUM_HEADER: xxhash.xxh3_128(session["data"]).hexdigest()},
    )
    assert 400 <= r.status_code < 500, (number, r.status_code)
    assert alice.get(api.UPLOAD.format(session_id=session["session_id"])).json()["parts_received"] == []


def test_lying_content_length_on_a_part(server: ServerProcess, alice: Api, session: dict) -> None:
    data = session["data"]
    head = (
        f"PUT /v1/uploads/{session['session_id']}/parts/1 HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {alice.token}\r\n{api.PART_CHECKSUM_HEADER}: "
        f"{xxhash.xxh3_128(data).hexdigest()}\r\n"
    )
    short = raw(server, (head + f"Content-Length: {len(data)}\r\n\r\n").encode(), [data[:1000]], wait=1)
    assert short in (0, 400), short
    assert 400 <= raw(server, (head + "Content-Length: 10\r\n\r\n").encode(), [data]) < 500
    assert raw(server, (head + "Content-Length: 99999999999\r\n\r\n").encode(), [data]) == 413
    assert raw(server, (head + "Content-Length: 12abc\r\n\r\n").encode(), [data]) in (0, 400)
    assert alice.get(api.UPLOAD.format(session_id=session["session_id"])).json()["parts_received"] == []
    assert (
        alice.put(
            api.UPLOAD_PART.format(session_id=session["session_id"], number=1),
            data=data,
            headers={api.PART_CHECKSUM_HEADER: xxhash.xxh3_128(data).hexdigest()},
        ).status_code
        == 200
    )


def test_lying_content_length_on_json(server: ServerProcess, alice: Api) -> None:
    body = json.dumps({"name": "a space"}).encode()
    head = (
        f"POST /v1/spaces HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {alice.token}\r\n"
        "Content-Type: application/json\r\n"
    )
    assert raw(server, (head + f"Content-Length: {len(body) + 50}\r\n\r\n").encode(), [body], wait=1) == 0
    assert 400 <= raw(server, (head + "Content-Length: 5\r\n\r\n").encode(), [body]) < 500
    assert alice.get(api.HEALTH).status_code == 200


def test_oversized_json_is_refused_before_reading(alice: Api) -> None:
    big = json.dumps(
        {
            "changes": [
                {
                    "change_id": "x" * 20,
                    "kind": "clip",
                    "id": "a",
                    "fields": {"blob": "y" * (3 * 1024 * 1024)},
                }
            ]
        }
    )
    r = alice.post(
        api.CHANGES.format(space_id="public"), data=big, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413

    def chunked():
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536].encode()

    r = alice.post(
        api.CHANGES.format(space_id="public"), data=chunked(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert alice.get(api.HEALTH).status_code == 200


@pytest.mark.parametrize("depth", [40, 5000, 200_000])
def test_deeply_nested_json(alice: Api, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    body = '{"changes":[{"change_id":"deep-00001","kind":"clip","id":"deep","fields":{"x":' + nested + "}}]}"
    r = alice.post(
        api.CHANGES.format(space_id="public"), data=body, headers={"Content-Type": "application/json"}
    )
    assert 400 <= r.status_code < 500, r.status_code
    assert alice.get(api.RECORD.format(space_id="public", kind="clip", record_id="deep")).status_code == 404
    assert alice.get(api.HEALTH).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        "{",
        "[]",
        "null",
        '{"changes": "x"}',
        '{"changes": [1]}',
        "\x00",
        '{"changes":[{"change_id":"n\\u0000ul-0001","kind":"clip","id":"a"}]}',
    ],
)
def test_invalid_json_documents(alice: Api, body: str) -> None:
    r = alice.post(
        api.CHANGES.format(space_id="public"),
        data=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422), r.status_code
    assert r.headers["content-type"] == "application/problem+json"


def test_unknown_routes_and_methods_are_problems(alice: Api) -> None:
    r = alice.get("/v1/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = alice.request("PATCH", api.HEALTH)
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"
