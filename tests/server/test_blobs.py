"""Blob upload and download over HTTP: parts, resume, verification, ranges, limits (garbage collection:
test_garbage.py)."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import xxhash
from starlette.routing import Match

from studio.protocol import api, problems
from studio.server.app import create_app
from studio.server.routes.blobs import PartFastLane
from studio.server.settings import Settings
from tests.server.conftest import Api

MIB = 1024 * 1024


def _negotiate(user: Api, space: str, data: bytes, sha: str | None = None) -> dict:
    sha = sha or hashlib.sha256(data).hexdigest()
    r = user.post(api.NEGOTIATE, json={"space": space, "blobs": [{"sha256": sha, "size": len(data)}]})
    assert r.status_code == 200, r.text
    return r.json()["blobs"][0]


def test_multi_part_upload_resume_and_download(alice: Api) -> None:
    space = alice.new_space()
    data = os.urandom(2 * api.PART_SIZE + 12345)
    answer = _negotiate(alice, space, data)
    assert answer["status"] == "upload" and answer["part_count"] == 3 and answer["parts_received"] == []
    alice.send_parts(answer, data, only=[3, 1])
    resumed = _negotiate(alice, space, data)
    assert resumed["session_id"] == answer["session_id"] and resumed["parts_received"] == [1, 3]
    early = alice.post(api.UPLOAD_COMPLETE.format(session_id=answer["session_id"]))
    assert early.status_code == 409 and early.json()["missing"] == [2]
    alice.send_parts(resumed, data)
    done = alice.post(api.UPLOAD_COMPLETE.format(session_id=answer["session_id"]))
    assert done.status_code == 200 and done.json()["sha256"] == hashlib.sha256(data).hexdigest()
    again = alice.post(api.UPLOAD_COMPLETE.format(session_id=answer["session_id"]))
    assert again.status_code == 200
    assert _negotiate(alice, space, data)["status"] == "present"
    got = alice.get(api.BLOB.format(sha256=done.json()["sha256"]))
    assert got.status_code == 200 and got.content == data
    assert got.headers["etag"] == f'"{done.json()["sha256"]}"'
    assert got.headers["accept-ranges"] == "bytes"


def test_ranges_etags_and_conditional_requests(alice: Api) -> None:
    data = os.urandom(100_000)
    sha = alice.upload("public", data)
    url = api.BLOB.format(sha256=sha)
    etag = f'"{sha}"'
    r = alice.get(url, headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == data[10:20]
    assert r.headers["content-range"] == f"bytes 10-19/{len(data)}"
    assert alice.get(url, headers={"Range": "bytes=99990-"}).content == data[99990:]
    assert alice.get(url, headers={"Range": "bytes=-5"}).content == data[-5:]
    assert alice.get(url, headers={"Range": "bytes=5-2"}).status_code == 200
    unsatisfiable = alice.get(url, headers={"Range": "bytes=100000-"})
    assert (
        unsatisfiable.status_code == 416 and unsatisfiable.headers["content-range"] == f"bytes */{len(data)}"
    )
    matched = alice.get(url, headers={"Range": "bytes=0-3", "If-Range": etag})
    assert matched.status_code == 206 and matched.content == data[:4]
    stale = alice.get(url, headers={"Range": "bytes=0-3", "If-Range": '"0000"'})
    assert stale.status_code == 200 and stale.content == data
    assert alice.get(url, headers={"If-None-Match": etag}).status_code == 304
    head = alice.request("HEAD", url)
    assert (
        head.status_code == 200 and head.headers["content-length"] == str(len(data)) and head.content == b""
    )


def test_part_checks_happen_before_bytes_are_stored(alice: Api) -> None:
    space = alice.new_space()
    data = os.urandom(api.PART_SIZE + 10)
    answer = _negotiate(alice, space, data)
    session = answer["session_id"]
    first = data[: api.PART_SIZE]
    assert alice.put_part(session, 1, first, checksum="0" * 32).json()["type"] == problems.HASH_MISMATCH
    assert alice.put_part(session, 1, first[:-1]).status_code == 422
    assert alice.put_part(session, 2, data[api.PART_SIZE :] + b"x").status_code == 422
    assert alice.put_part(session, 3, b"x").status_code == 422
    assert alice.put_part(session, 0, b"x").status_code == 422
    assert alice.put_part(session, 1, first).status_code == 200
    assert alice.put_part(session, 1, first).status_code == 200
    conflict = alice.put_part(session, 1, first[:-1] + b"\0" if first[-1:] != b"\0" else first[:-1] + b"\1")
    assert conflict.status_code == 409 and conflict.json()["type"] == problems.PART_CONFLICT

    def chunked():
        yield data[api.PART_SIZE :]

    r = alice.put(
        api.UPLOAD_PART.format(session_id=session, number=2),
        data=chunked(),
        headers={api.PART_CHECKSUM_HEADER: xxhash.xxh3_128(data[api.PART_SIZE :]).hexdigest()},
    )
    assert r.status_code == 411
    assert alice.get(api.UPLOAD.format(session_id=session)).json()["parts_received"] == [1]
    # The refused sends of part 1 were streamed into the whole-upload hash as they arrived and left no
    # trace in it: the upload completes with exactly the bytes accepted.
    assert alice.put_part(session, 2, data[api.PART_SIZE :]).status_code == 200
    done = alice.post(api.UPLOAD_COMPLETE.format(session_id=session))
    assert done.status_code == 200, done.text
    assert alice.get(api.BLOB.format(sha256=hashlib.sha256(data).hexdigest())).content == data


def test_oversized_blobs_are_refused_at_negotiation(alice: Api) -> None:
    space = alice.new_space()
    r = alice.post(api.NEGOTIATE, json={"space": space, "blobs": [{"sha256": "a" * 64, "size": 10**12}]})
    assert r.json()["blobs"][0] == {**r.json()["blobs"][0], "status": "rejected", "reason": "too-large"}
    assert "session_id" not in r.json()["blobs"][0] or r.json()["blobs"][0]["session_id"] is None


def test_whole_hash_mismatch_discards_the_session(alice: Api) -> None:
    space = alice.new_space()
    data = os.urandom(5000)
    lie = hashlib.sha256(b"something else").hexdigest()
    answer = _negotiate(alice, space, data, sha=lie)
    assert alice.put_part(answer["session_id"], 1, data).status_code == 200
    r = alice.post(api.UPLOAD_COMPLETE.format(session_id=answer["session_id"]))
    assert r.status_code == 422 and r.json()["type"] == problems.HASH_MISMATCH
    assert alice.get(api.UPLOAD.format(session_id=answer["session_id"])).status_code == 404
    assert alice.get(api.BLOB.format(sha256=lie)).status_code == 404


def test_abandoned_session(alice: Api) -> None:
    space = alice.new_space()
    answer = _negotiate(alice, space, b"abc" * 100)
    assert alice.delete(api.UPLOAD.format(session_id=answer["session_id"])).status_code == 204
    assert alice.get(api.UPLOAD.format(session_id=answer["session_id"])).status_code == 404
    assert _negotiate(alice, space, b"abc" * 100)["session_id"] != answer["session_id"]


def test_a_big_blob_round_trips(alice: Api) -> None:
    data = os.urandom(20 * MIB + 7)
    sha = alice.upload(alice.new_space(), data)
    got = alice.get(api.BLOB.format(sha256=sha))
    assert hashlib.sha256(got.content).hexdigest() == sha


def test_a_rejected_part_leaves_nothing_behind(alice: Api) -> None:
    """Part bytes are stored while they arrive; bytes that fail their hash must not reach the blob."""
    space = alice.new_space()
    data = os.urandom(2 * api.PART_SIZE + 999)
    answer = _negotiate(alice, space, data)
    session = answer["session_id"]
    second = data[api.PART_SIZE : 2 * api.PART_SIZE]
    garbage = os.urandom(len(second))
    bad = alice.put_part(session, 2, garbage, checksum=xxhash.xxh3_128(second).hexdigest())
    assert bad.status_code == 422 and bad.json()["type"] == problems.HASH_MISMATCH
    assert alice.get(api.UPLOAD.format(session_id=session)).json()["parts_received"] == []
    alice.send_parts(answer, data)
    done = alice.post(api.UPLOAD_COMPLETE.format(session_id=session))
    assert done.status_code == 200, done.text
    got = alice.get(api.BLOB.format(sha256=done.json()["sha256"]))
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_part_cut_short_is_not_recorded(alice: Api) -> None:
    """A body shorter than its Content-Length (the client goes away) is never accepted."""
    space = alice.new_space()
    data = os.urandom(api.PART_SIZE + 5)
    answer = _negotiate(alice, space, data)
    session = answer["session_id"]
    first = data[: api.PART_SIZE]
    host, port = alice.base.removeprefix("http://").split(":")
    path = api.UPLOAD_PART.format(session_id=session, number=1)
    head = (
        f"PUT {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {alice.token}\r\n"
        f"{api.PART_CHECKSUM_HEADER}: {xxhash.xxh3_128(first).hexdigest()}\r\n"
        f"Content-Length: {len(first)}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + first[: len(first) // 2])
        time.sleep(0.3)
    assert alice.get(api.UPLOAD.format(session_id=session)).json()["parts_received"] == []
    alice.send_parts(answer, data)
    done = alice.post(api.UPLOAD_COMPLETE.format(session_id=session))
    assert done.status_code == 200, done.text
    assert alice.get(api.BLOB.format(sha256=done.json()["sha256"])).content == data


def test_concurrent_sends_of_one_part_never_mix(alice: Api) -> None:
    """The same part sent at once with the right bytes and with wrong ones: whatever the interleaving,
    the published blob is exactly the right content."""
    space = alice.new_space()
    for _round in range(3):
        data = os.urandom(2 * api.PART_SIZE + 77)
        answer = _negotiate(alice, space, data)
        session = answer["session_id"]
        assert alice.put_part(session, 1, data[: api.PART_SIZE]).status_code == 200
        second = data[api.PART_SIZE : 2 * api.PART_SIZE]
        checksum = xxhash.xxh3_128(second).hexdigest()
        bodies = [second, os.urandom(len(second)), second, os.urandom(len(second))]
        others = [Api(alice.base, alice.token) for _ in bodies]
        with ThreadPoolExecutor(len(bodies)) as pool:
            futures = [
                pool.submit(other.put_part, session, 2, body, checksum)
                for other, body in zip(others, bodies, strict=True)
            ]
            codes = [f.result().status_code for f in futures]
        assert codes[0] == codes[2] == 200 and set(codes[1::2]) <= {200, 422}
        assert alice.put_part(session, 3, data[2 * api.PART_SIZE :]).status_code == 200
        done = alice.post(api.UPLOAD_COMPLETE.format(session_id=session))
        assert done.status_code == 200, done.text
        got = alice.get(api.BLOB.format(sha256=done.json()["sha256"]))
        assert got.content == data


def test_parts_answer_alike_through_the_fast_lane_and_the_declared_route(alice: Api) -> None:
    """A well-formed part goes through PartFastLane, anything else through put_part's own validation;
    both answer as put_part always did, with the middlewares' headers, and the same part reaches the same
    blob whichever way it came."""
    space = alice.new_space()
    data = os.urandom(2 * 1024 * 1024)
    session = _negotiate(alice, space, data)["session_id"]
    checksum = xxhash.xxh3_128(data).hexdigest()
    fast = alice.put_part(session, 1, data)
    assert fast.status_code == 200, fast.text
    assert fast.json() == {"number": 1, "size": len(data), "checksum": checksum}
    assert fast.headers["Content-Type"] == "application/json"
    assert fast.headers["X-Content-Type-Options"] == "nosniff" and fast.headers["Cache-Control"] == "no-store"
    # a part number with a leading zero is still valid to put_part, which answers it (already stored)
    declared = alice.put(
        api.UPLOAD_PART.format(session_id=session, number="01"),
        data=data,
        headers={api.PART_CHECKSUM_HEADER: checksum},
    )
    assert declared.status_code == 200 and declared.json() == fast.json()
    assert declared.headers["X-Content-Type-Options"] == "nosniff"
    # what the fast lane does not take, put_part's validation refuses as before
    for headers in ({}, {api.PART_CHECKSUM_HEADER: checksum.upper()}, {api.PART_CHECKSUM_HEADER: "x" * 32}):
        refused = alice.put(api.UPLOAD_PART.format(session_id=session, number=1), data=data, headers=headers)
        assert refused.status_code == 422 and refused.headers["Content-Type"] == "application/problem+json"
    for path in (
        api.UPLOAD_PART.format(session_id=session.upper(), number=1),
        api.UPLOAD_PART.format(session_id=session, number=api.MAX_PARTS + 1),
    ):
        refused = alice.put(path, data=data, headers={api.PART_CHECKSUM_HEADER: checksum})
        assert refused.status_code == 422, refused.text
    done = alice.post(api.UPLOAD_COMPLETE.format(session_id=session))
    assert done.status_code == 200 and done.json()["sha256"] == hashlib.sha256(data).hexdigest()


def test_the_fast_lane_is_matched_before_any_other_route(tmp_path: Path) -> None:
    """Starlette takes the first route that fully matches: a part must meet the fast lane first, and
    every other request must pass it by."""
    app = create_app(Settings(data_dir=tmp_path))

    def first(method: str, path: str) -> object:
        scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
        for route in app.router.routes:
            match, _child = route.matches(scope)
            if match == Match.FULL:
                return getattr(route, "app", None)
        return None

    assert isinstance(first("PUT", api.UPLOAD_PART.format(session_id="a" * 32, number=3)), PartFastLane)
    assert not isinstance(first("GET", api.UPLOAD.format(session_id="a" * 32)), PartFastLane)
    assert not isinstance(first("POST", api.UPLOAD_COMPLETE.format(session_id="a" * 32)), PartFastLane)
