"""Every authorisation rule: public and private spaces, roles, removed members, blobs and upload sessions."""

from __future__ import annotations

import hashlib
import os

import pytest
import xxhash

from studio.protocol import api
from tests.server.conftest import Api

IN_PROCESS = True  # request/answer logic: the app in this process (tests/server/conftest.py)

CREDITS = [{"name": "Ann", "role": "camera"}]


def _clip(cid: str, change: str, **fields: object) -> dict:
    return {
        "change_id": change,
        "kind": "clip",
        "id": cid,
        "base_rev": None,
        "fields": {"title": "t", "credits": CREDITS, **fields},
    }


def _private_paths(space: str, record: str, blob: str, session: str) -> list[tuple[str, str, dict]]:
    return [
        ("GET", api.SPACE.format(space_id=space), {}),
        ("GET", api.FEED.format(space_id=space), {}),
        ("GET", api.MEMBERS.format(space_id=space), {}),
        ("GET", api.RECORD.format(space_id=space, kind="clip", record_id=record), {}),
        ("POST", api.CHANGES.format(space_id=space), {"json": {"changes": [_clip("x1", "outsider-1")]}}),
        ("PUT", api.MEMBER.format(space_id=space, username="nobody"), {"json": {"role": "viewer"}}),
        ("POST", api.NEGOTIATE, {"json": {"space": space, "blobs": [{"sha256": blob, "size": 10}]}}),
        ("GET", api.BLOB.format(sha256=blob), {}),
        ("GET", api.UPLOAD.format(session_id=session), {}),
        ("POST", api.UPLOAD_COMPLETE.format(session_id=session), {}),
        ("DELETE", api.UPLOAD.format(session_id=session), {}),
    ]


@pytest.fixture
def team(alice: Api) -> dict:
    """A private space of alice's with a clip whose media is uploaded, and an open upload session."""
    space = alice.new_space("brand")
    media = os.urandom(5000)
    sha = alice.upload(space, media)
    r = alice.push(space, _clip("secret-clip", "alice-c-0001", media=sha))
    assert r.status_code == 200, r.text
    pending = os.urandom(3000)
    neg = alice.post(
        api.NEGOTIATE,
        json={
            "space": space,
            "blobs": [{"sha256": hashlib.sha256(pending).hexdigest(), "size": len(pending)}],
        },
    )
    return {"space": space, "sha": sha, "media": media, "session": neg.json()["blobs"][0]["session_id"]}


def test_non_members_get_404_for_everything_in_a_private_space(team: dict, bob: Api, anon: Api) -> None:
    for caller in (bob, anon):
        for method, path, kw in _private_paths(team["space"], "secret-clip", team["sha"], team["session"]):
            r = caller.request(method, path, **kw)
            expected = {404} if caller is bob else {401, 404}
            assert r.status_code in expected, (caller.username, method, path, r.status_code, r.text)


def test_private_spaces_are_not_listed_to_others(team: dict, bob: Api) -> None:
    ids = [s["id"] for s in bob.get(api.SPACES).json()]
    assert team["space"] not in ids and "public" in ids


def test_roles(team: dict, alice: Api, bob: Api) -> None:
    space = team["space"]
    assert alice.add_member(space, bob.username, "viewer").status_code == 200
    assert bob.get(api.RECORD.format(space_id=space, kind="clip", record_id="secret-clip")).status_code == 200
    assert bob.get(api.BLOB.format(sha256=team["sha"])).content == team["media"]
    assert bob.push(space, _clip("v1", "bob-view-0001")).status_code == 403
    neg = bob.post(api.NEGOTIATE, json={"space": space, "blobs": [{"sha256": "a" * 64, "size": 1}]})
    assert neg.status_code == 403
    assert bob.add_member(space, bob.username, "owner").status_code == 403
    assert alice.add_member(space, bob.username, "editor").status_code == 200
    assert bob.push(space, _clip("e1", "bob-edit-0001")).json()["results"][0]["status"] == "applied"
    assert bob.add_member(space, alice.username, "viewer").status_code == 403
    assert bob.delete(api.MEMBER.format(space_id=space, username=alice.username)).status_code == 403


def test_the_last_owner_cannot_leave_or_be_demoted(team: dict, alice: Api, bob: Api) -> None:
    space = team["space"]
    assert alice.add_member(space, alice.username, "editor").status_code == 409
    assert alice.delete(api.MEMBER.format(space_id=space, username=alice.username)).status_code == 409
    assert alice.add_member(space, bob.username, "owner").status_code == 200
    assert alice.delete(api.MEMBER.format(space_id=space, username=alice.username)).status_code == 204
    assert alice.get(api.SPACE.format(space_id=space)).status_code == 404


def test_a_removed_member_loses_everything(team: dict, alice: Api, bob: Api) -> None:
    space = team["space"]
    alice.add_member(space, bob.username, "editor")
    data = os.urandom(2000)
    sha = hashlib.sha256(data).hexdigest()
    neg = bob.post(api.NEGOTIATE, json={"space": space, "blobs": [{"sha256": sha, "size": len(data)}]})
    session = neg.json()["blobs"][0]["session_id"]
    assert bob.get(api.BLOB.format(sha256=team["sha"])).status_code == 200
    assert alice.delete(api.MEMBER.format(space_id=space, username=bob.username)).status_code == 204
    for method, path, kw in _private_paths(space, "secret-clip", team["sha"], session):
        r = bob.request(method, path, **kw)
        assert r.status_code == 404, (method, path, r.status_code)
    part = bob.put(
        api.UPLOAD_PART.format(session_id=session, number=1),
        data=data,
        headers={api.PART_CHECKSUM_HEADER: xxhash.xxh3_128(data).hexdigest()},
    )
    assert part.status_code == 404


def test_someone_elses_upload_session_is_invisible(team: dict, alice: Api, bob: Api) -> None:
    alice.add_member(team["space"], bob.username, "editor")
    session = team["session"]
    assert bob.get(api.UPLOAD.format(session_id=session)).status_code == 404
    assert (
        bob.put(
            api.UPLOAD_PART.format(session_id=session, number=1),
            data=b"x" * 3000,
            headers={api.PART_CHECKSUM_HEADER: "0" * 32},
        ).status_code
        == 404
    )
    assert bob.post(api.UPLOAD_COMPLETE.format(session_id=session)).status_code == 404
    assert bob.delete(api.UPLOAD.format(session_id=session)).status_code == 404
    assert alice.get(api.UPLOAD.format(session_id=session)).status_code == 200


def test_guessed_blob_hashes_reveal_nothing(team: dict, bob: Api, anon: Api) -> None:
    sha, unknown = team["sha"], hashlib.sha256(b"never uploaded").hexdigest()
    for guess in (sha, unknown):
        assert bob.get(api.BLOB.format(sha256=guess)).status_code == 404
        assert anon.get(api.BLOB.format(sha256=guess)).status_code == 404
        neg = bob.post(api.NEGOTIATE, json={"space": "public", "blobs": [{"sha256": guess, "size": 5000}]})
        assert neg.json()["blobs"][0]["status"] == "upload"
    # Naming the hash in a public record does not open the private blob either.
    r = bob.push("public", _clip("stolen", "bob-steal-001", media=sha))
    assert r.status_code == 200
    assert bob.get(api.BLOB.format(sha256=sha)).status_code == 404
    assert anon.get(api.BLOB.format(sha256=sha)).status_code == 404
    # Only possession of the bytes (a verified upload) grants access.
    bob.upload("public", team["media"])
    assert bob.get(api.BLOB.format(sha256=sha)).content == team["media"]
    assert anon.get(api.BLOB.format(sha256=sha)).content == team["media"]


def test_public_space_reads_for_all_and_writes_by_owner_only(alice: Api, bob: Api, anon: Api) -> None:
    data = os.urandom(1000)
    sha = alice.upload("public", data)
    assert alice.push("public", _clip("pub-a", "alice-pub-01", media=sha)).status_code == 200
    assert anon.get(api.BLOB.format(sha256=sha)).content == data
    assert anon.get(api.RECORD.format(space_id="public", kind="clip", record_id="pub-a")).status_code == 200
    entries, _ = anon.pull_all("public")
    assert any(e["id"] == "pub-a" for e in entries)
    theft = {
        "change_id": "bob-pub-0001",
        "kind": "clip",
        "id": "pub-a",
        "base_rev": None,
        "fields": {"title": "mine now"},
    }
    refused = bob.push("public", theft)
    assert refused.status_code == 200
    assert refused.json()["results"][0]["status"] == "refused"
    assert refused.json()["results"][0]["reason"] == "not-owner"
    record = anon.get(api.RECORD.format(space_id="public", kind="clip", record_id="pub-a")).json()
    assert record["doc"]["title"] == "t"
    assert anon.push("public", _clip("anon", "anon-pub-001")).status_code == 401
    assert anon.post(api.SPACES, json={"name": "x"}).status_code == 401
