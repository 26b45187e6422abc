"""Three collaborators edit one project offline at random while their syncs and the server are killed at
random points and the server is restored from an older backup in the middle. At the end every replica
holds the same journal and the same timeline, nothing is left unpushed or refused, and every item anyone
added is there (moves of one item by two people end as one value or a listed conflict, by the shared fold).

Bounded for CI: a fixed seed (STUDIO_TEST_SEED overrides), six rounds; the counts are printed.
"""

from __future__ import annotations

import os
import random
import shutil
from fractions import Fraction

from studio.core import edits
from studio.core.errors import EditRejected
from studio.core.project import ProjectSession
from studio.core.store import Store
from studio.services import sync as svc
from studio.sync.engine import fold
from tests.sync.proxy import FlakyProxy
from tests.sync.test_integrity import shared

ROUNDS = 6


def test_three_collaborators_with_random_kills_and_a_restore_converge(own_server, machines, tmp_path):
    rng = random.Random(int(os.environ.get("STUDIO_TEST_SEED", "1212")))
    own_server.start()
    proxy = FlakyProxy(own_server.port)
    added: set[str] = set()
    tally = {"edits": 0, "client_kills": 0, "server_kills": 0, "restores": 0, "syncs": 0}
    backup = tmp_path / "backup"

    def restart(restore: bool = False) -> None:
        own_server.kill()
        if restore:
            shutil.rmtree(own_server.data)
            shutil.copytree(backup, own_server.data)
        own_server.start()
        proxy.upstream_port = own_server.port

    def edit(client, name: str) -> None:
        with client.store() as store:
            session = ProjectSession.open(store, "Chaos")
            for _ in range(rng.randint(0, 3)):
                items = sorted(session.timeline.items)
                at = Fraction(rng.randint(0, 800), 4)
                try:
                    if items and rng.random() < 0.4:
                        item = rng.choice(items)
                        session.apply("Move", lambda tl, i=item, a=at: edits.move_item(tl, i, at=a))
                    else:
                        item = f"{name}-{tally['edits']}"
                        session.apply(
                            "Add",
                            lambda tl, i=item, a=at: edits.add_title(
                                tl, "V1", i, at=a, duration=Fraction(1), item_id=i
                            ),
                        )
                        added.add(item)
                except EditRejected:
                    continue  # it would overlap an item this client can see: the editor refuses it
                tally["edits"] += 1

    try:
        clients = shared(proxy, machines, "Chaos", "ann", "bob", "cat")
        names = ["ann", "bob", "cat"]
        for round_ in range(ROUNDS):
            for client, name in zip(clients, names, strict=True):
                edit(client, name)
            for index in rng.sample(range(3), 3):
                client = clients[index]
                if rng.random() < 0.3:
                    point = rng.choice(["after-push", "after-apply"])
                    done = client.cli("sync", env={"STUDIO_SYNC_FAILPOINT": point})
                    assert done.returncode in (0, 3, 75), done.stderr
                    tally["client_kills"] += done.returncode == 75
                else:
                    client.call(svc.sync)
                tally["syncs"] += 1
            if round_ == 1:
                own_server.stop()
                shutil.copytree(own_server.data, backup)
                own_server.start()
                proxy.upstream_port = own_server.port
            elif round_ == 3:
                restart(restore=True)
                tally["restores"] += 1
            elif rng.random() < 0.5:
                restart()
                tally["server_kills"] += 1
        for _ in range(3):
            for client in clients:
                report = client.call(svc.sync)
                assert not report.refused, report.refused
    finally:
        proxy.close()
    print(f"chaos: {tally}")
    assert tally["restores"] == 1 and tally["edits"] > 0
    stores = [Store(c.root / "data" / "studio.db") for c in clients]
    try:
        project = stores[0].db.execute("SELECT id FROM projects WHERE name = 'Chaos'").fetchone()[0]
        journals = [{r.op_id for r in s.journal_ordered(project)} for s in stores]
        assert journals[0] == journals[1] == journals[2]
        timelines = [fold(s, project) for s in stores]
        assert timelines[0] == timelines[1] == timelines[2]
        assert added <= set(timelines[0].items)
        for store in stores:
            assert store.unacknowledged_ops(project, client=store.client_id) == []
    finally:
        for store in stores:
            store.close()
