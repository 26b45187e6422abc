"""A large push is applied in bounded transactions: another space's small push gets in while it runs, and
a server killed between two batches loses nothing and applies nothing twice when the push is sent again."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

import requests

from studio.server.changes import TX_MAX_OPS
from tests.server.conftest import Api, signup

BIG_BODY = {"STUDIO_SERVER_MAX_BODY": str(16 * 1024 * 1024)}


def big_push(changes: int, ops_each: int) -> list[dict[str, Any]]:
    client = secrets.token_hex(16)
    out = []
    for c in range(changes):
        ops = [
            {"id": f"{client}:{n}", "lamport": n, "at": n}
            for n in range(c * ops_each + 1, (c + 1) * ops_each + 1)
        ]
        out.append({"change_id": f"big-{c:05d}-{client[:8]}", "kind": "ops", "project": "film", "ops": ops})
    return out


def test_another_spaces_push_completes_while_a_large_push_is_applied(make_server) -> None:
    server = make_server(env=BIG_BODY).start()
    alice, bob = signup(server.url), signup(server.url)
    busy, quiet = alice.new_space("busy"), bob.new_space("quiet")
    changes = big_push(16, 1000)  # 16,000 ops: 8 transactions of TX_MAX_OPS
    assert sum(len(c["ops"]) for c in changes) >= 8 * TX_MAX_OPS
    done: dict[str, float] = {}
    answers: dict[str, requests.Response] = {}

    def push_big() -> None:
        answers["big"] = alice.push(busy, *changes)
        done["big"] = time.monotonic()

    worker = threading.Thread(target=push_big)
    worker.start()
    try:
        while not alice.feed(busy, limit=1).json()["entries"]:  # the first batch has committed
            assert worker.is_alive(), "the large push ended before any of it was visible in the feed"
            time.sleep(0.005)
        sent = time.monotonic()
        small = {
            "change_id": "quiet-00001",
            "kind": "contributor",
            "id": "c1",
            "base_rev": None,
            "fields": {"name": "Bo"},
        }
        answers["small"] = bob.push(quiet, small)
        done["small"] = time.monotonic()
        committed_then = len(alice.pull_all(busy)[0])
    finally:
        worker.join(timeout=300)
    print(f"\nsmall push to another space waited {done['small'] - sent:.3f} s during a 16,000-op push")
    assert answers["small"].status_code == 200, answers["small"].text
    assert answers["small"].json()["results"][0]["status"] == "applied"
    assert answers["big"].status_code == 200, answers["big"].text
    # It got in between two batches: when it was done, part of the large push was still to be applied.
    assert 0 < committed_then < len(changes)
    results = answers["big"].json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 16
    assert sum(r["accepted"] for r in results) == 16_000
    entries, _ = alice.pull_all(busy)
    assert [e["change_id"] for e in entries] == [c["change_id"] for c in changes]
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(set(seqs))


def test_a_push_cut_between_batches_is_completed_by_sending_it_again(make_server) -> None:
    server = make_server(env=BIG_BODY).start(STUDIO_SERVER_FAILPOINT="between-push-batches")
    alice = signup(server.url)
    space = alice.new_space()
    changes = big_push(6, TX_MAX_OPS // 2)  # three batches
    try:
        alice.push(space, *changes)
    except requests.ConnectionError:
        pass
    server.proc.wait(timeout=60)  # type: ignore[union-attr]
    assert server.proc.returncode == 75  # type: ignore[union-attr]
    server.start()
    alice = Api(server.url, alice.token, alice.username)  # the restarted server has a new port
    entries, _ = alice.pull_all(space)
    first = [e["change_id"] for e in entries]
    assert first == [c["change_id"] for c in changes[:2]]  # the first batch, whole changes only
    results = alice.push(space, *changes).json()["results"]
    assert [r["status"] for r in results] == ["duplicate"] * 2 + ["applied"] * 4
    entries, _ = alice.pull_all(space)
    assert [e["change_id"] for e in entries] == [c["change_id"] for c in changes]
    assert sum(len(e["ops"]) for e in entries) == 6 * (TX_MAX_OPS // 2)
