"""Fixtures for the desktop tests: a real store and project in the test's own folders, clips to place."""

from __future__ import annotations

import uuid
from fractions import Fraction

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
    from studio.ui.timeline import gestures

    doc = ProjectDocument(store)
    doc.create(f"test {uuid.uuid4().hex[:6]}", gestures.default_tracks)
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
    qtbot.waitUntil(lambda: win.is_ready, timeout=30_000)
    yield win
    win.close()
