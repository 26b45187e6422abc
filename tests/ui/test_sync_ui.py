"""The studio against a live server, driven as a person would: connect (creating the account), publish a
clip, export a piece and publish the export as a new clip, share a project, sync a project a
collaborator shared (with the UI stall watchdog running), search the shared library and pull a clip,
and see a conflict with the collaborator's concurrent edit listed after a sync.

The collaborator is a second process with its own folders (tests/ui/collaborator.py); the server is
the sync tests' live-server process on loopback.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

from tests.sync.conftest import PASSWORD, ServerProcess, noise_wav, sha256_of
from tests.sync.proxy import FlakyProxy
from tests.ui.helpers import Watchdog, assert_responsive, on_next_dialog, sign_up_from_the_menu
from tests.ui.test_studio_flow import _drop_clip

pytestmark = [pytest.mark.qt, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SHARED_SECONDS = 40  # each of the collaborator's three recordings: 7.7 MB of WAV to download
LINK_BYTES_PER_S = 8_000_000  # the app's link to the server, so the sync's downloads take a few seconds


@pytest.fixture
def slow_link(server: ServerProcess) -> Iterator[FlakyProxy]:
    """The app reaches the live server (the sync tests' fixture) through a loopback proxy limited to
    LINK_BYTES_PER_S."""
    proxy = FlakyProxy(server.port)
    proxy.rate = LINK_BYTES_PER_S
    yield proxy
    proxy.close()


def collaborator(home: Path, *args: str) -> dict[str, object]:
    env = {
        **os.environ,
        "STUDIO_DATA_DIR": str(home / "data"),
        "STUDIO_CONFIG_DIR": str(home / "config"),
        "STUDIO_CACHE_DIR": str(home / "cache"),
        "STUDIO_KEYRING": "file",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.collaborator", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_connect_publish_sync_search_pull_and_conflicts(qtbot, window, server, slow_link, tmp_path):
    from tests import mediagen

    me, them = f"ui{secrets.token_hex(3)}", f"kai{secrets.token_hex(3)}"
    controller = window.sync

    # --- connect from Sync > Connect, creating the account ---
    sign_up_from_the_menu(qtbot, window, slow_link.url, me, PASSWORD)
    assert controller.account is not None and controller.account.username == me
    assert window.library.online and window.actions_by_name["sync_now"].isEnabled()
    qtbot.waitUntil(
        lambda: controller.sync_task is None and window.sync_badge.state == "up_to_date", timeout=60_000
    )

    # --- import a clip with its credits, then publish it from the library ---
    from studio.core.clips import Credit
    from studio.ui.import_dialog import ImportRequest

    video = mediagen.make_video(tmp_path / "pier.mp4", 2, size="320x240", rate=25)
    window.start_import(ImportRequest([video], title="Pier at dusk", credits=[Credit("Ann Lee", ("camera",))],
                                      licence="CC-BY-4.0"))  # fmt: skip
    qtbot.waitUntil(lambda: "Pier at dusk" in window.library.visible_titles(), timeout=60_000)
    window.library.select_titles(["Pier at dusk"])
    assert window.library.publish_button.isEnabled()
    qtbot.mouseClick(window.library.publish_button, Qt.MouseButton.LeftButton)
    pier = sha256_of(video)
    qtbot.waitUntil(lambda: window.catalog.states.get(pier) == "published", timeout=60_000)

    # --- export a piece using the clip and publish the export as a new clip from the export dialog ---
    v1 = window.document.timeline.ordered_tracks("video")[0].id
    window.timeline.place_clips([pier], v1, Fraction(0))
    export = tmp_path / "exports" / "pier remix.mp4"

    def export_then_publish(dialog) -> None:
        dialog.output.setText(str(export))
        dialog.title.setText("Pier remix")
        dialog.editors.setText("Ann Lee")
        dialog.quality.setCurrentText("Draft (540p)")
        assert dialog.publish_button.text() == "Publish as a new clip"
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)

        def publish_when_done() -> None:
            if dialog.publish_button.isVisible():
                qtbot.mouseClick(dialog.publish_button, Qt.MouseButton.LeftButton)
            elif dialog.status.text().startswith("Export failed"):
                dialog.reject()
            else:
                QTimer.singleShot(50, publish_when_done)

        QTimer.singleShot(50, publish_when_done)

    on_next_dialog(export_then_publish)
    window.export()
    remix = sha256_of(export)
    qtbot.waitUntil(
        lambda: remix in window.catalog.clips and window.catalog.states[remix] == "published", timeout=120_000
    )
    assert window.catalog.clips[remix].lineage == (pier,)

    # --- share this project with a collaborator (they sign up first) ---
    viewer = f"eve{secrets.token_hex(3)}"
    collaborator(tmp_path / "eve", "signup", server.url, viewer, PASSWORD)
    on_next_dialog(
        lambda dialog: (dialog.user.setText(viewer), dialog.role.setCurrentText("viewer"), dialog.accept())
    )
    window.actions_by_name["share"].trigger()
    qtbot.waitUntil(
        lambda: window.message.text().startswith(f"Shared {window.document.name} with {viewer}"),
        timeout=60_000,
    )

    # --- the collaborator shares a project of three long recordings, and publishes a fourth ---
    files = [noise_wav(tmp_path / f"take{n}.wav", SHARED_SECONDS, seed=n) for n in range(3)]
    files.append(noise_wav(tmp_path / "gulls.wav", 3, seed=9))
    shared = collaborator(tmp_path / "kai", "setup", server.url, them, PASSWORD, me, *map(str, files))

    # --- Sync now, with the stall watchdog running until the synced project is on screen ---
    watchdog = Watchdog()
    synced: list[object] = []
    controller.synced.connect(synced.append)
    watchdog.start()
    started = time.monotonic()
    window.actions_by_name["sync_now"].trigger()
    qtbot.waitUntil(lambda: bool(synced), timeout=180_000)
    qtbot.waitUntil(lambda: set(shared["clips"]) <= set(window.catalog.clips), timeout=60_000)
    took = time.monotonic() - started
    assert_responsive("sync of a shared project (3 x 7.7 MB of media at 8 MB/s)", watchdog.stop(), took)
    assert took > 2.5  # the link's limit makes it last: the watchdog watched real work
    report = synced[-1]
    assert report.downloaded_blobs == 3 and not report.conflicts
    for clip_id in shared["clips"]:
        assert window.catalog.states[clip_id] == "local"
        assert window.catalog.media_file(clip_id) is not None
    assert shared["project"] in window.document.project_names()

    # --- search the shared library and pull the collaborator's published clip ---
    library = window.library
    library.tabs.setCurrentIndex(1)
    library.search.setText("gulls")
    qtbot.waitUntil(lambda: library.visible_titles() == ["Gulls at noon"], timeout=30_000)
    gulls = str(shared["published"])
    assert window.catalog.states[gulls] == "remote"
    assert [c.name for c in window.catalog.shared_clip(gulls).credits] == ["Kai Berg"]
    library.search.setText("pier")  # the clip published from the library and the export published as a clip
    qtbot.waitUntil(lambda: library.visible_titles() == ["Pier at dusk", "Pier remix"], timeout=30_000)
    library.search.setText("gulls")
    qtbot.waitUntil(lambda: library.visible_titles() == ["Gulls at noon"], timeout=30_000)
    library.select_titles(["Gulls at noon"])
    assert library.pull_button.isEnabled()
    # Selecting the shared clip shows it in the inspector; dropping it on the timeline pulls and places it.
    library.list.setCurrentIndex(library.list.selectionModel().selectedIndexes()[0])
    assert window.inspector.heading.text() == "Gulls at noon"
    a1 = window.document.timeline.ordered_tracks("audio")[0].id
    _drop_clip(window, gulls, a1, 30.0)
    qtbot.waitUntil(
        lambda: gulls in window.catalog.clips and window.catalog.states[gulls] == "local", timeout=60_000
    )
    qtbot.waitUntil(lambda: any(i.clip == gulls for i in window.document.timeline.items.values()))
    path, _video, has_sound = window.catalog.media_file(gulls)
    assert has_sound and sha256_of(path) == gulls
    assert window.catalog.clips[gulls].licence == "CC-BY-4.0"

    # --- concurrent moves of one item: the conflict is listed after the next sync ---
    window.document.open(str(shared["project"]))
    first = str(shared["items"][0])
    collaborator(tmp_path / "kai", "move", str(shared["project"]), first, str(3 * SHARED_SECONDS + 10))
    window.timeline._on_move_requested([first], Fraction(3 * SHARED_SECONDS + 20), {})
    assert window.document.timeline.items[first].start == 3 * SHARED_SECONDS + 20
    synced.clear()
    window.actions_by_name["sync_now"].trigger()
    qtbot.waitUntil(lambda: bool(synced), timeout=120_000)
    assert [c["field"] for c in synced[-1].conflicts] == ["start"]
    qtbot.waitUntil(lambda: window.sync_badge.state == "conflicts", timeout=10_000)
    assert window.conflicts.count() == 1
    # The conflict names the clip and its track, and says the times as timecode.
    listed = window.conflicts.list.item(0).text()
    title = window.catalog.clips[window.document.timeline.items[first].clip].title
    assert listed.startswith(f"“{title}” on ") and "two edits of its start time (0:02:" in listed, listed
    window.conflicts.list.setCurrentRow(0)
    choices = [
        window.conflicts.choices.itemAt(i).widget().text() for i in range(window.conflicts.choices.count())
    ]
    assert len(choices) == 2, choices
    # Which edit is in effect follows the replicas' total order; the choices say which is which.
    now = window.document.timeline.items[first].start
    other = ({3 * SHARED_SECONDS + 10, 3 * SHARED_SECONDS + 20} - {now}).pop()
    assert choices[0] == f"Keep the value in effect now: 0:02:{now - 120}:00", choices
    assert choices[1] == f"Keep the other edit's: 0:02:{other - 120}:00", choices
    # Resolving here clears the badge and the dock's count at once, before any sync.
    window.conflicts.choices.itemAt(1).widget().click()
    assert window.document.timeline.items[first].start == other
    qtbot.waitUntil(lambda: window.sync_badge.state == "up_to_date")
    assert window.conflicts_dock.windowTitle() == "Conflicts"
