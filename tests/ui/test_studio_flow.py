"""The whole studio as a person uses it: import with credits, drag to the timeline, trim, split, undo, redo,
export through the dialog, and read the exported file's credits with readers we did not write.

A watchdog timer on the main thread records the longest gap between its ticks while import, thumbnails
and the export run in the background; a blocked UI thread would show a gap close to the work's length.
"""

from __future__ import annotations

import json
import math
import time
from fractions import Fraction
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from studio.ui.media_cache import PEAKS_PER_SECOND
from tests import mediagen
from tests.ui.helpers import Watchdog, assert_responsive, on_next_dialog

pytestmark = [pytest.mark.qt, pytest.mark.slow]


@pytest.fixture
def media(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("flow-media")
    return {
        "walk": mediagen.make_video(folder / "walk.mp4", 6, size="640x360", rate=25),
        "city": mediagen.make_video(folder / "city.mp4", 5, size="640x360", rate=25, frequency=660),
    }


def _drop_clip(window, clip_id: str, track_id: str, seconds: float) -> None:
    """Drop the library's own drag data for a clip onto a track at a time, as a drag from the list does."""
    library = window.library
    row = next(
        r
        for r in range(library.proxy.rowCount())
        if library.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 1).id == clip_id
    )
    mime = library.proxy.mimeData([library.proxy.index(row, 0)])
    view = window.timeline.view
    track_row = window.timeline.scene.row_for_track(track_id)
    target = view.mapFromScene(window.timeline.scale.x(Fraction(seconds)), track_row.top + 10)
    pos = QPointF(target)
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    for event in (
        QDragEnterEvent(target, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
        QDragMoveEvent(target, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
        QDropEvent(pos, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
    ):
        QApplication.sendEvent(view.viewport(), event)


LONG_VIDEOS = {"harbour": 60, "market": 60, "night": 60, "dawn": 60}  # seconds, 640x360
LONG_SOUNDS = {"rain": 180, "music": 120}  # seconds, 48 kHz stereo WAV


@pytest.fixture(scope="module")
def long_media(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("long-media")
    out = {}
    for n, (name, seconds) in enumerate(LONG_VIDEOS.items()):
        out[name] = mediagen.make_video(
            folder / f"{name}.mp4", seconds, size="640x360", frequency=300 + 100 * n
        )
    for n, (name, seconds) in enumerate(LONG_SOUNDS.items()):
        out[name] = mediagen.make_audio(folder / f"{name}.wav", seconds, frequency=200 + 50 * n)
    return out


def test_importing_long_files_and_placing_them_keeps_the_ui_responsive(qtbot, window, long_media):
    """Six files, nine minutes of media: import (hash, copy, probe) and every thumbnail and waveform for
    the timeline, made while the stall watchdog runs; the UI thread only ever waits a blink."""
    import av

    def fill_import(dialog) -> None:
        dialog.add_person("Ann Lee", "camera")
        dialog.licence.setCurrentText("CC-BY-4.0")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    watchdog = Watchdog()
    watchdog.start()
    started = time.monotonic()
    on_next_dialog(fill_import)
    window.import_files([str(p) for p in long_media.values()])
    qtbot.waitUntil(lambda: len(window.catalog.clips) == len(long_media), timeout=120_000)
    clips = {c.title: c for c in window.catalog.clips.values()}
    tl = window.document.timeline
    v1, a2 = tl.ordered_tracks("video")[0].id, tl.ordered_tracks("audio")[1].id
    at = 0
    for name in LONG_VIDEOS:
        _drop_clip(window, clips[name].id, v1, at)
        at += LONG_VIDEOS[name]
    at = 0
    for name in LONG_SOUNDS:
        _drop_clip(window, clips[name].id, a2, at)
        at += LONG_SOUNDS[name]
    media = window.media

    def all_made() -> bool:
        videos = all(media.thumbnails(clips[n].id) for n in LONG_VIDEOS)
        sounds = all(media.peaks(clips[n].id) is not None for n in [*LONG_VIDEOS, *LONG_SOUNDS])
        return media.pending() == 0 and videos and sounds

    qtbot.waitUntil(all_made, timeout=180_000)
    took = time.monotonic() - started
    assert_responsive("import + thumbnails + waveforms of 6 long files", watchdog.stop(), took)
    # Long enough that a UI thread blocked for the whole work would have failed the check above (which
    # allows stalls under 250 ms): the watchdog watched real work. Typically 2-4 s here.
    assert took > 0.5
    assert len(window.document.timeline.items) == 2 * len(LONG_VIDEOS) + len(LONG_SOUNDS)
    for name in LONG_VIDEOS:
        with av.open(str(long_media[name])) as container:
            seconds = container.duration / av.time_base
        assert len(media.thumbnails(clips[name].id)) == math.ceil(seconds - 1e-6)
    for name in LONG_SOUNDS:
        with av.open(str(long_media[name])) as container:
            seconds = container.duration / av.time_base
        assert len(media.peaks(clips[name].id)) == math.ceil(seconds * PEAKS_PER_SECOND - 1e-6)


def test_import_edit_undo_redo_and_export_with_credits(qtbot, window, media, tmp_path):
    import mutagen

    watchdog = Watchdog()

    # --- import two files with the credits form ---
    def fill_import(dialog) -> None:
        dialog.add_person("Ann Lee", "camera, sound")
        dialog.add_person("Bob Diaz", "camera")
        dialog.licence.setCurrentText("CC-BY-4.0")
        dialog.tags.setText("beach, summer")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    on_next_dialog(fill_import)
    window.import_files([str(media["walk"]), str(media["city"])])
    qtbot.waitUntil(lambda: len(window.catalog.clips) == 2, timeout=60_000)
    # Thumbnails and waveforms are made in the background as soon as the clips are on the timeline.
    clips = {c.title: c for c in window.catalog.clips.values()}
    assert set(clips) == {"walk", "city"}
    walk = clips["walk"]
    assert [(c.name, c.roles) for c in walk.credits] == [
        ("Ann Lee", ("camera", "sound")),
        ("Bob Diaz", ("camera",)),
    ]
    assert walk.licence == "CC-BY-4.0" and walk.tags == ("beach", "summer")
    tl = window.document.timeline
    v1 = tl.ordered_tracks("video")[0].id
    _drop_clip(window, walk.id, v1, 0)
    _drop_clip(window, clips["city"].id, v1, 6)
    panel = window.timeline
    qtbot.waitUntil(
        lambda: window.media.pending() == 0 and len(window.media.thumbnails(walk.id)) > 0, timeout=60_000
    )

    tl = window.document.timeline
    pictures = sorted(tl.items_on(v1), key=lambda i: i.start)
    assert [(i.clip, i.start, i.duration) for i in pictures] == [(walk.id, 0, 6), (clips["city"].id, 6, 5)]
    assert len(tl.items) == 4  # each clip's sound went to an audio track beside its picture
    # --- trim the second clip's end with the mouse ---
    panel.view.snapping = False
    city_item = pictures[1]
    drawn = panel.scene.items_by_id[city_item.id]
    rect = drawn.sceneBoundingRect()
    grab = panel.view.mapFromScene(rect.right() - 2, rect.center().y())
    qtbot.mousePress(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=grab)
    for step in range(1, 5):
        qtbot.mouseMove(panel.view.viewport(), grab - QPoint(int(panel.scale.px_per_second * step / 4), 0))
    qtbot.mouseRelease(
        panel.view.viewport(), Qt.MouseButton.LeftButton, pos=grab - QPoint(int(panel.scale.px_per_second), 0)
    )
    assert window.document.timeline.items[city_item.id].duration == 4
    assert window.actions_by_name["undo"].text() == "&Undo Trim end"
    # --- split at the playhead with S, undo with Ctrl+Z, redo with Ctrl+Shift+Z ---
    panel.set_playhead(Fraction(3))
    panel.select([pictures[0].id])
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_S)
    assert len(window.document.timeline.items_on(v1)) == 3
    qtbot.keyClick(panel.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(window.document.timeline.items_on(v1)) == 2
    qtbot.keyClick(
        panel.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert len(window.document.timeline.items_on(v1)) == 3
    # --- export through the dialog, with the credits review ---
    out = tmp_path / "exports" / "beach day.mp4"
    seen: dict[str, object] = {}

    def run_export(dialog) -> None:
        dialog.output.setText(str(out))
        dialog.title.setText("Beach day")
        dialog.licence.setCurrentText("CC-BY-SA-4.0")
        dialog.quality.setCurrentText("Draft (540p)")
        seen["proposal"] = {r.name: r.share_bp for r in dialog.rows}
        seen["method"] = dialog.method.currentText()
        watchdog.start()
        seen["started"] = time.monotonic()
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        dialog.exported.connect(lambda path: seen.update(path=path, ended=time.monotonic()))

        def close_when_done() -> None:
            if "path" in seen or (dialog.task is None and dialog.status.text().startswith("Export failed")):
                seen["status"] = dialog.status.text()
                seen["render"] = dialog.render_path.text()
                dialog.accept()
            else:
                QTimer.singleShot(50, close_when_done)

        QTimer.singleShot(50, close_when_done)

    on_next_dialog(run_export)
    window.export()
    assert "path" in seen, seen.get("status")
    assert_responsive("export", watchdog.stop(), float(seen["ended"]) - float(seen["started"]))
    assert seen["method"] == "weighted-time/1"
    # a 540p draft of 720p clips is scaled, so every frame is re-encoded, and the dialog says why
    assert seen["render"].startswith("Full render (") and "size" in seen["render"], seen["render"]
    assert sum(seen["proposal"].values()) == 10000
    # Read the credits back with mutagen (MP4 freeform atom) and ffmpeg's own metadata reader.
    tags = mutagen.File(out)
    block = json.loads(bytes(tags["----:com.apple.iTunes:CREDITS_JSON"][0]).decode("utf-8"))
    assert block["work"]["title"] == "Beach day" and block["work"]["licence"] == "CC-BY-SA-4.0"
    # the piece is the project, as when `studio render PROJECT` exports it
    assert block["work"]["id"] == window.document.session.id
    assert {p["name"]: p["share_bp"] for p in block["contributors"]} == seen["proposal"]
    assert {s["clip"] for s in block["sources"]} == {walk.id, clips["city"].id}
    meta = mediagen.ffmetadata(out)
    assert "Ann Lee" in meta.get("artist", "") and "Bob Diaz" in meta.get("artist", "")
    (sidecar,) = out.parent.glob("*.credits.json")
    assert json.loads(sidecar.read_text(encoding="utf-8"))["contributors"] == block["contributors"]


def test_sync_badge_follows_the_status_model_from_another_thread(qtbot, window):
    import threading

    assert window.sync_badge.state == "offline"
    assert "no server configured" in window.sync_badge.text.text()
    model = window.sync_status

    def feed() -> None:
        for n in range(5):
            model.syncing(n / 5, "pulling clips")
        model.conflicts(2)

    thread = threading.Thread(target=feed)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: window.sync_badge.state == "conflicts")
    assert window.sync_badge.text.text() == "2 conflicts to resolve"
    model.up_to_date()
    qtbot.waitUntil(lambda: window.sync_badge.text.text() == "Up to date")


def test_shortcuts_are_listed_in_the_help_menu(window):
    rows = dict(window.shortcut_rows())
    for action, key in [
        ("Split at playhead", "S"),
        ("Play / pause", "Space"),
        ("Ripple delete", "Shift+Del"),
    ]:
        assert key in rows[action]
    help_menu = next(m for m in window.menuBar().actions() if m.text() == "&Help").menu()
    assert "Keyboard shortcuts" in [a.text().replace("&", "") for a in help_menu.actions()]


def test_layout_and_project_are_remembered_after_a_kill(qtbot, window):
    """A new window (as after a crash) reopens the last project with every acknowledged edit."""
    from studio.ui.app import build_window

    panel = window.timeline
    panel.add_track("video")
    panel.add_title("Still here")
    name = window.document.name
    window.save_layout()
    reopened = build_window(show_welcome=False)
    qtbot.addWidget(reopened)
    reopened.finish_startup()
    assert reopened.document.name == name
    texts = [i.text for i in reopened.document.timeline.items.values()]
    assert texts == ["Still here"]
    assert len(reopened.document.timeline.ordered_tracks("video")) == 3


def test_welcome_demo_opens_the_demo_remix_from_the_demo_service(qtbot, window):
    import mutagen

    from studio.ui.welcome import WelcomeDialog

    dialog = WelcomeDialog(window, window.settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    assert window.settings.value("welcome/done", False, type=bool)
    qtbot.waitUntil(lambda: window.document.name == "Demo remix", timeout=120_000)
    qtbot.waitUntil(lambda: len(window.catalog.clips) >= 7, timeout=30_000)
    tl = window.document.timeline
    used = {i.clip for i in tl.items.values() if i.clip}
    assert used and used <= set(window.catalog.clips)
    assert any(i.kind == "title" for i in tl.items.values())
    assert all(window.catalog.clips[c].credits for c in used)
    # The service's export of the remix carries the credits of every clip's contributors.
    from studio.services.demo import default_out_dir

    export = default_out_dir() / "demo-remix.mp4"
    assert str(export) in window.message.text()
    block = json.loads(bytes(mutagen.File(export)["----:com.apple.iTunes:CREDITS_JSON"][0]).decode("utf-8"))
    names = {p["name"] for p in block["contributors"]}
    assert {c.name for clip_id in used for c in window.catalog.clips[clip_id].credits} <= names
