"""Public clip records are claims, over HTTP: a clip pushed by its media hash becomes the pusher's own
record about that hash, two accounts' claims about one file coexist with their own credits, and a hash
names one claim only when that is unambiguous."""

from __future__ import annotations

import os
import secrets

from studio.protocol import api, problems
from studio.protocol.ids import claim_media
from tests.server.conftest import Api

IN_PROCESS = True  # request/answer logic: the app in this process (tests/server/conftest.py)


def by_hash(sha: str, title: str, name: str) -> dict:
    return {
        "change_id": "c-" + secrets.token_hex(8),
        "kind": "clip",
        "id": sha,
        "base_rev": None,
        "fields": {"title": title, "credits": [{"name": name, "role": "camera"}]},
    }


def record(caller: Api, rid: str):
    return caller.get(api.RECORD.format(space_id="public", kind="clip", record_id=rid))


def test_two_accounts_claim_one_file_and_a_hash_is_resolved_only_when_unambiguous(
    alice: Api, bob: Api, anon: Api
) -> None:
    sha = alice.upload("public", os.urandom(2000))
    assert alice.push("public", by_hash(sha, "Alice's", "Alice")).json()["results"][0]["status"] == "applied"
    # The only claim is what the hash names, for anyone.
    only = record(anon, sha).json()
    assert only["owner"] == alice.username and only["doc"]["media"] == sha and claim_media(only["id"]) == sha
    assert bob.push("public", by_hash(sha, "Bob's", "Bob")).json()["results"][0]["status"] == "applied"
    # Bob's push by the same hash again edits his own claim, never alice's.
    edit = {**by_hash(sha, "Bob's, retitled", "Bob"), "base_rev": record(bob, sha).json()["rev"]}
    assert bob.push("public", edit).json()["results"][0]["status"] == "applied"
    found = anon.get(api.SEARCH, params={"media": sha}).json()["results"]
    claims = {r["owner"]: r for r in found}
    assert set(claims) == {alice.username, bob.username} and len(found) == 2
    assert claims[alice.username]["doc"]["title"] == "Alice's"
    assert claims[bob.username]["doc"]["title"] == "Bob's, retitled"
    assert claims[bob.username]["doc"]["credits"][0]["name"] == "Bob"
    # Each publisher's hash means their own claim; a third party must choose.
    assert record(alice, sha).json()["id"] == claims[alice.username]["id"]
    assert record(bob, sha).json()["id"] == claims[bob.username]["id"]
    ambiguous = record(anon, sha)
    assert ambiguous.status_code == 409 and ambiguous.json()["type"] == problems.AMBIGUOUS_CLAIM
    assert {c["owner"] for c in ambiguous.json()["claims"]} == {alice.username, bob.username}
    # Both claims serve the one blob.
    assert anon.get(api.BLOB.format(sha256=sha)).status_code == 200
