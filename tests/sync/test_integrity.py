"""Authorship and lost-edit holes, tried with real client data folders against a live server on loopback:
a squatted public clip is refused by name while the rest of the push lands; ops pushed under a stolen
client id never shadow the real author's edits; a rolled-back and a cloned data folder keep every edit."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction

from studio.core import edits
from studio.core.project import ProjectSession, create_project
from studio.services import sync as svc
from tests.sync.conftest import noise_wav


def items(client, project: str) -> dict[str, Fraction]:
    with client.store() as store:
        return {i.id: i.start for i in ProjectSession.open(store, project).timeline.items.values()}


def add_title(client, project: str, item: str, at: int) -> None:
    with client.store() as store:
        ProjectSession.open(store, project).apply(
            item,
            lambda tl: edits.add_title(tl, "V1", item, at=Fraction(at), duration=Fraction(1), item_id=item),
        )


def shared(server, machines, project: str, *names: str):
    clients = [machines(n).signup(server.url) for n in names]
    with clients[0].store() as store:
        create_project(store, project)
        ProjectSession.open(store, project).apply(
            "V1", lambda tl: edits.add_track(tl, "video", "V1", track_id="v1")
        )
    for other in clients[1:]:
        clients[0].call(svc.share_project, project, other.user, "editor")
        other.call(svc.sync)
    return clients


def test_a_squatted_clip_is_refused_by_name_and_can_be_dropped(server, machines, tmp_path):
    ann, mallory = machines("ann").signup(server.url), machines("mallory").signup(server.url)
    media = noise_wav(tmp_path / "ann.wav", 0.2, seed=12)
    # Mallory saw the file and publishes a record under its hash first, crediting himself.
    stolen = mallory.cli("publish", str(media), "--creator", "Mallory:camera", "--licence", "CC-BY-4.0")
    assert stolen.returncode == 0, stolen.stderr
    done = ann.cli("publish", str(media), "--creator", "Ann:camera", "--licence", "CC-BY-4.0")
    assert done.returncode == 5, (done.stdout, done.stderr)
    assert "refused" in done.stderr and "belongs to someone else" in done.stderr
    report = json.loads(ann.cli("sync", "--json").stdout)
    [refusal] = report["refused"]
    assert refusal["reason"] == "not-owner" and refusal["kind"] == "clip"
    assert ann.cli("sync").returncode == 5
    assert ann.cli("sync", "--drop", refusal["change"][:12]).returncode == 0
    assert ann.cli("sync").returncode == 0


def test_ops_under_a_stolen_client_id_never_shadow_the_real_edits(server, machines):
    ann, bob = shared(server, machines, "Squat", "ann", "bob")
    with ann.store() as store:
        ann_client = store.client_id
        counter = int(store.get_meta("counter"))
    # Bob read ann's client id in the feed; his data folder now mints ops under it, ahead of her.
    with bob.store() as store:
        store.set_meta("client_id", ann_client)
        store.set_meta("counter", str(counter))
    add_title(bob, "Squat", "forged", 20)
    forged = bob.call(svc.sync)
    assert [r["reason"] for r in forged.refused] == ["foreign-client"]
    add_title(ann, "Squat", "real", 3)
    assert ann.call(svc.sync).state == "up_to_date"
    carol = machines("carol").signup(server.url)
    ann.call(svc.share_project, "Squat", carol.user, "viewer")
    carol.call(svc.sync)
    assert set(items(carol, "Squat")) == {"real"}


def test_a_rolled_back_and_a_cloned_data_folder_keep_every_edit(server, machines, tmp_path):
    ann, bob = shared(server, machines, "Rollback", "ann", "bob")
    snapshot = tmp_path / "snapshot"
    shutil.copytree(ann.root / "data", snapshot)
    add_title(ann, "Rollback", "lost-locally", 2)
    ann.call(svc.sync)
    # Power cut: the data folder comes back as it was before that edit, then she edits again.
    shutil.rmtree(ann.root / "data")
    shutil.copytree(snapshot, ann.root / "data")
    add_title(ann, "Rollback", "after-restore", 4)
    ann.call(svc.sync)
    add_title(ann, "Rollback", "next-edit", 6)
    assert ann.call(svc.sync).state == "up_to_date"
    # A copy of bob's folder on a second machine: both edit offline with the same client id.
    clone = machines("bob-laptop")
    shutil.copytree(bob.root / "data", clone.root / "data")
    shutil.copytree(bob.root / "config", clone.root / "config")
    add_title(bob, "Rollback", "desk", 8)
    add_title(clone, "Rollback", "laptop", 10)
    bob.call(svc.sync)
    clone.call(svc.sync)
    for client in (ann, bob, clone, ann):
        client.call(svc.sync)
    expected = {"lost-locally", "after-restore", "next-edit", "desk", "laptop"}
    assert set(items(ann, "Rollback")) == expected
    assert items(bob, "Rollback") == items(ann, "Rollback") == items(clone, "Rollback")
    # Edits keep working after the folder re-keyed (no UNIQUE constraint failure on op ids).
    add_title(ann, "Rollback", "still-fine", 12)
