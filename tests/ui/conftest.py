"""Fixtures for the desktop tests: a real store and project in the test's own folders, clips to place."""

from __future__ import annotations

import uuid
from fractions import Fraction
from typing import Any

import pytest

from studio.core.clips import Clip, Credit
from tests.sync.conftest import server  # noqa: F401 - the live server fixture, shared with the sync tests

pytestmark = pytest.mark.qt


@pytest.fixture
def store():
    from studio.core.store import Store

    s = Store()
    yield s
    s.close()


@pytest.fixture
def document(qapp, store):
    from studio.ui.document import ProjectDocument

    doc = ProjectDocument(store)
    doc.create(f"test {uuid.uuid4().hex[:6]}")
    return doc


def fake_sha(n: int) -> str:
    return f"{n:064x}"


@pytest.fixture
def clips() -> dict[str, Clip]:
    """Library records for placing (the timeline only needs their ids, kinds and lengths)."""
    out = {}
    for n, (title, kind, seconds) in enumerate(
        [
            ("Beach walk", "video", 8),
            ("Drum loop", "audio", 6),
            ("Poster", "image", None),
            ("City", "video", 5),
        ],
        start=1,
    ):
        sha = fake_sha(n)
        out[sha] = Clip(
            id=sha,
            title=title,
            kind=kind,
            duration=Fraction(seconds) if seconds else None,
            credits=(Credit("Ann"),),
            licence="CC-BY-4.0",
            has_video=kind != "audio",
            has_audio=kind != "image",
        )
    return out


def _close_message_boxes() -> tuple[list[str], Any]:
    """Watch for a message box while the window starts, and close it, keeping its text: a modal box runs
    its own event loop, so a test waiting for readiness would otherwise wait for ever."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    seen: list[str] = []
    timer = QTimer(QApplication.instance())
    timer.setInterval(50)

    def check() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.done(0)
            timer.stop()

    timer.timeout.connect(check)
    timer.start()
    return seen, timer


@pytest.fixture
def window(qtbot, monkeypatch):
    """The studio's main window, shown and ready (docks built, last project open)."""
    monkeypatch.setenv("STUDIO_NO_WELCOME", "1")
    from studio.ui.app import build_window, create_app

    create_app([])
    win = build_window(show_welcome=False)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    dialogs, watcher = _close_message_boxes()
    qtbot.waitUntil(lambda: win.is_ready or bool(dialogs), timeout=30_000)
    watcher.stop()
    if dialogs:
        pytest.fail(f"the studio opened with a message instead of being ready: {dialogs[0]}")
    # The saved login is looked up once the built window is painted; its answer sets the sync status,
    # which a test must not find changing under it.
    qtbot.waitUntil(lambda: win.sync.login_read, timeout=30_000)
    yield win
    win.close()
