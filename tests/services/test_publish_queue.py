"""Publishing with the server down: a library clip and an export are queued (checked first, as online), and
the next sync after the server is back publishes both, media and records, with the export's lineage.

The server is a real process stopped and started again; the client reaches it through a loopback relay,
so the login's address stays the same across the restart on a new port.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from studio.core.errors import InvalidInput
from studio.core.project import create_project
from studio.core.store import Store
from studio.protocol import api
from studio.services import publish_queue
from studio.services import sync as svc
from studio.services.export import export_timeline
from studio.services.library import import_files, parse_creator
from studio.services.projects import add_clip, open_project
from tests import mediagen
from tests.server.conftest import ServerProcess, signup
from tests.sync.conftest import PASSWORD
from tests.sync.proxy import FlakyProxy


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "server")
    yield proc
    proc.stop()


def test_publishes_made_offline_go_out_with_the_next_sync(own_server, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_SYNC_RETRIES", "2")
    own_server.start()
    relay = FlakyProxy(own_server.port)
    svc.signup(relay.url, f"q{secrets.token_hex(3)}", PASSWORD)
    video = mediagen.make_video(tmp_path / "waves.mp4", 1, frequency=523)
    tone = mediagen.make_audio(tmp_path / "hum.wav", 1, frequency=311)
    with Store() as store:
        shot = import_files(
            store, [video], title="Waves", creators=[parse_creator("Ann Lee:camera")], licence="CC-BY-4.0"
        )[0].clip
        bare = import_files(store, [tone], title="Hum")[0].clip  # no credits, no licence
        create_project(store, "remix")
        add_clip(open_project(store, "remix"), shot.id, track="V1")
        out = tmp_path / "remix.mp4"
        export = export_timeline("remix", out, store=store, editors=["Cy Ko"], title="Remix")

    own_server.stop()
    queued = publish_queue.publish_or_queue(shot.id)
    assert queued["queued"] and queued["clip"] == shot.id and "cannot reach the server" in queued["reason"]
    remix = publish_queue.publish_export_or_queue(export.path)
    assert remix["queued"] and remix["lineage"] == [shot.id]
    with pytest.raises(InvalidInput, match="credits nobody"):
        publish_queue.publish_or_queue(bare.id)  # refused now, not at the next sync
    with Store() as store:
        assert publish_queue.queued_publishes(store) == {shot.id, remix["clip"]}
        assert svc.sync_summary(store)["pending_changes"] >= 2

    own_server.start()
    relay.upstream_port = own_server.port
    for sha in (shot.id, remix["clip"]):
        assert requests.get(own_server.url + api.BLOB.format(sha256=sha), timeout=30).status_code == 404
    report = svc.sync()
    assert report.uploaded_blobs == 2 and not report.refused
    with Store() as store:
        assert publish_queue.queued_publishes(store) == set()
    for sha, source in ((shot.id, video), (remix["clip"], export.path)):
        served = requests.get(own_server.url + api.BLOB.format(sha256=sha), timeout=30)
        assert served.status_code == 200 and served.content == Path(source).read_bytes()
    someone = signup(own_server.url)
    hits = someone.get(api.SEARCH, params={"q": "Remix"}).json()["results"]
    docs = [h["doc"] for h in hits if h["id"].startswith(remix["clip"])]
    assert len(docs) == 1 and docs[0]["lineage"] == [shot.id]
    relay.close()
