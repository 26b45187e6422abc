"""Property: random offline edits by several collaborators, delivered in any order and any number of
times, converge to one timeline, equal to the fold of every op made, with no op lost.

Twice: through the engine's page application with a random delivery of the op log (many examples,
no network), and end to end through a live server with random sync orders where some syncs re-push
acknowledged ops and some re-pull the whole feed (duplicates on the way up and down).
"""

from __future__ import annotations

import random
import uuid
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core import edits
from studio.core import ops as op_mod
from studio.core.errors import StudioError
from studio.core.project import ProjectSession, create_project
from studio.core.store import Store
from studio.core.timeline import Timeline
from studio.services import sync as svc
from studio.sync.client import ApiClient
from studio.sync.engine import SyncEngine, fold, wire_op

F = Fraction
ITEMS = ["i0", "i1", "i2", "i3"]

action = st.one_of(
    st.tuples(st.just("move"), st.sampled_from(ITEMS), st.integers(0, 30)),
    st.tuples(st.just("trim"), st.sampled_from(ITEMS), st.integers(1, 4)),
    st.tuples(st.just("text"), st.sampled_from(ITEMS), st.sampled_from(["x", "y", "z"])),
    st.tuples(st.just("remove"), st.sampled_from(ITEMS), st.none()),
    st.tuples(st.just("insert"), st.sampled_from(["n0", "n1"]), st.integers(0, 30)),
    st.tuples(st.just("marker"), st.sampled_from(["m0", "m1"]), st.sampled_from(["fix", "ok"])),
    st.tuples(st.just("track"), st.sampled_from(ITEMS), st.sampled_from(["V1", "V2"])),
)
scripts = st.lists(st.lists(action, max_size=6), min_size=2, max_size=3)


def run_action(session: ProjectSession, tag: str, act: tuple) -> None:
    kind, target, value = act
    makers = {
        "move": lambda tl: edits.move_item(tl, target, at=F(value)),
        "trim": lambda tl: edits.trim_item(tl, target, source_out=F(value)),
        "text": lambda tl: edits.set_text(tl, target, value),
        "remove": lambda tl: edits.remove_item(tl, target),
        "insert": lambda tl: edits.add_title(
            tl, "V1", tag, at=F(value), duration=F(1), item_id=f"{target}-{tag}"
        ),
        "marker": lambda tl: edits.add_marker(tl, F(1), value, author=tag, marker_id=f"{target}-{tag}"),
        "track": lambda tl: edits.move_item(tl, target, track_ref=value),
    }
    try:
        session.apply(kind, makers[kind])
    except StudioError:
        pass  # refused locally (overlap, missing item): a person would not have made that edit


def seed_base(store: Store, name: str) -> None:
    create_project(store, name, project_id=name)
    session = ProjectSession.open(store, name)
    session.apply("V1", lambda tl: edits.add_track(tl, "video", "V1", track_id="v1"))
    session.apply("V2", lambda tl: edits.add_track(tl, "video", "V2", track_id="v2"))
    for index, item in enumerate(ITEMS):
        session.apply(
            item,
            lambda tl, i=index, it=item: edits.add_title(
                tl, "V1", it, at=F(10 * i), duration=F(5), item_id=it
            ),
        )


def union_fold(stores: list[Store], project: str):
    """The oracle: every op any replica has, folded once in the shared total order."""
    rows = {}
    for store in stores:
        for row in store.journal_ordered(project):
            rows[row.op_id] = row
    timeline = Timeline()
    for row in sorted(rows.values(), key=lambda r: r.key):
        op_mod.apply(timeline, row.op, row.op_id)
    return timeline, set(rows)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scripts=scripts, seed=st.integers(0, 2**32 - 1))
def test_any_delivery_order_with_duplicates_converges(tmp_path_factory, scripts, seed):
    rng = random.Random(seed)
    root = tmp_path_factory.mktemp("replicas")
    stores = [Store(root / f"r{i}.db") for i in range(len(scripts))]
    try:
        seed_base(stores[0], "p")
        base = [wire_op(r) for r in stores[0].journal_ordered("p")]
        engines = [SyncEngine(s, ApiClient("http://127.0.0.1:9"), f"user{i}") for i, s in enumerate(stores)]
        for engine in engines[1:]:
            engine.apply_page(
                "p-space",
                {
                    "entries": [
                        {
                            "seq": 1,
                            "kind": "ops",
                            "id": "p",
                            "change_id": "base0000",
                            "author": "user0",
                            "ops": base,
                        }
                    ],
                    "cursor": "c0",
                },
            )
        for index, (store, script) in enumerate(zip(stores, scripts, strict=True)):
            session = ProjectSession.open(store, "p")
            for act in script:
                run_action(session, f"c{index}", act)
        # Each replica's new ops, cut into entries at random points.
        entries = []
        for store in stores:
            mine = [
                r for r in store.journal_ordered("p") if r.client == store.client_id and r.server_rev is None
            ]
            while mine:
                cut = rng.randint(1, len(mine))
                entries.append([wire_op(r) for r in mine[:cut]])
                mine = mine[cut:]
        for engine in engines:
            delivery = entries + [rng.choice(entries) for _ in range(rng.randint(0, 3))] if entries else []
            rng.shuffle(delivery)
            for start in range(0, len(delivery), 2):
                page = [
                    {
                        "seq": 100 + start + k,
                        "kind": "ops",
                        "id": "p",
                        "change_id": f"chg{start + k:08d}",
                        "author": "x",
                        "ops": ops,
                    }
                    for k, ops in enumerate(delivery[start : start + 2])
                ]
                engine.apply_page("p-space", {"entries": page, "cursor": f"c{start}"})
        oracle, all_ops = union_fold(stores, "p")
        for store in stores:
            assert {r.op_id for r in store.journal_ordered("p")} == all_ops
            assert fold(store, "p") == oracle
            assert ProjectSession.open(store, "p").timeline == oracle
    finally:
        for store in stores:
            store.close()


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    scripts=scripts,
    steps=st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["plain", "repush", "repull"])), max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_live_random_sync_orders_with_resent_and_repulled_changes_converge(
    server, machines, scripts, steps, seed
):
    rng = random.Random(seed)
    if not hasattr(machines, "trio"):
        machines.trio = [machines(n).signup(server.url) for n in ("ann", "ben", "cat")]
    clients = machines.trio[: len(scripts)]
    project = f"p{uuid.uuid4().hex[:12]}"
    with clients[0].store() as store:
        seed_base(store, project)
    for other in clients[1:]:
        clients[0].call(svc.share_project, project, other.user, "editor")
        other.call(svc.sync)
    for index, (client, script) in enumerate(zip(clients, scripts, strict=True)):
        with client.store() as store:
            session = ProjectSession.open(store, project)
            for act in script:
                run_action(session, f"c{index}", act)
    for who, mode in steps:
        client = clients[who % len(clients)]
        with client.store() as store, store.write() as conn:
            space = conn.execute("SELECT space FROM projects WHERE id = ?", (project,)).fetchone()[0]
            if mode == "repush":
                # A client pushes only its own ops (the server binds op ids to their author).
                acked = [
                    r[0]
                    for r in conn.execute(
                        "SELECT op_id FROM ops WHERE project_id = ? AND server_rev IS NOT NULL "
                        "AND client = ?",
                        (project, store.client_id),
                    )
                ]
                again = rng.sample(acked, len(acked) // 2)
                conn.executemany("UPDATE ops SET server_rev = NULL WHERE op_id = ?", [(o,) for o in again])
            elif mode == "repull":
                conn.execute("DELETE FROM sync_state WHERE space = ?", (space,))
        client.call(svc.sync)
    for _round in range(2):
        for client in clients:
            client.call(svc.sync)
    handles = [Store(c.root / "data" / "studio.db") for c in clients]
    try:
        oracle, all_ops = union_fold(handles, project)
        for store in handles:
            assert {r.op_id for r in store.journal_ordered(project)} == all_ops
            assert fold(store, project) == oracle
    finally:
        for store in handles:
            store.close()
