"""Sync client benchmark on loopback: a first sync of 10,000 records and an incremental sync of 10 changes.

A live server (subprocess) holds a private space with 10,000 clip records that one member pushed. Another
member syncs into a fresh local store: time, requests, and the ratio to a reference measured alternately
in the same run, the bare transfer of the same feed pages (requests + JSON parsing, nothing applied or
stored). The engine's extra cost is the local merge: three-way field merge, one SQLite row per record plus
its shadow, each page and its cursor in one transaction. Then the pusher changes 10 records and the
member syncs again, against the bare fetch of the one new page.

Then how long another space's small push waits while a large push (40,000 ops) is being applied: on a
server applying the whole push in one transaction (the former behaviour, STUDIO_SERVER_PUSH_TX_OPS set
above the push) and on one with the default bound, alternately in the same run, against the same small push
on an idle server.

    .venv/bin/python bench/sync.py [--records 10000] [--changes 10] [--rounds 3] [--only-push-wait]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.core.store import Store  # noqa: E402
from studio.protocol import api  # noqa: E402
from studio.sync.client import ApiClient  # noqa: E402
from studio.sync.engine import SyncEngine  # noqa: E402

PASSWORD = "bench password 1"


def start_server(work: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    work.mkdir(parents=True, exist_ok=True)
    port_file = work / "port"
    log = open(work / "server.log", "wb")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studio.server",
            "--data",
            str(work / "server"),
            "--port",
            "0",
            "--port-file",
            str(port_file),
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=log,
    )
    while not port_file.exists() or not port_file.read_text().strip():
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(work / 'server.log').read_text()[-2000:]}")
        time.sleep(0.05)
    return proc, f"http://127.0.0.1:{int(port_file.read_text())}"


def account(url: str, name: str) -> str:
    requests.post(url + api.ACCOUNTS, json={"username": name, "password": PASSWORD}, timeout=60)
    grant = requests.post(url + api.TOKENS, json={"username": name, "password": PASSWORD}, timeout=60)
    grant.raise_for_status()
    return str(grant.json()["token"])


def clip_doc(n: int, version: int) -> tuple[str, dict[str, Any]]:
    sha = hashlib.sha256(f"clip {n}".encode()).hexdigest()
    return sha, {
        "title": f"clip {n} v{version}",
        "kind": "video",
        "duration": "5/1",
        "has_video": True,
        "has_audio": True,
        "probe": {"width": 320, "height": 240},
        "licence": "CC-BY-4.0",
        "credits": [{"name": f"Person {n % 97}", "role": "camera", "roles": ["camera"]}],
        "lineage": [],
        "embedded_credits": None,
        "tags": ["bench", f"set{n % 10}"],
        "source_name": f"c{n}.mp4",
        "media": sha,
    }


def push_clips(client: ApiClient, space: str, numbers: range, version: int, revs: dict[int, int]) -> None:
    for start in range(0, len(numbers), api.MAX_CHANGES_PER_PUSH):
        batch = numbers[start : start + api.MAX_CHANGES_PER_PUSH]
        changes = []
        for n in batch:
            sha, doc = clip_doc(n, version)
            fields = doc if version == 0 else {"title": doc["title"]}
            changes.append(
                {
                    "change_id": f"bench-{n}-v{version}",
                    "kind": "clip",
                    "id": sha,
                    "base_rev": revs.get(n),
                    "fields": fields,
                }
            )
        results = client.post_json(api.CHANGES.format(space_id=space), {"changes": changes}, idempotent=True)
        for n, result in zip(batch, results["results"], strict=True):
            revs[n] = result["rev"]


@contextmanager
def member_folder(base: Path, name: str) -> Any:
    folder = base / name
    shutil.rmtree(folder, ignore_errors=True)
    saved = {k: os.environ.get(k) for k in ("STUDIO_DATA_DIR", "STUDIO_CONFIG_DIR", "STUDIO_CACHE_DIR")}
    for key, sub in (
        ("STUDIO_DATA_DIR", "data"),
        ("STUDIO_CONFIG_DIR", "config"),
        ("STUDIO_CACHE_DIR", "cache"),
    ):
        os.environ[key] = str(folder / sub)
    try:
        yield folder
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def engine_sync(url: str, token: str, user: str, store: Store) -> tuple[float, int, int]:
    """(seconds, requests, entries pulled) of one SyncEngine.sync into `store`."""
    with ApiClient(url, token) as client:
        engine = SyncEngine(store, client, user)
        t0 = time.perf_counter()
        report = engine.sync()
        return time.perf_counter() - t0, report.requests, report.pulled_entries


def bare_pull(url: str, token: str, space: str, cursor: str | None) -> tuple[float, int, int, str]:
    """(seconds, requests, entries, cursor): the feed pages fetched and parsed, nothing applied."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    t0 = time.perf_counter()
    count = entries = 0
    while True:
        params: dict[str, str | int] = {"limit": api.FEED_MAX_LIMIT}
        if cursor:
            params["cursor"] = cursor
        page = session.get(url + api.FEED.format(space_id=space), params=params, timeout=60).json()
        count += 1
        entries += len(page["entries"])
        cursor = page["cursor"]
        if not page["more"]:
            break
    elapsed = time.perf_counter() - t0
    session.close()
    return elapsed, count, entries, str(cursor)


def large_push(changes: int, ops_each: int) -> list[dict[str, Any]]:
    """One client's `changes` op changes of `ops_each` small ops each."""
    client = os.urandom(16).hex()
    out = []
    for c in range(changes):
        ops = [
            {"id": f"{client}:{n}", "lamport": n, "at": n}
            for n in range(c * ops_each + 1, (c + 1) * ops_each + 1)
        ]
        out.append({"change_id": f"large-{c:05d}-{client[:8]}", "kind": "ops", "project": "film", "ops": ops})
    return out


def small_push_wait(
    url: str, busy: tuple[str, str], quiet: tuple[str, str], rounds: int
) -> tuple[float, float, float]:
    """Seconds (medians): an idle small push, the large push alone, a small push sent halfway through it."""

    def push(token: str, space: str, changes: list[dict[str, Any]]) -> float:
        t0 = time.perf_counter()
        answer = requests.post(
            url + api.CHANGES.format(space_id=space),
            json={"changes": changes},
            headers={"Authorization": f"Bearer {token}"},
            timeout=600,
        )
        answer.raise_for_status()
        return time.perf_counter() - t0

    def small() -> list[dict[str, Any]]:
        cid = os.urandom(8).hex()
        return [
            {
                "change_id": f"small-{cid}",
                "kind": "contributor",
                "id": cid,
                "base_rev": None,
                "fields": {"n": cid},
            }
        ]

    idle, alone, waited = [], [], []
    for _ in range(rounds):
        idle.append(push(*quiet, small()))
        alone.append(push(*busy, large_push(40, 1000)))
        body = large_push(40, 1000)
        worker = threading.Thread(target=push, args=(*busy, body))
        worker.start()
        time.sleep(alone[-1] / 2)
        waited.append(push(*quiet, small()))
        worker.join()
    return statistics.median(idle), statistics.median(alone), statistics.median(waited)


def bench_push_wait(work: Path, rounds: int) -> None:
    print("\nanother space's small push during a 40,000-op push (median of rounds)")
    servers = {
        "one transaction (before)": {"STUDIO_SERVER_PUSH_TX_OPS": str(10**9)},
        "bounded transactions (now)": {},
    }
    started = {name: start_server(work / f"wait{i}", env) for i, (name, env) in enumerate(servers.items())}
    try:
        spaces = {}
        for name, (_proc, url) in started.items():
            tokens = account(url, "busy"), account(url, "quiet")
            spaces[name] = [
                (tok, ApiClient(url, tok).post_json(api.SPACES, {"name": label})["id"])
                for tok, label in zip(tokens, ("busy", "quiet"), strict=True)
            ]
        results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in servers}
        for _ in range(rounds):  # alternate the two servers round by round
            for name, (_proc, url) in started.items():
                busy, quiet = spaces[name]
                results[name].append(small_push_wait(url, busy, quiet, 1))
        for name, rows in results.items():
            idle = statistics.median(r[0] for r in rows)
            alone = statistics.median(r[1] for r in rows)
            waited = statistics.median(r[2] for r in rows)
            print(
                f"  {name:27}: small push {waited * 1000:7.1f} ms during the large push "
                f"(idle {idle * 1000:5.1f} ms, {waited / idle:6.1f}x; the large push alone {alone:5.2f} s)"
            )
    finally:
        for proc, _url in started.values():
            proc.terminate()
            proc.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only-push-wait", action="store_true", help="only the push-wait measurement")
    args = parser.parse_args()
    if args.only_push_wait:
        with tempfile.TemporaryDirectory() as folder:
            bench_push_wait(Path(folder), args.rounds)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        proc, url = start_server(work)
        try:
            owner_token, member_token = account(url, "owner"), account(url, "member")
            owner = ApiClient(url, owner_token)
            space = owner.post_json(api.SPACES, {"name": "bench"})["id"]
            owner.request(
                "PUT", api.MEMBER.format(space_id=space, username="member"), json={"role": "editor"}
            )
            revs: dict[int, int] = {}
            t0 = time.perf_counter()
            push_clips(owner, space, range(args.records), 0, revs)
            print(f"seeded {args.records} clip records in {time.perf_counter() - t0:.1f} s")

            print("\nfirst sync of a fresh store (median of rounds; reference: bare feed fetch and parse)")
            firsts, refs = [], []
            for round_ in range(args.rounds):
                with member_folder(work, f"first{round_}"):
                    store = Store()
                    seconds, count, entries = engine_sync(url, member_token, "member", store)
                    records = store.conn.execute("SELECT count(*) FROM clips").fetchone()[0]
                    store.close()
                ref_s, ref_count, ref_entries, _cursor = bare_pull(url, member_token, space, None)
                assert records == args.records == ref_entries, (records, ref_entries)
                firsts.append((seconds, count))
                refs.append((ref_s, ref_count))
                print(
                    f"  round {round_ + 1}: engine {seconds:6.2f} s, {count} requests, {entries} entries | "
                    f"bare {ref_s:5.2f} s, {ref_count} requests | ratio {seconds / ref_s:5.1f}x"
                )
            first_s = statistics.median(s for s, _c in firsts)
            first_ref = statistics.median(s for s, _c in refs)

            print(f"\nincremental sync: {args.changes} records changed by the other member")
            incs, inc_refs = [], []
            with member_folder(work, "steady"):
                store = Store()
                engine_sync(url, member_token, "member", store)
                cursor = store.get_cursor(space)
                for round_ in range(args.rounds):
                    changed = range(round_ * args.changes, (round_ + 1) * args.changes)
                    push_clips(owner, space, changed, round_ + 1, revs)
                    ref_s, ref_count, ref_entries, _next = bare_pull(url, member_token, space, cursor)
                    seconds, count, entries = engine_sync(url, member_token, "member", store)
                    cursor = store.get_cursor(space)
                    title = store.conn.execute(
                        "SELECT title FROM clips WHERE id = ?", (clip_doc(changed[0], 0)[0],)
                    ).fetchone()[0]
                    assert entries == ref_entries == args.changes and title.endswith(f"v{round_ + 1}")
                    incs.append((seconds, count))
                    inc_refs.append((ref_s, ref_count))
                    print(
                        f"  round {round_ + 1}: engine {seconds * 1000:7.1f} ms, {count} requests | "
                        f"bare {ref_s * 1000:6.1f} ms, {ref_count} requests | ratio {seconds / ref_s:5.1f}x"
                    )
                store.close()
            inc_s = statistics.median(s for s, _c in incs)
            inc_ref = statistics.median(s for s, _c in inc_refs)
            owner.close()
        finally:
            proc.terminate()
            proc.wait(30)
    print("\nsummary")
    print(
        f"  first sync of {args.records} records: {first_s:.2f} s, {firsts[0][1]} requests "
        f"({first_s / first_ref:.1f}x the bare feed transfer, {first_ref:.2f} s)"
    )
    print(
        f"  incremental sync of {args.changes} changes: {inc_s * 1000:.1f} ms, {incs[0][1]} requests "
        f"({inc_s / inc_ref:.1f}x the bare fetch of the new page, {inc_ref * 1000:.1f} ms)"
    )
    with tempfile.TemporaryDirectory() as folder:
        bench_push_wait(Path(folder), args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
