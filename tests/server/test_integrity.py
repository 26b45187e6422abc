"""Authorship over HTTP: change ids, op ids and op logs belong to the account that pushed them, a known id
is compared by content, one refused change leaves the others of its push applied, and a blob grant follows
whoever writes the reference, when they write it."""

from __future__ import annotations

import os
import secrets

import pytest

from studio.protocol import api
from tests.server.conftest import Api

IN_PROCESS = True  # request/answer logic: the app in this process (tests/server/conftest.py)

CREDITS = [{"name": "Ann", "role": "camera"}]


def cid() -> str:
    return "c-" + secrets.token_hex(8)


def op(client: str, counter: int, lamport: int, **payload: object) -> dict:
    return {"id": f"{client}:{counter}", "lamport": lamport, **payload}


def ops_change(project: str, *ops: dict, change_id: str | None = None) -> dict:
    return {"change_id": change_id or cid(), "kind": "ops", "project": project, "ops": list(ops)}


def clip(rid: str, **fields: object) -> dict:
    return {
        "change_id": cid(),
        "kind": "clip",
        "id": rid,
        "base_rev": None,
        "fields": {"title": "t", "credits": CREDITS, **fields},
    }


@pytest.fixture
def space(alice: Api, bob: Api) -> str:
    space = alice.new_space()
    assert alice.add_member(space, bob.username, "editor").status_code == 200
    return space


def all_ops(api_: Api, space: str) -> dict[str, dict]:
    entries, _ = api_.pull_all(space)
    return {o["id"]: o for e in entries if e["kind"] == "ops" for o in e["ops"]}


def test_ops_under_another_accounts_client_id_are_refused_and_the_real_ones_land(
    alice: Api, bob: Api, space: str
) -> None:
    client = secrets.token_hex(16)
    assert (
        alice.push(space, ops_change("film", op(client, 1, 1, set="a1"))).json()["results"][0]["accepted"]
        == 1
    )
    # Bob read alice's client id from the feed and pushes its next ids before she does.
    squat = bob.push(space, ops_change("film", op(client, 2, 2, set="bob's"), op(client, 3, 3, set="bob's")))
    result = squat.json()["results"][0]
    assert (result["status"], result["reason"], result["clients"]) == ("refused", "foreign-client", [client])
    real = alice.push(space, ops_change("film", op(client, 2, 2, set="a2"), op(client, 3, 3, set="a3")))
    assert real.json()["results"][0]["accepted"] == 2
    ops = all_ops(alice, space)
    assert [ops[f"{client}:{n}"]["set"] for n in (1, 2, 3)] == ["a1", "a2", "a3"]


def test_a_known_op_id_with_other_content_is_refused_not_skipped(alice: Api, space: str) -> None:
    client = secrets.token_hex(16)
    alice.push(space, ops_change("film", op(client, 1, 1, set="before the power cut")))
    replay = alice.push(space, ops_change("film", op(client, 1, 1, set="before the power cut")))
    assert (replay.json()["results"][0]["status"], replay.json()["results"][0]["accepted"]) == ("applied", 0)
    reused = alice.push(space, ops_change("film", op(client, 1, 5, set="a new edit, same id")))
    result = reused.json()["results"][0]
    assert (result["status"], result["reason"], result["ops"]) == ("refused", "op-id-reused", [f"{client}:1"])
    assert all_ops(alice, space)[f"{client}:1"]["set"] == "before the power cut"


def test_change_ids_belong_to_their_pusher(alice: Api, bob: Api, space: str) -> None:
    client = secrets.token_hex(16)
    change_id = f"ops-{client}:1-{client}:1"
    # Bob guesses the deterministic change id of alice's next push and pushes it first with his own ops.
    first = bob.push(space, ops_change("film", op(secrets.token_hex(16), 1, 1, set="b"), change_id=change_id))
    assert first.json()["results"][0]["status"] == "applied"
    mine = alice.push(space, ops_change("film", op(client, 1, 1, set="a"), change_id=change_id))
    assert mine.json()["results"][0]["status"] == "applied"
    assert mine.json()["results"][0]["accepted"] == 1
    # The same id again with other content is refused by name, with the same content it is a duplicate.
    again = alice.push(space, ops_change("film", op(client, 1, 1, set="a"), change_id=change_id))
    assert (again.json()["results"][0]["status"], again.json()["results"][0]["original"]) == (
        "duplicate",
        "applied",
    )
    other = alice.push(space, ops_change("film", op(client, 2, 2, set="x"), change_id=change_id))
    assert other.json()["results"][0]["reason"] == "change-id-reused"


def test_nobody_appends_to_another_accounts_public_project(alice: Api, bob: Api) -> None:
    project = "pp-" + secrets.token_hex(6)
    created = alice.push(
        "public",
        {"change_id": cid(), "kind": "project", "id": project, "base_rev": None, "fields": {"name": "p"}},
    )
    assert created.json()["results"][0]["status"] == "applied"
    own = alice.push("public", ops_change(project, op(secrets.token_hex(16), 1, 1, set="a")))
    assert own.json()["results"][0]["accepted"] == 1
    stranger = bob.push("public", ops_change(project, op(secrets.token_hex(16), 1, 2, set="b")))
    assert stranger.json()["results"][0]["reason"] == "not-owner"
    # A log without a project record belongs to whoever started it.
    loose = "pl-" + secrets.token_hex(6)
    assert (
        alice.push("public", ops_change(loose, op(secrets.token_hex(16), 1, 1))).json()["results"][0][
            "accepted"
        ]
        == 1
    )
    assert (
        bob.push("public", ops_change(loose, op(secrets.token_hex(16), 1, 1))).json()["results"][0]["reason"]
        == "not-owner"
    )


def test_one_refused_change_leaves_the_rest_of_the_push_applied(alice: Api, bob: Api) -> None:
    squatted = "sq-" + secrets.token_hex(6)
    assert (
        bob.push("public", clip(squatted, title="bob was first")).json()["results"][0]["status"] == "applied"
    )
    mine, squat = clip("ok-" + secrets.token_hex(6), title="mine"), clip(squatted, title="alice's")
    results = alice.push("public", mine, squat).json()["results"]
    assert [r["status"] for r in results] == ["applied", "refused"]
    assert results[1]["reason"] == "not-owner" and squatted in results[1]["detail"]
    got = alice.get(api.RECORD.format(space_id="public", kind="clip", record_id=mine["id"]))
    assert got.json()["doc"]["title"] == "mine"


def test_editing_another_field_does_not_grant_a_blob_the_reference_writer_cannot_read(
    alice: Api, bob: Api, space: str
) -> None:
    """The confused deputy: bob names alice's private hash; alice (who can read it) retitles the record."""
    private = alice.new_space("alice only")
    media = os.urandom(4000)
    sha = alice.upload(private, media)
    named = clip("deputy-" + secrets.token_hex(4), media=sha)
    made = bob.push(space, named).json()["results"][0]
    assert bob.get(api.BLOB.format(sha256=sha)).status_code == 404
    retitle = {
        "change_id": cid(),
        "kind": "clip",
        "id": named["id"],
        "base_rev": made["rev"],
        "fields": {"title": "retitled by alice"},
    }
    assert alice.push(space, retitle).json()["results"][0]["status"] == "applied"
    assert bob.get(api.BLOB.format(sha256=sha)).status_code == 404
    # Alice writing the reference herself is a grant she may give.
    rec = alice.get(api.RECORD.format(space_id=space, kind="clip", record_id=named["id"])).json()
    again = {
        "change_id": cid(),
        "kind": "clip",
        "id": named["id"],
        "base_rev": rec["rev"],
        "fields": {"media": sha},
    }
    alice.push(space, {**again, "fields": {"media": sha, "title": "alice names it"}})
    assert bob.get(api.BLOB.format(sha256=sha)).content == media
