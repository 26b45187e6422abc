"""Open calls over real HTTP: who may post, answer and accept; the due date, licence and length rules; what
each account sees; and the ledger entries in the space's feed."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from studio.protocol import ledger_api as paths
from tests.server.conftest import Api, ServerProcess, signup, unique

IN_PROCESS = True  # request/answer logic: the app in this process (tests/server/conftest.py)

DAY = 86400


def clip_id() -> str:
    return "clip-" + secrets.token_hex(8)


def publish(api: Api, space: str, licence: str = "CC-BY-4.0", duration: str = "8") -> str:
    clip = clip_id()
    change = {
        "change_id": "c-" + secrets.token_hex(8),
        "kind": "clip",
        "id": clip,
        "base_rev": None,
        "fields": {
            "title": clip,
            "licence": licence,
            "duration": duration,
            "credits": [{"name": api.username, "role": "camera"}],
        },
    }
    r = api.push(space, change)
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied", r.text
    return clip


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="seconds")


def new_call(api: Api, space: str, **extra: Any) -> Any:
    return api.post(paths.CALLS, json={"space": space, "brief": "Rain sounds", "due": in_days(3), **extra})


def answer(api: Api, call: str, clip: str) -> Any:
    return api.post(paths.CALL_ANSWERS.format(call_id=call), json={"clip": clip})


def test_owners_post_members_answer_the_owner_sees_and_accepts(
    server: ServerProcess, alice: Api, bob: Api
) -> None:
    carol, dave = signup(server.url, unique("carol")), signup(server.url, unique("dave"))
    space = alice.new_space("label")
    alice.add_member(space, bob.username, "editor")
    alice.add_member(space, carol.username, "viewer")
    refused = new_call(bob, space)
    assert refused.status_code == 403 and "owner" in refused.json()["detail"]
    assert new_call(dave, space).status_code == 404
    made = new_call(alice, space, licence="CC-BY-4.0", length_s=10)
    assert made.status_code == 201, made.text
    call = made.json()
    assert call["status"] == "open" and call["licence"] == "CC-BY-4.0" and call["length_s"] == 10
    bob_clip, carol_clip = publish(bob, space), publish(carol, "public")
    assert answer(bob, call["id"], bob_clip).status_code == 201
    assert answer(carol, call["id"], carol_clip).status_code == 201  # a viewer answers with a public clip
    assert answer(dave, call["id"], publish(dave, "public")).status_code == 404
    twice = answer(bob, call["id"], bob_clip)
    assert twice.status_code == 409 and "already answers" in twice.json()["detail"]
    stolen = answer(bob, call["id"], carol_clip)
    assert stolen.status_code == 403 and "someone else" in stolen.json()["detail"]
    owner_view = alice.get(paths.CALL.format(call_id=call["id"])).json()
    assert {a["clip"] for a in owner_view["answers"]} == {bob_clip, carol_clip}
    bob_view = bob.get(paths.CALL.format(call_id=call["id"])).json()
    assert [a["clip"] for a in bob_view["answers"]] == [bob_clip] and bob_view["answer_count"] == 2
    assert dave.get(paths.CALL.format(call_id=call["id"])).status_code == 404
    assert bob.post(paths.CALL_ACCEPT.format(call_id=call["id"]), json={"clip": bob_clip}).status_code == 403
    ok = alice.post(paths.CALL_ACCEPT.format(call_id=call["id"]), json={"clip": bob_clip})
    assert ok.status_code == 200 and ok.json() == {
        "call": call["id"],
        "clip": bob_clip,
        "clip_space": space,
        "accepted": True,
    }
    missing = alice.post(paths.CALL_ACCEPT.format(call_id=call["id"]), json={"clip": clip_id()})
    assert missing.status_code == 404
    listed = carol.get(paths.CALLS, params={"space": space}).json()["calls"]
    assert [c["id"] for c in listed] == [call["id"]]
    assert call["id"] not in {c["id"] for c in dave.get(paths.CALLS).json()["calls"]}
    entries, _ = bob.pull_all(space)
    events = [e["doc"]["event"] for e in entries if e["kind"] == "ledger"]
    assert events == ["call", "answer", "answer", "accept"]


def test_licence_and_length_rules_name_what_was_wrong(alice: Api, bob: Api) -> None:
    call = new_call(alice, "public", licence="CC-BY-4.0", length_s=5).json()
    wrong = answer(bob, call["id"], publish(bob, "public", licence="CC-BY-NC-4.0", duration="4"))
    assert wrong.status_code == 422
    assert "CC-BY-NC-4.0" in wrong.json()["detail"] and "wants CC-BY-4.0" in wrong.json()["detail"]
    long = answer(bob, call["id"], publish(bob, "public", duration="11/2"))
    assert (
        long.status_code == 422
        and "5.5 s" in long.json()["detail"]
        and "at most 5 s" in long.json()["detail"]
    )
    assert answer(bob, call["id"], publish(bob, "public", duration="5")).status_code == 201
    free = new_call(alice, "public").json()  # no licence or length wanted: any clip answers
    assert (
        answer(bob, free["id"], publish(bob, "public", licence="CC0-1.0", duration="60")).status_code == 201
    )


def test_a_due_date_must_be_ahead_and_closes_the_call(make_server: Any, tmp_path: Any) -> None:
    srv = make_server(root=tmp_path / "due").start()
    alice, bob = signup(srv.url, unique("alice")), signup(srv.url, unique("bob"))
    past = new_call(alice, "public", due=in_days(-1))
    assert past.status_code == 422 and "already passed" in past.json()["detail"]
    for bad in ["tomorrow", "2026-13-40", "2030-01-01T10:00:00"]:
        r = new_call(alice, "public", due=bad)
        assert r.status_code == 422 and bad in r.json()["detail"], r.text
    call = new_call(alice, "public", due=in_days(2)).json()
    early = publish(bob, "public")
    assert answer(bob, call["id"], early).status_code == 201
    srv.clock.advance(3 * DAY)
    late = answer(bob, call["id"], publish(bob, "public"))
    assert late.status_code == 409 and "closed on" in late.json()["detail"]
    assert bob.get(paths.CALL.format(call_id=call["id"])).json()["status"] == "closed"
    assert alice.post(paths.CALL_ACCEPT.format(call_id=call["id"]), json={"clip": early}).status_code == 200
