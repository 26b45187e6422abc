"""The main window's status bar: the message line, the running task's progress and cancel button, the
clips waiting to be published, and the sync badge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6 import QtWidgets

from studio.ui.untrusted import PlainLabel, escaped

if TYPE_CHECKING:
    from studio.ui.main_window import MainWindow
    from studio.ui.tasks import TaskHandle


def build(window: MainWindow) -> None:
    from studio.ui.icons import icon
    from studio.ui.sync_panel import SyncBadge

    bar = window.statusBar()
    window.task_label = PlainLabel()
    window.task_bar = QtWidgets.QProgressBar()
    window.task_bar.setRange(0, 1000)
    window.task_bar.setFixedWidth(160)
    window.task_cancel = QtWidgets.QToolButton()
    window.task_cancel.setIcon(icon("close"))
    window.task_cancel.setToolTip("Cancel")
    window.task_cancel.clicked.connect(window.cancel_task)
    for widget in (window.task_label, window.task_bar, window.task_cancel):
        bar.addPermanentWidget(widget)
        widget.setVisible(False)
    window.publish_queue = PlainLabel()  # stays until the queued publishes went out (not a timed message)
    window.publish_queue.setObjectName("publishQueue")
    window.publish_queue.setVisible(False)
    bar.addPermanentWidget(window.publish_queue)
    window.sync_badge = SyncBadge(window.bridge)
    window.sync_badge.clicked.connect(window.show_conflicts)
    bar.addPermanentWidget(window.sync_badge)


def run_task(window: MainWindow, pool: str, label: str, fn: Any, on_done: Any) -> TaskHandle:
    """Run work on a pool with its progress and a cancel button in the status bar."""
    from studio.ui import tasks

    for widget in (window.task_label, window.task_bar, window.task_cancel):
        widget.setVisible(True)
    window.task_label.setText(label)
    window.task_bar.setValue(0)

    def finish() -> None:
        for widget in (window.task_label, window.task_bar, window.task_cancel):
            widget.setVisible(False)

    def done(result: Any) -> None:
        finish()
        on_done(result)

    def failed(exc: BaseException) -> None:
        finish()
        window.post(f"{label} failed: {exc}", 12000)

    def cancelled() -> None:
        finish()
        window.post(f"{label} cancelled")

    return tasks.submit(
        pool,
        fn,
        name=label,
        on_done=done,
        on_failed=failed,
        on_cancelled=cancelled,
        on_progress=lambda fraction, message: show_progress(window, fraction, message),
        owner=window,
    )


def show_progress(window: MainWindow, fraction: float, message: str) -> None:
    window.task_bar.setValue(round(fraction * 1000))
    window.task_bar.setToolTip(escaped(message))


def show_publish_queue(window: MainWindow) -> None:
    """The clips published while the server could not be reached, in the status bar until the sync
    that sends them (a library selection or a newer message does not hide it)."""
    titles = sorted(
        window.catalog.clips[c].title or c[:12]
        for c, state in window.catalog.states.items()
        if state == "queued" and c in window.catalog.clips
    )
    window.publish_queue.setVisible(bool(titles))
    if titles:
        n = len(titles)
        window.publish_queue.setText(f"{n} clip{'s' if n != 1 else ''} to publish at the next sync")
        window.publish_queue.setToolTip(
            escaped(
                "Published while the server could not be reached; they go out with the next sync "
                f"(Sync ▸ Sync now):\n{chr(10).join(titles)}"
            )
        )
