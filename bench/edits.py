"""Edit latency and project open time against the raw cost of one journal transaction.

Each edit is ProjectSession.apply: catch up with the journal, check the edit (overlaps via the
per-track index), apply it, append its ops and commit, one transaction per edit. The reference,
measured alternately in the same run on a second store file, is the floor any journaled edit pays:
BEGIN IMMEDIATE, one INSERT of a journal row of the same size, COMMIT.

    .venv/bin/python bench/edits.py [--edits 10000] [--items 10000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from functools import partial
from pathlib import Path

from studio.core import edits
from studio.core.clips import Clip
from studio.core.project import ProjectSession, create_project
from studio.core.store import Store

CLIP = Clip(id="ab" * 32, title="bench", kind="video", duration=Fraction(10), has_video=True, has_audio=True)


def build(store: Store, items: int, *, one_transaction: bool) -> ProjectSession:
    """A project with `items` one-second items spaced two seconds apart on V1."""
    session = ProjectSession(store, create_project(store, f"bench-{items}-{one_transaction}"))
    session.apply("Add track", lambda tl: edits.add_track(tl, "video"))
    if one_transaction:
        with session.edit("Add clips") as tx:
            for i in range(items):
                tx.do(edits.insert_item(tx.timeline, CLIP, "V1", at=Fraction(2 * i), source_out=Fraction(1)))
    else:
        for i in range(items):
            session.apply(
                "Add clip",
                edits.insert_item(session.timeline, CLIP, "V1", at=Fraction(2 * i), source_out=Fraction(1)),
            )
    return session


_REF_COUNTER = itertools.count(1)


def raw_journal_append(store: Store, payload: str) -> None:
    counter = next(_REF_COUNTER)
    with store.write() as conn:
        conn.execute(
            "INSERT INTO ops (project_id, client, counter, lamport, op_id, group_id, origin, label, created, "
            "payload) VALUES ('ref', 'ref', ?, ?, ?, 'g', 'edit', 'Move clip', 0, ?)",
            (counter, counter, f"ref:{counter}", payload),
        )


def measure(session: ProjectSession, reference: Store, count: int) -> tuple[float, float]:
    """Median seconds per edit and per reference transaction, run alternately."""
    ids = sorted(session.timeline.items, key=lambda i: session.timeline.items[i].start)
    sample = edits.move_item(session.timeline, ids[0], at=Fraction(1, 2))
    payload = json.dumps(sample[0], separators=(",", ":"))
    edit_times: list[float] = []
    ref_times: list[float] = []
    for n in range(count):
        item_id = ids[(n * 7919) % len(ids)]
        item = session.timeline.items[item_id]
        shift = Fraction(1, 2) if item.start.denominator == 1 else Fraction(-1, 2)
        t0 = time.perf_counter()
        session.apply("Move clip", partial(edits.move_item, item_id=item_id, at=item.start + shift))
        t1 = time.perf_counter()
        raw_journal_append(reference, payload)
        t2 = time.perf_counter()
        edit_times.append(t1 - t0)
        ref_times.append(t2 - t1)
    return statistics.median(edit_times), statistics.median(ref_times)


def open_times(store: Store, session: ProjectSession, repeats: int = 5) -> tuple[float, float]:
    """Median open time replaying the whole journal (first open: it also writes the fold cache)
    and from the fold cache."""
    full: list[float] = []
    cached: list[float] = []
    for _ in range(repeats):
        store.drop_fold_cache(session.id)
        t0 = time.perf_counter()
        ProjectSession(store, session.info)
        t1 = time.perf_counter()
        ProjectSession(store, session.info)
        t2 = time.perf_counter()
        full.append(t1 - t0)
        cached.append(t2 - t1)
    return statistics.median(full), statistics.median(cached)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.db")
        reference = Store(Path(folder) / "reference.db")
        reference.conn.execute("INSERT INTO projects (id, name, created) VALUES ('ref', 'ref', '')")
        print("items   edits  median edit  median raw txn  ratio")
        sizes = sorted(
            {max(1, args.items // 10), max(1, args.items // 4), max(1, args.items // 2), args.items}
        )
        for items in sizes:
            session = build(store, items, one_transaction=True)
            count = args.edits if items == args.items else max(1, args.edits // 5)
            edit_s, ref_s = measure(session, reference, count)
            ratio = edit_s / ref_s
            print(f"{items:>6} {count:>6}  {edit_s * 1000:8.3f} ms  {ref_s * 1000:10.3f} ms  {ratio:6.2f}x")
        print(f"per-edit budget: 2 ms; at {args.items} items: {edit_s * 1000:.3f} ms")

        journal = build(store, args.items, one_transaction=False)
        for project, what in ((journal, f"{args.items} items"), (session, f"{args.items} items, then moves")):
            ops = len(store.journal_ordered(project.id))
            full, cached = open_times(store, project)
            print(
                f"open a project with a {ops}-op journal ({what}): {full:.3f} s replaying it all, "
                f"{cached:.3f} s from the fold cache"
            )
        store.close()
        reference.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
