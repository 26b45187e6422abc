"""Record changes the server confirmed and then lost in a restore from an older backup come back, even when
the client's cursor lagged behind the restore (publish pushes without pulling), tried with a real server
process stopped, its data folder swapped for the older copy and started again, behind a proxy that keeps
the clients' address."""

from __future__ import annotations

import json
import shutil

import requests

from studio.protocol import api
from tests.sync.conftest import noise_wav, sha256_of
from tests.sync.proxy import FlakyProxy


def restart(server, proxy, backup=None) -> None:
    server.stop()
    if backup is not None:
        shutil.rmtree(server.data)
        shutil.copytree(backup, server.data)
    server.start()
    proxy.upstream_port = server.port


def server_record(url: str, sha: str) -> requests.Response:
    return requests.get(url + api.RECORD.format(space_id="public", kind="clip", record_id=sha), timeout=30)


def test_publishes_and_edits_lost_in_a_restore_are_sent_again_while_the_cursor_lags(
    own_server, machines, tmp_path
):
    own_server.start()
    proxy = FlakyProxy(own_server.port)
    try:
        ann, bob = machines("ann").signup(proxy.url), machines("bob").signup(proxy.url)
        old = noise_wav(tmp_path / "old.wav", 0.3, seed=11)
        new = noise_wav(tmp_path / "new.wav", 0.3, seed=12)
        first = ann.cli(
            "publish", str(old), "--title", "Harbour v1", "--creator", "Ann:sound", "--licence", "CC-BY-4.0"
        )
        assert first.returncode == 0, first.stderr
        assert ann.cli("sync").returncode == 0
        restart(own_server, proxy)
        backup = tmp_path / "backup"
        shutil.copytree(own_server.data, backup)

        # After the backup: an edit of the published clip (title and credits) and a new publish, each
        # confirmed by the server, and no pull since (publish pushes only), so the cursor lags.
        edited = ann.cli(
            "import", str(old), "--title", "Harbour v2", "--creator", "Ann:sound", "--creator", "Bo Lin:mix"
        )
        assert edited.returncode == 0, edited.stderr
        assert ann.cli("publish", sha256_of(old)).returncode == 0
        second = ann.cli(
            "publish", str(new), "--title", "Gulls", "--creator", "Ann:sound", "--licence", "CC-BY-4.0"
        )
        assert second.returncode == 0, second.stderr
        assert server_record(proxy.url, sha256_of(old)).json()["doc"]["title"] == "Harbour v2"

        restart(own_server, proxy, backup)
        assert server_record(proxy.url, sha256_of(old)).json()["doc"]["title"] == "Harbour v1"
        assert server_record(proxy.url, sha256_of(new)).status_code == 404

        synced = ann.cli("sync")
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert "the server lost 2 of your confirmed record changes" in synced.stdout, synced.stdout

        back = server_record(proxy.url, sha256_of(old)).json()["doc"]
        assert back["title"] == "Harbour v2"
        assert [c["name"] for c in back["credits"]] == ["Ann", "Bo Lin"]
        assert server_record(proxy.url, sha256_of(new)).json()["doc"]["title"] == "Gulls"

        # A second client sees both, with the edit, and pulls the media they name.
        for sha, title in ((sha256_of(old), "Harbour v2"), (sha256_of(new), "Gulls")):
            pulled = bob.cli("pull", sha, "--json")
            assert pulled.returncode == 0, pulled.stderr
            got = json.loads(pulled.stdout)
            assert got["title"] == title and sha256_of(got["path"]) == sha
        # Nothing is re-sent twice: the next sync is quiet.
        again = ann.cli("sync")
        assert again.returncode == 0 and "lost" not in again.stdout, again.stdout
    finally:
        proxy.close()


def test_a_lost_edit_that_someone_changed_after_the_restore_comes_back_as_a_conflict(
    own_server, machines, tmp_path
):
    """Ann's confirmed retitle is lost in the restore, then Bob retitles the restored record before Ann syncs:
    Ann's pull brings Bob's title, but her edit is neither lost nor silently overwriting his: the server
    keeps both as a conflict and Ann's library keeps her value."""
    import hashlib
    from fractions import Fraction

    from studio.core.clips import Clip, Credit
    from studio.core.library import get_clip, save_clip
    from studio.services import sync as svc
    from tests.sync.test_integrity import retitle, shared

    own_server.start()
    proxy = FlakyProxy(own_server.port)
    clip_id = hashlib.sha256(b"contested after restore").hexdigest()
    try:
        ann, bob = shared(proxy, machines, "Con", "ann", "bob")
        with ann.store() as store:
            space = store.db.execute("SELECT space FROM projects WHERE name = 'Con'").fetchone()[0]
            clip = Clip(clip_id, "v1", "audio", Fraction(1), credits=(Credit("Ann", ("sound",)),))
            save_clip(store, clip, media_present=False, space=space)
        ann.call(svc.sync)
        bob.call(svc.sync)
        restart(own_server, proxy)
        backup = tmp_path / "backup"
        shutil.copytree(own_server.data, backup)

        retitle(ann, clip_id, "ann's title")
        cut = ann.cli("sync", env={"STUDIO_SYNC_FAILPOINT": "after-push"})  # confirmed, never pulled
        assert cut.returncode == 75, cut.stderr
        restart(own_server, proxy, backup)
        retitle(bob, clip_id, "bob's title")
        assert bob.call(svc.sync).state == "up_to_date"

        synced = ann.cli("sync")
        assert synced.returncode == 3, synced.stdout + synced.stderr  # conflicts remain
        assert "the server lost 1 of your confirmed record changes" in synced.stdout
        assert "title" in synced.stdout and "bob's title" in synced.stdout and "ann's title" in synced.stdout
        with ann.store() as store:
            assert get_clip(store, clip_id).title == "ann's title"
        record = requests.get(
            proxy.url + api.RECORD.format(space_id=space, kind="clip", record_id=clip_id),
            headers={"Authorization": "Bearer " + token_of(bob)},
            timeout=30,
        ).json()
        assert record["doc"]["title"] == "bob's title"
        assert [(c["field"], c["server"], c["client"]) for c in record["conflicts"]] == [
            ("title", "bob's title", "ann's title")
        ]
    finally:
        proxy.close()


def token_of(client) -> str:
    from studio.sync import credentials

    with client.active():
        found = credentials.load()
    assert found is not None
    return found[1]
