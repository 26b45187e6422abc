"""Authorship and lost-edit holes, tried with real client data folders against a live server on loopback:
ops pushed under a stolen client id never shadow the real author's edits; a rolled-back and a cloned data
folder keep every edit."""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
import requests

from studio.core import edits
from studio.core.clips import Clip, Credit
from studio.core.errors import StudioError
from studio.core.library import get_clip, save_clip
from studio.core.project import ProjectSession, create_project
from studio.core.store import DiskFull
from studio.protocol import api
from studio.services import sync as svc
from tests.sync.conftest import noise_wav, sha256_of, tmpfs
from tests.sync.proxy import FlakyProxy


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
    # The refusal is listed by the CLI (exit 5) until bob gives it up.
    report = json.loads(bob.cli("sync", "--json").stdout)
    [refusal] = report["refused"]
    assert refusal["reason"] == "foreign-client" and "another account" in refusal["detail"]
    assert bob.cli("sync").returncode == 5
    assert bob.cli("sync", "--drop", refusal["change"][:12]).returncode == 0
    assert bob.cli("sync").returncode == 0
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


def retitle(client, clip_id: str, title: str) -> None:
    from dataclasses import replace

    from studio.core.library import get_record, save_clip

    with client.store() as store:
        rec = get_record(store, clip_id)
        save_clip(store, replace(rec.clip, title=title), origin=rec.origin, space=rec.space,
                  source_name=rec.source_name)  # fmt: skip


def test_a_lost_answer_never_makes_the_next_edit_a_conflict_with_ones_own(own_server, machines, tmp_path):
    own_server.start()
    proxy = FlakyProxy(own_server.port)  # one address for the client while the server restarts

    def restart(**env: str) -> None:
        own_server.stop()
        own_server.start(**env)
        proxy.upstream_port = own_server.port

    try:
        ann = machines("ann", STUDIO_SYNC_RETRIES="1")
        ann.signup(proxy.url)
        media = noise_wav(tmp_path / "lost.wav", 0.2, seed=41)
        published = ann.cli("publish", str(media), "--creator", "Ann:camera", "--licence", "CC-BY-4.0")
        assert published.returncode == 0, published.stderr
        clip_id = sha256_of(media)
        retitle(ann, clip_id, "first")
        # The server commits the push and dies before answering: the client never hears back.
        restart(STUDIO_SERVER_FAILPOINT="after-push-commit")
        with pytest.raises(StudioError):
            ann.call(svc.sync)
        retitle(ann, clip_id, "second")
        restart()
        report = ann.call(svc.sync)
    finally:
        proxy.close()
    assert (report.state, report.conflicts, report.refused) == ("up_to_date", [], [])
    record = requests.get(
        own_server.url + api.RECORD.format(space_id="public", kind="clip", record_id=clip_id), timeout=10
    ).json()
    assert (record["doc"]["title"], record["conflicts"]) == ("second", [])


def test_a_20_mb_push_goes_through_past_a_small_body_limit(own_server, machines):
    """1,000 clip records of 20 kB each, against a server taking at most 2 MiB per request: the client
    splits by bytes and halves again on 413, and the collaborator receives every record."""
    own_server.start(STUDIO_SERVER_MAX_BODY=str(2 * 1024 * 1024))
    ann, bob = shared(own_server, machines, "Big", "ann", "bob")
    with ann.store() as store:
        space = store.db.execute("SELECT space FROM projects WHERE name = 'Big'").fetchone()[0]
        for n in range(1000):
            clip = Clip(
                id=hashlib.sha256(f"big {n}".encode()).hexdigest(),
                title=f"big {n}",
                kind="audio",
                duration=Fraction(1),
                credits=(Credit("Ann", ("sound",)),),
                licence="CC-BY-4.0",
                tags=(secrets.token_hex(10_000),),
            )
            save_clip(store, clip, media_present=False, space=space)
    report = ann.call(svc.sync)
    assert report.pushed_changes >= 1000 and not report.refused, report.warnings
    bob.call(svc.sync)
    with bob.store() as store:
        rows = store.db.execute(
            "SELECT count(*), sum(length(tags)) FROM clips WHERE title LIKE 'big %'"
        ).fetchone()
    assert rows[0] == 1000 and rows[1] > 20_000_000


def test_a_corrupted_server_blob_is_reported_quarantined_and_repaired_by_the_next_upload(
    own_server, machines, tmp_path
):
    own_server.start()
    ann, bob = machines("ann").signup(own_server.url), machines("bob").signup(own_server.url)
    media = noise_wav(tmp_path / "bitrot.wav", 0.3, seed=51)
    assert ann.cli("publish", str(media), "--creator", "Ann:camera", "--licence", "CC-BY-4.0").returncode == 0
    clip_id = sha256_of(media)
    stored = own_server.data / "blobs" / clip_id[:2] / clip_id[2:4] / clip_id
    damaged = bytearray(stored.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    stored.chmod(0o644)
    stored.write_bytes(bytes(damaged))

    first = bob.call(svc.pull_clip, clip_id)
    assert first["path"] is None
    assert any("damaged and is taken out of service" in w for w in first["warnings"]), first["warnings"]
    assert not stored.exists()
    # Publishing again negotiates an upload (the server no longer claims to have it) and repairs it.
    again = ann.cli("publish", clip_id[:12], "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["uploaded_parts"] >= 1
    assert sha256_of(stored) == clip_id
    second = bob.call(svc.pull_clip, clip_id)
    assert second["path"] and sha256_of(Path(second["path"])) == clip_id


def test_a_restored_server_gets_back_confirmed_edits_of_a_client_whose_cursor_lagged(
    own_server, machines, tmp_path
):
    own_server.start()
    proxy = FlakyProxy(own_server.port)
    try:
        ann, bob = shared(proxy, machines, "Lag", "ann", "bob")
        own_server.stop()
        backup = tmp_path / "backup"
        shutil.copytree(own_server.data, backup)
        own_server.start()
        proxy.upstream_port = own_server.port
        add_title(ann, "Lag", "confirmed", 1)
        # The sync is cut between its push (confirmed) and its pull: the cursor stays behind.
        cut = ann.cli("sync", env={"STUDIO_SYNC_FAILPOINT": "after-push"})
        assert cut.returncode == 75, cut.stderr
        own_server.stop()
        shutil.rmtree(own_server.data)
        shutil.copytree(backup, own_server.data)
        own_server.start()
        proxy.upstream_port = own_server.port
        report = ann.call(svc.sync)
        assert report.reconciled and any("lost 1 of your confirmed edits" in w for w in report.warnings)
        bob.call(svc.sync)
    finally:
        proxy.close()
    assert set(items(bob, "Lag")) == {"confirmed"}


def test_a_reconcile_killed_mid_way_never_trusts_a_pre_restore_version(own_server, machines, tmp_path):
    own_server.start()
    proxy = FlakyProxy(own_server.port)
    clip_id = hashlib.sha256(b"reconcile").hexdigest()

    def title() -> str:
        with ann.store() as store:
            return get_clip(store, clip_id).title

    try:
        ann, _bob = shared(proxy, machines, "Rec", "ann", "bob")
        with ann.store() as store:
            space = store.db.execute("SELECT space FROM projects WHERE name = 'Rec'").fetchone()[0]
            clip = Clip(clip_id, "v1", "audio", Fraction(1), credits=(Credit("Ann", ("sound",)),))
            save_clip(store, clip, media_present=False, space=space)
        ann.call(svc.sync)
        own_server.stop()
        backup = tmp_path / "backup"
        shutil.copytree(own_server.data, backup)
        own_server.start()
        proxy.upstream_port = own_server.port
        retitle(ann, clip_id, "v2")
        ann.call(svc.sync)
        own_server.stop()
        shutil.rmtree(own_server.data)
        shutil.copytree(backup, own_server.data)
        own_server.start()
        proxy.upstream_port = own_server.port
        killed = ann.cli("sync", env={"STUDIO_SYNC_FAILPOINT": "after-apply"})
        assert killed.returncode == 75, killed.stderr
        assert title() == "v2"
        report = ann.call(svc.sync)
        assert title() == "v2", "the pre-restore server version must not overwrite the local edit"
        conflicts = [c for c in report.conflicts if c.get("id") == clip_id]
        assert [(c["field"], c["server"], c["client"]) for c in conflicts] == [("title", "v1", "v2")]
    finally:
        proxy.close()


def test_an_edit_on_a_full_disk_is_a_clear_error_and_loses_nothing(machines):
    ann = machines("ann")
    with tmpfs(ann.root / "data", "2m"), ann.store() as store:
        create_project(store, "Full")
        session = ProjectSession.open(store, "Full")
        session.apply("V1", lambda tl: edits.add_track(tl, "video", "V1", track_id="v1"))
        filler = ann.root / "data" / "filler"
        with open(filler, "wb") as fh, contextlib.suppress(OSError):
            while True:
                fh.write(bytes(65536))
                fh.flush()

        def add(item: str, at: int):
            return lambda tl: edits.add_title(
                tl, "V1", item, at=Fraction(at), duration=Fraction(1), item_id=item
            )

        with pytest.raises(DiskFull, match="is full: this change was not saved"):
            for n in range(200):  # the WAL may still have room for the first few
                session.apply("Add", add(f"t{n}", 2 * n))
        saved = set(ProjectSession.open(store, "Full").timeline.items)
        filler.unlink()
        session = ProjectSession.open(store, "Full")
        assert set(session.timeline.items) == saved
        session.apply("Add", add("after", 1000))
        assert set(ProjectSession.open(store, "Full").timeline.items) == saved | {"after"}
