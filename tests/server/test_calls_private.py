"""Open calls in a private space, over real HTTP: members see the call, answer it and see their answer
accepted; a non-member, a removed member and an anonymous caller get the same 404 as for a call that does
not exist, for the call, its answers, the accepted result and the space's ledger entries."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from studio.protocol import api
from studio.protocol import ledger_api as paths
from tests.server.conftest import Api, ServerProcess, signup, unique
from tests.server.test_calls import publish


def hidden(r: Any, call_id: str, missing: Any, missing_id: str) -> bool:
    """A 404 that says no more than the 404 for a call id that was never used."""
    return (
        r.status_code == 404
        and missing.status_code == 404
        and r.json()["detail"].replace(call_id, "X") == missing.json()["detail"].replace(missing_id, "X")
    )


def test_members_see_answer_and_are_accepted_outsiders_see_nothing(
    server: ServerProcess, alice: Api, bob: Api
) -> None:
    carol, dave = signup(server.url, unique("carol")), signup(server.url, unique("dave"))
    anon = Api(server.url)
    space = alice.new_space("label")
    alice.add_member(space, bob.username, "editor")
    alice.add_member(space, carol.username, "viewer")
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat(timespec="seconds")
    made = alice.post(paths.CALLS, json={"space": space, "brief": "Night rain", "due": due})
    assert made.status_code == 201, made.text
    call_id = made.json()["id"]
    call_path = paths.CALL.format(call_id=call_id)

    # members see it, listed and by id
    for member in (bob, carol):
        assert member.get(call_path).status_code == 200
        assert call_id in {c["id"] for c in member.get(paths.CALLS, params={"space": space}).json()["calls"]}
        assert call_id in {c["id"] for c in member.get(paths.CALLS).json()["calls"]}
    bob_clip, carol_clip = publish(bob, space), publish(carol, "public")
    answered = bob.post(paths.CALL_ANSWERS.format(call_id=call_id), json={"clip": bob_clip})
    assert answered.status_code == 201, answered.text
    assert (
        carol.post(paths.CALL_ANSWERS.format(call_id=call_id), json={"clip": carol_clip}).status_code == 201
    )
    accepted = alice.post(paths.CALL_ACCEPT.format(call_id=call_id), json={"clip": bob_clip})
    assert accepted.status_code == 200
    assert accepted.json() == {"call": call_id, "clip": bob_clip, "clip_space": space, "accepted": True}
    mine = bob.get(call_path).json()["answers"]
    assert [(a["clip"], a["space"], a["by"], a["accepted"]) for a in mine] == [
        (bob_clip, space, bob.username, True)
    ]
    entries, _ = bob.pull_all(space)
    assert [e["doc"]["event"] for e in entries if e["kind"] == "ledger"] == [
        "call",
        "answer",
        "answer",
        "accept",
    ]

    # carol leaves the space: her own answer goes out of her sight with the call
    assert alice.delete(api.MEMBER.format(space_id=space, username=carol.username)).status_code == 204
    missing_id = secrets.token_hex(16)
    record = api.RECORD.format(space_id=space, kind="clip", record_id=bob_clip)
    for outsider in (dave, carol, anon):
        who = outsider.username or "anonymous"
        missing = outsider.get(paths.CALL.format(call_id=missing_id))
        assert hidden(outsider.get(call_path), call_id, missing, missing_id), who
        assert call_id not in {c["id"] for c in outsider.get(paths.CALLS).json()["calls"]}, who
        nowhere = secrets.token_hex(16)
        for seen, unseen in [
            (
                outsider.get(paths.CALLS, params={"space": space}),
                outsider.get(paths.CALLS, params={"space": nowhere}),
            ),
            (outsider.get(api.FEED.format(space_id=space)), outsider.get(api.FEED.format(space_id=nowhere))),
            (outsider.get(record), outsider.get(record.replace(space, nowhere))),
        ]:
            assert seen.status_code == unseen.status_code == 404, (who, seen.url, seen.text)
            assert seen.json()["detail"].replace(space, "X") == unseen.json()["detail"].replace(nowhere, "X")
        if outsider is anon:
            continue  # the writes below need an account: 401 before anything is looked up
        for path, body in [
            (paths.CALL_ANSWERS, {"clip": publish(outsider, "public")}),
            (paths.CALL_ACCEPT, {"clip": bob_clip}),
        ]:
            r = outsider.post(path.format(call_id=call_id), json=body)
            gone = outsider.post(path.format(call_id=missing_id), json=body)
            assert hidden(r, call_id, gone, missing_id), (who, path, r.text)
    for path in (paths.CALL_ANSWERS, paths.CALL_ACCEPT):
        assert anon.post(path.format(call_id=call_id), json={"clip": bob_clip}).status_code == 401
    # nothing an outsider tried reached the call
    owner_view = alice.get(call_path).json()
    assert owner_view["answer_count"] == 2
    assert {(a["clip"], a["accepted"]) for a in owner_view["answers"]} == {
        (bob_clip, True),
        (carol_clip, False),
    }


def test_a_poster_who_is_no_longer_an_owner_cannot_accept(
    server: ServerProcess, alice: Api, bob: Api
) -> None:
    space = alice.new_space("label")
    alice.add_member(space, bob.username, "owner")
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat(timespec="seconds")
    call_id = bob.post(paths.CALLS, json={"space": space, "brief": "Wind", "due": due}).json()["id"]
    clip = publish(alice, space)
    assert alice.post(paths.CALL_ANSWERS.format(call_id=call_id), json={"clip": clip}).status_code == 201
    alice.add_member(space, bob.username, "viewer")
    refused = bob.post(paths.CALL_ACCEPT.format(call_id=call_id), json={"clip": clip})
    assert refused.status_code == 403 and "viewer" in refused.json()["detail"], refused.text
    assert not alice.get(paths.CALL.format(call_id=call_id)).json()["answers"][0]["accepted"]
    alice.add_member(space, bob.username, "owner")
    assert bob.post(paths.CALL_ACCEPT.format(call_id=call_id), json={"clip": clip}).status_code == 200
