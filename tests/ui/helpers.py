"""Helpers for driving the studio in tests: a UI stall watchdog and answering modal dialogs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog


class Watchdog:
    """Ticks every 5 ms on the main thread and keeps the longest gap between ticks."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._on_tick)
        self.longest_ms = 0.0
        self._last = 0

    def start(self) -> None:
        self.longest_ms = 0.0
        self.clock.start()
        self._last = self.clock.elapsed()
        self.timer.start()

    def _on_tick(self) -> None:
        now = self.clock.elapsed()
        self.longest_ms = max(self.longest_ms, now - self._last)
        self._last = now

    def stop(self) -> float:
        self._on_tick()
        self.timer.stop()
        return self.longest_ms


def assert_responsive(name: str, stall_ms: float, work_s: float) -> None:
    """The longest stall (printed; see it with pytest -rP) must stay well below the work's length."""
    print(f"\n{name}: longest UI stall {stall_ms:.0f} ms while the work took {work_s:.2f} s")
    # A blocked UI thread stalls for about the whole work; scheduler noise is far below half of it.
    assert stall_ms < max(250.0, work_s * 1000 * 0.5), f"{name}: the UI thread stalled {stall_ms:.0f} ms"


def on_next_dialog(handler: Callable[[QDialog], None]) -> None:
    """Run handler(dialog) once the next modal dialog is up (exec() blocks the test until it closes)."""

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog):
            handler(dialog)
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(20, poll)


def sign_up_from_the_menu(qtbot: Any, window: Any, url: str, user: str, password: str) -> None:
    """Create the account `user` on `url` as a person does: Sync > Connect, the form filled in, Connect
    clicked (the dialog closes itself once connected)."""

    def fill(dialog: Any) -> None:
        form = dialog.form
        form.server.setText(url)
        form.account.setText(user)
        form.password.setText(password)
        form.create_account.setChecked(True)
        qtbot.mouseClick(form.connect_button, Qt.MouseButton.LeftButton)

    on_next_dialog(fill)
    window.actions_by_name["sync_connect"].trigger()
