"""Publishing while the server is down, in the app: the publish is queued instead of failing, the status
bar says so until it went out (a library selection does not hide it), and the next sync after the
server is back publishes the clip (its media is then served by the server, which had none of it).

The server is a real `python -m studio.server` process, stopped and started again; the app reaches it
through a loopback relay, so its address stays the same across the restart on a new port.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt

from studio.core.clips import Credit
from studio.protocol import api
from studio.ui.import_dialog import ImportRequest
from tests import mediagen
from tests.server.conftest import ServerProcess, signup
from tests.sync.conftest import PASSWORD, sha256_of
from tests.sync.proxy import FlakyProxy

pytestmark = [pytest.mark.qt, pytest.mark.slow]


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server process this test stops and starts again."""
    proc = ServerProcess(tmp_path / "server")
    yield proc
    proc.stop()


def _import(qtbot, window, path: Path, title: str) -> str:
    window.start_import(
        ImportRequest([path], title=title, credits=[Credit("Ann Lee", ("camera",))], licence="CC-BY-4.0")
    )
    qtbot.waitUntil(lambda: title in window.library.visible_titles(), timeout=60_000)
    return sha256_of(path)


def test_publish_offline_is_queued_and_goes_out_with_the_next_sync(
    qtbot, window, own_server, tmp_path, monkeypatch
):
    monkeypatch.setenv("STUDIO_SYNC_RETRIES", "2")  # give up on the stopped server after one retry
    own_server.start()
    relay = FlakyProxy(own_server.port)
    controller = window.sync
    controller.connect_account(relay.url, f"ui{secrets.token_hex(3)}", PASSWORD, create=True)
    qtbot.waitUntil(
        lambda: (
            controller.account is not None
            and controller.sync_task is None
            and window.sync_badge.state == "up_to_date"
        ),
        timeout=60_000,
    )
    pier = _import(qtbot, window, mediagen.make_video(tmp_path / "pier.mp4", 1), "Pier at dusk")
    _import(qtbot, window, mediagen.make_video(tmp_path / "gull.mp4", 1, frequency=660), "Gull")

    own_server.stop()
    window.library.select_titles(["Pier at dusk"])
    assert window.library.publish_button.isEnabled()
    qtbot.mouseClick(window.library.publish_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.catalog.states.get(pier) == "queued", timeout=60_000)
    label = window.publish_queue
    assert label.isVisible() and label.text() == "1 clip to publish at the next sync"
    assert "Pier at dusk" in label.toolTip()
    assert "will be published at the next sync" in window.message.text()
    assert window.sync_badge.state == "offline"
    assert "Max retries" not in window.sync_badge.text.text()

    # Other work in the window leaves the queued publish on show.
    window.library.select_titles(["Gull"])
    window.post("Something else happened", 1)
    qtbot.wait(50)
    window.library.select_titles([])
    assert label.isVisible() and label.text() == "1 clip to publish at the next sync"
    assert window.catalog.states.get(pier) == "queued"

    # A sync while the server is still down keeps it queued.
    controller.sync_now()
    qtbot.waitUntil(lambda: controller.sync_task is None, timeout=60_000)
    assert window.catalog.states.get(pier) == "queued" and label.isVisible()

    own_server.start()
    relay.upstream_port = own_server.port
    blob_url = own_server.url + api.BLOB.format(sha256=pier)
    assert requests.get(blob_url, timeout=30).status_code == 404  # nothing went out while it was down
    controller.sync_now()
    qtbot.waitUntil(lambda: window.catalog.states.get(pier) == "published", timeout=60_000)
    qtbot.waitUntil(lambda: not label.isVisible(), timeout=10_000)
    served = requests.get(blob_url, timeout=30)
    assert served.status_code == 200 and served.content == (tmp_path / "pier.mp4").read_bytes()
    someone = signup(own_server.url)
    hits = someone.get(api.SEARCH, params={"q": "Pier at dusk"}).json()["results"]
    mine = [h["doc"] for h in hits if h["id"].startswith(pier)]
    assert len(mine) == 1 and mine[0]["title"] == "Pier at dusk"
    assert [c["name"] for c in mine[0]["credits"]] == ["Ann Lee"] and mine[0]["licence"] == "CC-BY-4.0"
    relay.close()
