"""Screenshots of the studio with the demo project, for the README: `python -m studio.ui.screenshots`.

Runs the real app under a real X server: the one in $DISPLAY, or an Xvfb it starts (and stops) itself.
Data, config and caches go to a temporary folder, so the user's library is never touched. Writes
docs/screenshots/main-dark.png, main-light.png, export.png, conflicts.png (a gain edited on two machines
at once, the second edit applied here as the sync would) and main-1024x700.png (the window at 1024x700).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from studio.ui.main_window import MainWindow

SIZE = (1600, 1000)


def start_xvfb() -> subprocess.Popen[bytes]:
    exe = shutil.which("Xvfb")
    if exe is None:
        raise SystemExit(
            "screenshots need an X server: install Xvfb (apt-get install xvfb xauth) or set DISPLAY"
        )
    display = f":{90 + os.getpid() % 100}"
    proc = subprocess.Popen(
        [exe, display, "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        if Path(f"/tmp/.X11-unix/X{display[1:]}").exists():
            break
        time.sleep(0.05)
    os.environ["DISPLAY"] = display
    return proc


def when(condition: Callable[[], object], then: Callable[[], None], limit_s: float = 120.0) -> None:
    """Call `then` on the event loop once `condition` holds (or after `limit_s`), polling every 100 ms."""
    from PySide6.QtCore import QTimer

    deadline = time.monotonic() + limit_s

    def poll() -> None:
        if condition() or time.monotonic() > deadline:
            then()
        else:
            QTimer.singleShot(100, poll)

    poll()


def take(out: Path) -> list[Path]:
    """Open the app on the demo library and shoot each screen in turn; returns the files saved."""
    from studio.ui.app import build_window, create_app

    app = create_app([sys.argv[0]])
    window = build_window(show_welcome=False)
    window.resize(*SIZE)
    window.move(0, 0)
    window.show()
    tour = _Tour(app, window, out)
    when(lambda: window.is_ready, tour.demo)
    app.exec()
    return tour.saved


class _Tour:
    """The screens in order, each step scheduling the next on the event loop once the window has settled:
    demo library, main window dark and light, export dialog, a sync conflict, the window at 1024x700."""

    def __init__(self, app: QApplication, window: MainWindow, out: Path) -> None:
        self.app = app
        self.window = window
        self.out = out
        self.saved: list[Path] = []

    def shoot(self, name: str) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()
        path = self.out / name
        screen = self.window.screen()
        image = screen.grabWindow(self.window.winId()) if screen is not None else self.window.grab()
        image.save(str(path))
        self.saved.append(path)

    def demo(self) -> None:
        from PySide6.QtCore import QTimer

        from studio.ui.welcome import open_demo_library

        window = self.window
        handle = open_demo_library(window)
        when(
            lambda: handle.done.is_set() and not window.task_bar.isVisible(),
            lambda: QTimer.singleShot(500, self.styled),
        )

    def styled(self) -> None:
        from PySide6.QtCore import QTimer

        window = self.window
        panel = window.timeline
        panel.zoom_fit()
        items = sorted(window.document.timeline.items.values(), key=lambda i: (i.start, i.track))
        picture = next(i for i in items if i.kind == "clip")
        panel.select([picture.id], linked=True)
        panel.set_playhead(picture.start + 2)
        clips = list(window.catalog.clips.values())
        if clips:
            window.library.list.setCurrentIndex(window.library.proxy.index(0, 0))
            panel.select([picture.id], linked=True)
        when(lambda: window.media.pending() == 0, lambda: QTimer.singleShot(800, self.dark))

    def dark(self) -> None:
        from PySide6.QtCore import QTimer

        self.shoot("main-dark.png")
        self.window.set_theme("light")
        QTimer.singleShot(500, self.light)

    def light(self) -> None:
        from PySide6.QtCore import QTimer

        self.shoot("main-light.png")
        self.window.set_theme("dark")
        QTimer.singleShot(300, self.export)

    def export(self) -> None:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        from studio.ui.export_dialog import ExportDialog

        dialog = ExportDialog(self.window.document, self.window.catalog, self.window)
        dialog.roll.setChecked(True)
        dialog.show()

        def grab_dialog() -> None:
            QApplication.processEvents()
            path = self.out / "export.png"
            dialog.grab().save(str(path))
            self.saved.append(path)
            dialog.close()
            QTimer.singleShot(300, self.conflicts)

        QTimer.singleShot(600, grab_dialog)

    def conflicts(self) -> None:
        from PySide6.QtCore import QTimer

        window = self.window
        items = sorted(window.document.timeline.items.values(), key=lambda i: (i.start, i.track))
        sound = next(i for i in items if i.kind == "clip" and i.gain_db == 0)
        window.timeline.set_item_fields(sound.id, "Set gain", gain_db=-3.0)
        # The other machine's edit, as the sync folds it in: it expected the gain at 0 dB.
        other = {
            "op": "set",
            "entity": "item",
            "id": sound.id,
            "new": {"gain_db": -9.0},
            "old": {"gain_db": 0.0},
        }
        window.document.edit("Edit from another machine", lambda tx: tx.do([other]))
        window.show_conflicts()
        window.conflicts.list.setCurrentRow(0)
        QTimer.singleShot(500, self.shot_conflicts)

    def shot_conflicts(self) -> None:
        self.shoot("conflicts.png")
        self.small()

    def small(self) -> None:
        from PySide6.QtCore import QTimer

        self.window.inspector_dock.raise_()
        self.window.resize(1024, 700)
        QTimer.singleShot(800, self.shot_small)

    def shot_small(self) -> None:
        self.shoot("main-1024x700.png")
        self.window.close()
        self.app.quit()


@contextlib.contextmanager
def screen_session(prefix: str) -> Iterator[Path]:
    """A screen for Qt's xcb platform (an Xvfb of our own when DISPLAY is unset) and a fresh temporary home
    for the data, config and cache folders, all removed on the way out; yields the home."""
    xvfb = None if os.environ.get("DISPLAY") else start_xvfb()
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    home = Path(tempfile.mkdtemp(prefix=prefix))
    for key in ("STUDIO_DATA_DIR", "STUDIO_CONFIG_DIR", "STUDIO_CACHE_DIR"):
        os.environ[key] = str(home / key.split("_")[1].lower())
    try:
        yield home
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)
        shutil.rmtree(home, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with screen_session("studio-shots-"):
        for path in take(args.out):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
