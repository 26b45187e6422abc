"""Faults around sync: a server restart mid-sync, a full disk while pulling, a crash between applying a
feed page and committing its cursor, and a server restored from an older backup."""

from __future__ import annotations

import filecmp
import shutil
from fractions import Fraction

import pytest
import requests

from studio.core import edits
from studio.core.errors import StudioError
from studio.core.project import ProjectSession, create_project
from studio.protocol import api
from studio.services import sync as svc
from studio.services.library import parse_creator
from studio.sync.client import ApiClient
from studio.sync.engine import SyncEngine
from tests.sync.conftest import noise_wav, resize_tmpfs, tmpfs, wait_for
from tests.sync.proxy import FlakyProxy
from tests.sync.test_transfer import PUBLISH, media_file, part_puts

MIB = 1024 * 1024


def restart(server, proxy: FlakyProxy) -> None:
    """Kill the server hard, cut every connection, start it again behind the same proxy address."""
    server.kill()
    proxy.drop_all()
    server.start()
    proxy.upstream_port = server.port


def push_people(client: ApiClient, space: str, count: int, pad: int = 200) -> None:
    """`count` contributor records pushed straight to the server (what a busy collaborator leaves)."""
    for start in range(0, count, api.MAX_CHANGES_PER_PUSH):
        changes = [
            {
                "change_id": f"person-{space[:6]}-{n:06d}",
                "kind": "contributor",
                "id": f"p{n:06d}",
                "base_rev": None,
                "fields": {"name": f"Person {n}", "contact": "x" * pad},
            }
            for n in range(start, min(count, start + api.MAX_CHANGES_PER_PUSH))
        ]
        client.post_json(api.CHANGES.format(space_id=space), {"changes": changes}, idempotent=True)


def team_space(owner, member, url: str) -> tuple[ApiClient, str]:
    with owner.active():
        client = svc.client_for()
    space = client.post_json(api.SPACES, {"name": "team"})["id"]
    client.request("PUT", api.MEMBER.format(space_id=space, username=member.user), json={"role": "editor"})
    return client, space


def local_people(client, space: str) -> int:
    with client.store() as store:
        return store.conn.execute("SELECT count(*) FROM contributors WHERE space = ?", (space,)).fetchone()[0]


def test_server_restart_during_an_upload_and_during_a_pull(own_server, machines, tmp_path):
    own_server.start()
    proxy = FlakyProxy(own_server.port)
    try:
        patient = {"STUDIO_SYNC_RETRIES": "14", "STUDIO_SYNC_BACKOFF": "0.2"}
        alice = machines("alice", **patient).signup(proxy.url)
        bob = machines("bob", **patient).signup(proxy.url)
        wav = noise_wav(tmp_path / "big.wav", 100, 7)
        proxy.rate = 12 * MIB
        proc = alice.popen("publish", str(wav), *PUBLISH)
        wait_for(lambda: any(st == 200 for *_x, st in part_puts(own_server, 0)), 60, "the first part")
        restart(own_server, proxy)
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        sha = _out.strip()
        assert (
            requests.get(own_server.url + api.BLOB.format(sha256=sha), timeout=30).content == wav.read_bytes()
        )

        client, space = team_space(alice, bob, proxy.url)
        push_people(client, space, 1100, pad=50)
        proxy.rate = 80_000
        since = len(own_server.access())
        proc = bob.popen("sync")
        feed_path = api.FEED.format(space_id=space)
        wait_for(
            lambda: any(
                e.get("path") == feed_path and e["status"] == 200 for e in own_server.access()[since:]
            ),
            60,
            "the first feed page",
        )
        restart(own_server, proxy)
        _out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        assert local_people(bob, space) == 1100
    finally:
        proxy.close()


def test_disk_full_while_pulling_media_leaves_the_store_consistent(server, machines, tmp_path):
    alice = machines("alice").signup(server.url)
    wav = noise_wav(tmp_path / "four-mb.wav", 22, 11)
    clip = alice.call(svc.publish_file, wav, creators=[parse_creator("Ann Lee")], licence="CC0-1.0")["clip"]
    bob = machines("bob")
    with tmpfs(bob.root / "data", "3m"):
        bob.signup(server.url)
        with pytest.raises(StudioError, match="disk is full"):
            bob.call(svc.pull_clip, clip)
        with bob.store() as store:
            assert store.integrity_check() == []
            row = store.conn.execute("SELECT media_present FROM clips WHERE id = ?", (clip,)).fetchone()
            assert row == (0,), "the record is there, the media is not"
            wanted = store.conn.execute("SELECT sha256 FROM sync_wanted").fetchall()
            assert wanted == [(clip,)]
        target = media_file(bob, clip)
        assert not target.exists() and not target.with_name(target.name + ".part").exists()

        resize_tmpfs(bob.root / "data", "32m")
        bob.call(svc.sync)
        assert filecmp.cmp(target, wav, shallow=False)
        with bob.store() as store:
            assert store.conn.execute("SELECT media_present FROM clips WHERE id = ?", (clip,)).fetchone() == (
                1,
            )


def test_disk_full_while_applying_the_feed_keeps_pages_and_cursors_together(server, machines):
    alice = machines("alice").signup(server.url)
    bob = machines("bob")
    with tmpfs(bob.root / "data", "1200k"):
        bob.signup(server.url)
        client, space = team_space(alice, bob, server.url)
        push_people(client, space, 2500, pad=600)
        done = bob.cli("sync")
        assert done.returncode == 1 and "could not be written" in done.stderr, done.stderr
        with bob.store() as store:
            assert store.integrity_check() == []
            cursor = store.conn.execute("SELECT cursor FROM sync_state WHERE space = ?", (space,)).fetchone()
        applied = local_people(bob, space)
        assert applied in (0, 1000, 2000), "only whole pages are ever applied"
        assert (cursor is not None) == (applied > 0), "a page is applied exactly when its cursor is stored"

        resize_tmpfs(bob.root / "data", "64m")
        assert bob.cli("sync").returncode == 0
        assert local_people(bob, space) == 2500


def test_a_crash_after_applying_a_page_before_its_cursor_commit_reapplies_it(own_server, machines):
    own_server.start()
    alice = machines("alice").signup(own_server.url)
    bob = machines("bob").signup(own_server.url)
    with alice.store() as store:
        create_project(store, "Crash")
        session = ProjectSession.open(store, "Crash")
        session.apply("V1", lambda tl: edits.add_track(tl, "video", "V1"))
        for n in range(30):
            session.apply(
                "Title",
                lambda tl, n=n: edits.add_title(tl, "V1", f"t{n}", at=Fraction(n), duration=Fraction(1)),
            )
    space = alice.call(svc.share_project, "Crash", bob.user, "editor")["space"]

    crashed = bob.cli("sync", env={"STUDIO_SYNC_FAILPOINT": "after-apply"})
    assert crashed.returncode == 75, crashed.stderr
    with bob.store() as store:
        assert store.integrity_check() == []
        assert store.conn.execute("SELECT count(*) FROM ops").fetchone() == (0,)
        assert (
            store.conn.execute("SELECT cursor FROM sync_state WHERE space = ?", (space,)).fetchone() is None
        )
    assert bob.cli("sync").returncode == 0
    with alice.store() as a_store, bob.store() as b_store:
        assert (
            ProjectSession.open(b_store, "Crash").timeline == ProjectSession.open(a_store, "Crash").timeline
        )
        assert len(b_store.journal_ordered(ProjectSession.open(b_store, "Crash").id)) == 31


def _dump(store) -> dict[str, list]:
    tables = {
        "ops": "SELECT op_id, lamport, payload, server_rev FROM ops ORDER BY op_id",
        "projects": "SELECT id, name, settings, space, server_rev FROM projects ORDER BY id",
        "contributors": "SELECT id, name, contact, space FROM contributors ORDER BY id",
        "shadow": "SELECT space, kind, record_id, rev, doc, conflicts FROM sync_shadow ORDER BY 1, 2, 3",
        "pending": "SELECT space, kind, record_id, base_rev, fields FROM sync_pending ORDER BY seq",
        "cursors": "SELECT space, cursor FROM sync_state ORDER BY space",
    }
    return {name: store.conn.execute(sql).fetchall() for name, sql in tables.items()}


def test_applying_the_same_page_twice_changes_nothing(server, machines):
    alice = machines("alice").signup(server.url)
    bob = machines("bob").signup(server.url)
    with alice.store() as store:
        create_project(store, "Twice")
        session = ProjectSession.open(store, "Twice")
        session.apply("V1", lambda tl: edits.add_track(tl, "video", "V1"))
        session.apply("Title", lambda tl: edits.add_title(tl, "V1", "hello", at=Fraction(0)))
    shared = alice.call(svc.share_project, "Twice", bob.user, "editor")
    client, _space = team_space(alice, bob, server.url)
    push_people(client, shared["space"], 5)
    with bob.active():
        api_client = svc.client_for()
    page = api_client.get_json(api.FEED.format(space_id=shared["space"]))
    assert {e["kind"] for e in page["entries"]} == {"project", "ops", "contributor"}
    with bob.store() as store:
        engine = SyncEngine(store, api_client, bob.user)
        engine.apply_page(shared["space"], page)
        once = _dump(store)
        engine.apply_page(shared["space"], page)
        assert _dump(store) == once
        assert len(once["ops"]) == 2 and len(once["contributors"]) == 5


def test_a_server_restored_from_an_older_backup_gets_back_what_it_lost(own_server, machines, tmp_path):
    own_server.start()
    proxy = FlakyProxy(own_server.port)
    try:
        alice = machines("alice").signup(proxy.url)
        bob = machines("bob").signup(proxy.url)
        with alice.store() as store:
            create_project(store, "Restore")
            session = ProjectSession.open(store, "Restore")
            session.apply("V1", lambda tl: edits.add_track(tl, "video", "V1", track_id="v1"))
            session.apply(
                "Title", lambda tl: edits.add_title(tl, "V1", "before", at=Fraction(0), item_id="a")
            )
        alice.call(svc.share_project, "Restore", bob.user, "editor")
        bob.call(svc.sync)

        own_server.stop()
        backup = tmp_path / "backup"
        shutil.copytree(own_server.data, backup)
        own_server.start()
        proxy.upstream_port = own_server.port

        with alice.store() as store:
            ProjectSession.open(store, "Restore").apply(
                "Later", lambda tl: edits.add_title(tl, "V1", "after", at=Fraction(10), item_id="b")
            )
        alice.call(svc.sync)
        bob.call(svc.sync)
        with bob.store() as store:
            ProjectSession.open(store, "Restore").apply(
                "Bob", lambda tl: edits.move_item(tl, "a", at=Fraction(5))
            )
        bob.call(svc.sync)

        own_server.stop()
        shutil.rmtree(own_server.data)
        shutil.copytree(backup, own_server.data)
        own_server.start()
        proxy.upstream_port = own_server.port

        first = bob.call(svc.sync)
        assert first.reconciled, "a cursor from the lost history makes the client reconcile"
        alice.call(svc.sync)
        bob.call(svc.sync)
    finally:
        proxy.close()
    with alice.store() as a_store, bob.store() as b_store:
        a_tl = ProjectSession.open(a_store, "Restore").timeline
        assert a_tl == ProjectSession.open(b_store, "Restore").timeline
        assert set(a_tl.items) == {"a", "b"} and a_tl.items["a"].start == 5
    carol = machines("carol").signup(own_server.url)
    alice.call(svc.share_project, "Restore", carol.user, "viewer")
    carol.call(svc.sync)
    with alice.store() as a_store, carol.store() as c_store:
        assert (
            ProjectSession.open(c_store, "Restore").timeline
            == ProjectSession.open(a_store, "Restore").timeline
        )
