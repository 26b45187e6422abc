"""At 1024x700 the window keeps its size and its side docks keep their widths, whatever panel is raised."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

pytestmark = pytest.mark.qt


def test_docks_fit_a_1024_px_window_and_keep_their_widths(qtbot):
    from studio.ui.app import build_window, create_app

    create_app([])
    window = build_window(show_welcome=False)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    qtbot.waitUntil(lambda: window.is_ready, timeout=60_000)
    qtbot.wait(50)

    def widths() -> tuple[int, int, int, int]:
        return (
            window.width(),
            window.library_dock.width(),
            window.inspector_dock.width(),
            window.preview.width(),
        )

    before = widths()
    assert before[0] == 1024, f"the docks' minimum widths pushed the window to {before[0]} px"
    assert before[1] >= 250 and before[2] >= 250 and before[3] >= 300, before
    for index in range(window.library.tabs.count()):  # Local, Shared, ...
        qtbot.mouseClick(
            window.library.tabs, Qt.MouseButton.LeftButton, pos=window.library.tabs.tabRect(index).center()
        )
        assert widths() == before
    for dock in (window.conflicts_dock, window.payouts_dock, window.inspector_dock):
        dock.raise_()
        qtbot.wait(20)
        assert widths() == before, dock.objectName()
    window.close()
