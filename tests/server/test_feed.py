"""Pushes, merge and the change feed over HTTP: idempotency, paging, conflicts, ops, cursors."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest

from studio.protocol import api, problems
from studio.protocol.cursor import Cursor, decode_cursor
from tests.server.conftest import Api

IN_PROCESS = True  # request/answer logic: the app in this process (tests/server/conftest.py)

CREDITS = [{"name": "Ann", "role": "camera"}]


def cid() -> str:
    return "c-" + secrets.token_hex(8)


def record(record_kind: str, rid: str, base: int | None, **fields: object) -> dict:
    return {"change_id": cid(), "kind": record_kind, "id": rid, "base_rev": base, "fields": fields}


def op(client: str, counter: int, lamport: int, **payload: object) -> dict:
    return {"id": f"{client}:{counter}", "lamport": lamport, **payload}


@pytest.fixture
def space(alice: Api, bob: Api) -> str:
    space = alice.new_space()
    assert alice.add_member(space, bob.username, "editor").status_code == 200
    return space


def test_feed_pages_in_order_and_an_empty_pull_is_one_quick_request(alice: Api, space: str) -> None:
    changes = [record("contributor", f"p{i}", None, name=f"P{i}") for i in range(25)]
    assert alice.push(space, *changes).status_code == 200
    entries, cursor = alice.pull_all(space, limit=10)
    assert [e["id"] for e in entries] == [f"p{i}" for i in range(25)]
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    again = alice.feed(space, cursor)
    assert again.status_code == 200
    assert again.json() == {"entries": [], "cursor": cursor, "more": False, "epoch": again.json()["epoch"]}
    alice.push(space, record("contributor", "late", None, name="Late"))
    fresh = alice.feed(space, cursor).json()
    assert [e["id"] for e in fresh["entries"]] == ["late"]


def test_a_replayed_push_is_applied_once(alice: Api, space: str) -> None:
    change = record("contributor", "once", None, name="Once")
    first = alice.push(space, change).json()["results"][0]
    again = alice.push(space, change).json()["results"][0]
    assert first["status"] == "applied" and again["status"] == "duplicate"
    assert again["rev"] == first["rev"]
    with ThreadPoolExecutor(8) as pool:
        burst = record("contributor", "burst", None, name="Burst")
        results = list(pool.map(lambda _: alice.push(space, burst).json()["results"][0]["status"], range(8)))
    assert sorted(results) == ["applied"] + ["duplicate"] * 7
    entries, _ = alice.pull_all(space)
    assert [e["id"] for e in entries].count("burst") == 1


def test_field_by_field_merge_and_conflicts(alice: Api, bob: Api, space: str) -> None:
    created = alice.push(space, record("project", "film", None, title="Film", fps=25, notes="")).json()
    base = created["results"][0]["rev"]
    a = alice.push(space, record("project", "film", base, title="Film A", notes="alice")).json()["results"][0]
    b = bob.push(space, record("project", "film", base, fps=30, notes="bob")).json()["results"][0]
    assert a["status"] == "applied"
    assert b["status"] == "conflict"
    assert [(c["field"], c["server"], c["client"], c["base"]) for c in b["conflicts"]] == [
        ("notes", "alice", "bob", "")
    ]
    current = alice.get(api.RECORD.format(space_id=space, kind="project", record_id="film")).json()
    assert current["doc"] == {"title": "Film A", "fps": 30, "notes": "alice"}
    assert [c["field"] for c in current["conflicts"]] == ["notes"]
    resolved = bob.push(space, record("project", "film", current["rev"], notes="both")).json()["results"][0]
    assert resolved["status"] == "applied"
    after = bob.get(api.RECORD.format(space_id=space, kind="project", record_id="film")).json()
    assert after["doc"]["notes"] == "both" and after["conflicts"] == []


def test_edit_of_a_deleted_record_is_kept_and_flagged(alice: Api, bob: Api, space: str) -> None:
    base = alice.push(space, record("membership", "m1", None, role="editor")).json()["results"][0]["rev"]
    gone = alice.push(space, {**record("membership", "m1", base), "deleted": True}).json()["results"][0]
    assert gone["status"] == "applied"
    edit = bob.push(space, record("membership", "m1", base, role="sound")).json()["results"][0]
    assert edit["status"] == "conflict"
    assert [c["reason"] for c in edit["conflicts"]] == ["edit-of-deleted"]
    now = bob.get(api.RECORD.format(space_id=space, kind="membership", record_id="m1")).json()
    assert now["deleted"] is True and now["doc"]["role"] == "sound"


def test_credits_invariant_becomes_a_conflict_not_a_refusal(alice: Api, space: str) -> None:
    ok = alice.push(space, record("clip", "k1", None, title="K", credits=CREDITS)).json()["results"][0]
    assert ok["status"] == "applied"
    bad = alice.push(space, record("clip", "k1", ok["rev"], credits=[{"name": "", "role": "x"}])).json()
    result = bad["results"][0]
    assert result["status"] == "conflict"
    assert [(c["field"], c["reason"]) for c in result["conflicts"]] == [("credits", "invariant")]
    weights = alice.push(
        space, record("clip", "k1", result["rev"], credits=[{"name": "A", "role": "r", "weight": -1}])
    ).json()
    assert weights["results"][0]["conflicts"][0]["reason"] == "invariant"
    fixed = alice.push(space, record("clip", "k1", weights["results"][0]["rev"], credits=CREDITS)).json()
    assert fixed["results"][0]["status"] == "applied"
    now = alice.get(api.RECORD.format(space_id=space, kind="clip", record_id="k1")).json()
    assert now["conflicts"] == []


def test_ops_are_an_append_only_log_deduplicated_by_id(alice: Api, bob: Api, space: str) -> None:
    ca, cb = secrets.token_hex(16), secrets.token_hex(16)
    first = {
        "change_id": cid(),
        "kind": "ops",
        "project": "film",
        "ops": [op(ca, 1, 1, set={"item": "i1", "at": "0"}), op(ca, 2, 2, move={"item": "i1"})],
    }
    concurrent = {
        "change_id": cid(),
        "kind": "ops",
        "project": "film",
        "ops": [op(cb, 1, 1, set={"item": "i1", "at": "5"})],
    }
    replay = {
        "change_id": cid(),
        "kind": "ops",
        "project": "film",
        "ops": [op(ca, 2, 2, move={"item": "i1"}), op(ca, 3, 3, remove="i1")],
    }
    assert alice.push(space, first).json()["results"][0]["accepted"] == 2
    assert bob.push(space, concurrent).json()["results"][0]["accepted"] == 1
    assert alice.push(space, replay).json()["results"][0]["accepted"] == 1
    entries, _ = bob.pull_all(space)
    ops = [o for e in entries if e["kind"] == "ops" for o in e["ops"]]
    assert sorted(o["id"] for o in ops) == sorted([f"{ca}:1", f"{ca}:2", f"{ca}:3", f"{cb}:1"])
    assert next(o for o in ops if o["id"] == f"{cb}:1")["set"] == {"item": "i1", "at": "5"}


def test_superseded_revisions_are_left_out_of_a_full_pull(alice: Api, space: str) -> None:
    rev = alice.push(space, record("contributor", "sup", None, name="v0")).json()["results"][0]["rev"]
    _, cursor = alice.pull_all(space)
    for i in range(1, 4):
        rev = alice.push(space, record("contributor", "sup", rev, name=f"v{i}")).json()["results"][0]["rev"]
    full, _ = alice.pull_all(space)
    assert [e["doc"]["name"] for e in full if e["id"] == "sup"] == ["v3"]
    since, _ = alice.pull_all(space, cursor)
    assert [e["doc"]["name"] for e in since] == ["v3"]


def test_foreign_or_garbage_cursors(alice: Api, space: str) -> None:
    alice.push(space, record("contributor", "x", None, name="X"))
    _, cursor = alice.pull_all(space)
    real = decode_cursor(cursor)
    for bad in ("not-a-cursor", "e30", "A" * 300):
        assert alice.feed(space, bad).status_code == 422
    other_epoch = Cursor("0" * 16, real.seq, real.stamp).encode()
    beyond = Cursor(real.epoch, real.seq + 100, "abcd0123").encode()
    wrong_stamp = Cursor(real.epoch, real.seq, "ffffffff").encode()
    for stale in (other_epoch, beyond, wrong_stamp):
        r = alice.feed(space, stale)
        assert r.status_code == 410, r.text
        assert r.json()["type"] == problems.CURSOR_RESET


def test_malformed_changes_are_refused_whole(alice: Api, space: str) -> None:
    bad = [
        {"change_id": "short", "kind": "clip", "id": "a", "fields": {}},
        {"change_id": cid(), "kind": "clip", "id": "../etc", "fields": {}},
        {"change_id": cid(), "kind": "weird", "id": "a", "fields": {}},
        {"change_id": cid(), "kind": "ops", "project": "p", "ops": [{"id": "nothex:1", "lamport": 1}]},
        {"change_id": cid(), "kind": "ops", "project": "p", "ops": [{"id": "a" * 32 + ":0", "lamport": 1}]},
        {"change_id": cid(), "kind": "ops", "project": "p", "ops": [{"id": "a" * 32 + ":1", "lamport": -1}]},
    ]
    for change in bad:
        r = alice.push(space, record("contributor", "fine", None, name="ok"), change)
        assert r.status_code == 422, change
    entries, _ = alice.pull_all(space)
    assert not any(e["id"] == "fine" for e in entries)
    assert alice.post(api.CHANGES.format(space_id=space), json={"changes": []}).status_code == 422


def test_search_the_public_library(alice: Api, bob: Api, anon: Api) -> None:
    tag = "tag" + secrets.token_hex(4)
    clips = [
        (
            "s1",
            {
                "title": f"Sunrise over hills {tag}",
                "kind": "video",
                "tags": [tag, "nature"],
                "licence": "CC-BY-4.0",
                "credits": [{"name": "Ann Lee", "role": "camera"}],
            },
        ),
        (
            "s2",
            {
                "title": f"City rain {tag}",
                "kind": "audio",
                "tags": [tag],
                "licence": "CC0-1.0",
                "credits": [{"name": "Bo", "role": "sound"}],
            },
        ),
        (
            "s3",
            {
                "title": f"Sunrise drums {tag}",
                "kind": "audio",
                "tags": [tag, "music"],
                "licence": "CC-BY-4.0",
                "credits": [{"name": "Bo", "role": "music"}],
            },
        ),
    ]
    for rid, fields in clips:
        assert alice.push("public", record("clip", f"{rid}{tag}", None, **fields)).status_code == 200
    bob.push(
        alice.new_space(), record("clip", "hidden", None, title=f"Sunrise secret {tag}", credits=CREDITS)
    )

    def ids(**params: object) -> list[str]:
        r = anon.get(api.SEARCH, params=params)
        assert r.status_code == 200, r.text
        return [x["id"].removesuffix(tag) for x in r.json()["results"]]

    assert ids(tag=tag) == ["s3", "s2", "s1"]
    assert ids(q=f"sunrise {tag}") == ["s3", "s1"]
    assert ids(tag=tag, kind="audio") == ["s3", "s2"]
    assert ids(tag=tag, contributor="bo") == ["s3", "s2"]
    assert ids(tag=tag, licence="CC-BY-4.0") == ["s3", "s1"]
    assert ids(q="100%_match") == []
    first = anon.get(api.SEARCH, params={"tag": tag, "limit": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    rest = anon.get(api.SEARCH, params={"tag": tag, "limit": 2, "cursor": first["next"]}).json()
    assert [x["id"].removesuffix(tag) for x in rest["results"]] == ["s1"] and rest["next"] is None
