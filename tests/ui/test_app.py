"""Starting the app: the skeleton is painted before the docks are built, the project is opened off the UI
thread, STUDIO_QUIT_AFTER_MS quits a real `studio` process cleanly, and resources are found in a bundle."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from configparser import ConfigParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.qt
ROOT = Path(__file__).resolve().parents[2]


def test_window_is_painted_as_a_skeleton_then_built_with_the_project_opened_in_the_background(
    qtbot, monkeypatch
):
    from studio.core.project import ProjectSession
    from studio.ui.app import build_window, create_app

    create_app([])
    window = build_window(show_welcome=False)
    qtbot.addWidget(window)
    seen: dict[str, object] = {}
    window.first_shown.connect(lambda: seen.setdefault("built at first paint", hasattr(window, "timeline")))
    opened_on: list[str] = []
    original = ProjectSession.__init__

    def record_thread(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened_on.append(threading.current_thread().name)
        original(self, *args, **kwargs)

    monkeypatch.setattr(ProjectSession, "__init__", record_thread)
    window.show()
    qtbot.waitUntil(lambda: window.is_ready, timeout=30_000)
    assert seen == {"built at first paint": False}
    assert window.document.name == "My first remix"
    assert [t.name for t in window.document.timeline.ordered_tracks()] == ["V1", "V2", "A1", "A2"]
    assert opened_on and threading.main_thread().name not in opened_on
    assert window.centralWidget() is window.preview
    assert window.windowTitle() == "Remix Studio — My first remix"


def _run_studio(env: dict[str, str], timeout: float = 120) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "studio.cli.main"],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc, time.monotonic() - started


def test_quit_after_ms_closes_a_real_studio_cleanly(studio_dirs):
    proc, took = _run_studio({"STUDIO_QUIT_AFTER_MS": "1500", "STUDIO_NO_WELCOME": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert took >= 1.5
    # Closing went through the window's close: it saved its layout on the way out.
    ini = ConfigParser()
    ini.read(Path(studio_dirs["STUDIO_CONFIG_DIR"]) / "studio-ui.ini")
    assert ini.has_option("window", "geometry")
    assert ini.get("project", "last") == "My first remix"


def test_quit_after_ms_must_be_a_number(studio_dirs):
    proc, _took = _run_studio({"STUDIO_QUIT_AFTER_MS": "soon"})
    assert proc.returncode == 2
    assert "STUDIO_QUIT_AFTER_MS must be a whole number of milliseconds" in proc.stderr


def test_resources_are_found_in_a_frozen_bundle_and_missing_ones_are_named(tmp_path, monkeypatch):
    from studio.ui import theme

    bundle = tmp_path / "_internal"
    (bundle / "resources").mkdir(parents=True)
    (bundle / "resources" / "dark.qss").write_text("QWidget {}", encoding="utf-8")
    monkeypatch.delenv("STUDIO_RESOURCES_DIR", raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    theme.resources_dir.cache_clear()
    try:
        assert theme.resources_dir() == bundle / "resources"
        monkeypatch.setenv("STUDIO_RESOURCES_DIR", str(tmp_path / "nowhere"))
        (bundle / "resources" / "dark.qss").unlink()
        monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "elsewhere"))
        monkeypatch.setattr(theme, "__file__", str(tmp_path / "a" / "b" / "theme.py"))
        theme.resources_dir.cache_clear()
        with pytest.raises(FileNotFoundError) as caught:
            theme.resources_dir()
        assert str(tmp_path / "nowhere") in str(caught.value)
        assert str(tmp_path / "elsewhere" / "resources") in str(caught.value)
    finally:
        theme.resources_dir.cache_clear()


def test_a_library_that_cannot_be_opened_is_said_once_the_window_is_built(qtbot, monkeypatch, tmp_path):
    """The store opens on a worker from the window's creation, so its failure can arrive before the
    status bar exists: it is then said once the window has one, in a message box and the status bar."""
    from studio.ui.app import build_window, create_app
    from tests.ui.conftest import _close_message_boxes

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("STUDIO_DATA_DIR", str(blocker))
    create_app([])
    win = build_window(show_welcome=False)
    qtbot.addWidget(win)
    dialogs, watcher = _close_message_boxes()
    win.show()
    qtbot.waitUntil(lambda: win.is_ready, timeout=30_000)
    qtbot.waitUntil(lambda: bool(dialogs), timeout=10_000)
    watcher.stop()
    assert "The library could not be opened" in dialogs[0]
    assert "The library could not be opened" in win.message.text()
    win.close()
