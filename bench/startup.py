"""Startup: time from launch to the main window on screen (its first frame, painted once the native
window is exposed), as a ratio to a bare QApplication showing an empty window; both started as fresh
interpreters, alternately, medians of several runs (target <= 1.5). Also printed: launch to the
studio being ready to edit (every dock built and the last project on the timeline), which the window
reaches after it is shown, and ready and painted: the built window drawn once (`repaint()` at ready),
which is what the user sees, and which pays for what the panels' painting needs first.

Warm figures: each program is launched once before measuring, so Python's bytecode caches (.pyc)
exist, as they do after an install (pip compiles them); a first launch from a fresh checkout also
compiles every module and is slower. The first studio launch also creates the store and a project.

    .venv/bin/python bench/startup.py [--runs N] [--root CHECKOUT]

--root measures the studio package of another checkout (e.g. `git archive REV | tar -x -C DIR`), with
the same Python, for before/after figures. The processor time each program used until it was
ready (all threads) is printed too: on a machine shared with other work the wall-clock figures move
with the load, the processor time much less. `bench/startup_stages.py` says where the time to ready
goes, stage by stage.

Also printed: a replica of the studio's window, shown. It has the window's make-up at ready (the
widgets, layouts and actions `bench/startup_probe.py` counts, the Qt classes whose enum types the start
makes) built from plain Qt classes, with no studio code, no data and no style sheet: what PySide6
charges any program for such a window, the floor under the studio's "ready".
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_CHILD = """
import sys
import time
from PySide6.QtCore import QEvent, QObject, QTimer
{setup}


class FirstFrame(QObject):
    # Watches the native window only (an application-wide filter would make PySide wrap every object
    # an event goes to, which costs the studio's many widgets more than the bare window).
    def __init__(self):
        super().__init__()
        self.seen = False

    def eventFilter(self, obj, event):
        if not self.seen and event.type() == QEvent.Type.Expose and obj.isExposed():
            self.seen = True
            QTimer.singleShot(0, after_shown)  # runs once the exposed window is painted and flushed
        return False


def finish():
    print("ready", flush=True)
    print(f"cpu {{time.process_time()}}", flush=True)
    window.repaint()  # the whole window drawn once more, now built: what the user then sees
    print("painted", flush=True)
    print(f"cpu-painted {{time.process_time()}}", flush=True)
    window.close()
    app.quit()


def after_shown():
    print("shown", flush=True)
    ready = getattr(window, "ready", None)
    if ready is None or getattr(window, "is_ready", True):
        finish()
    else:
        ready.connect(finish)


watcher = FirstFrame()
window.winId()  # the native window, to watch from its first event
window.windowHandle().installEventFilter(watcher)
window.show()
app.exec()
"""
BARE = _CHILD.format(
    setup="from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication(sys.argv)\nwindow = QMainWindow()"
)
# The studio window's make-up at ready (`bench/startup_probe.py` counts it: 63 widgets and 14 layouts
# made from Python, by Qt class, and 76 actions), rebuilt from plain Qt classes with no studio code, no
# data and no style sheet, after naming every Qt class whose enum types the studio's start makes (the
# probe's list). What it takes is what PySide6 charges any program for a window of this make-up.
REPLICA = _CHILD.format(
    setup="""
import PySide6.QtSvg
from PySide6.QtCore import (Qt, QAbstractItemModel, QByteArray, QElapsedTimer, QEvent, QItemSelectionModel,
    QLineF, QSettings, QSortFilterProxyModel, QXmlStreamReader)
from PySide6.QtGui import (QAction, QColor, QFont, QFontDatabase, QGradient, QIcon, QIconEngine, QImage,
    QKeySequence, QPaintDevice, QPainter, QPainterPath, QPalette, QRhi, QRhiShaderResourceBinding)
from PySide6.QtWidgets import (QAbstractItemDelegate, QAbstractItemView, QAbstractScrollArea,
    QAbstractSlider, QApplication, QBoxLayout, QComboBox, QDockWidget, QFrame, QGraphicsItem, QGraphicsScene,
    QGraphicsView, QGridLayout, QHBoxLayout, QLabel, QLayout, QLineEdit, QListView, QListWidget,
    QListWidgetItem, QMainWindow, QProgressBar, QPushButton, QScrollArea, QSizePolicy, QSlider, QStyle,
    QStyleOption, QStyleOptionGraphicsItem, QStyleOptionViewItem, QTabBar, QToolButton, QVBoxLayout, QWidget)

LEAVES = [QToolButton] * 14 + [QLabel] * 11 + [QComboBox] * 4 + [QPushButton] * 3 + [QProgressBar] * 2 + [
    QListWidget, QSlider, QTabBar, QLineEdit, QListView]


def replica(window):
    rows = []
    for n in range(5):
        dock, scroll, body = QDockWidget(f"Panel {n}", window), QScrollArea(), QWidget()
        column = QVBoxLayout(body)
        row = QWidget()
        column.addWidget(row)
        rows.append(QHBoxLayout(row))
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        dock.setWidget(scroll)
        side = Qt.DockWidgetArea.LeftDockWidgetArea if n < 2 else Qt.DockWidgetArea.RightDockWidgetArea
        window.addDockWidget(side, dock)
        if n == 0:
            nested = QVBoxLayout()
            column.addLayout(nested)
            rows.append(nested)
        if n == 1:
            grid = QGridLayout()
            column.addLayout(grid)
    central = QWidget()
    column = QVBoxLayout(central)
    column.addWidget(QGraphicsView(QGraphicsScene()))
    row = QWidget()
    column.addWidget(row)
    rows.append(QHBoxLayout(row))
    for n, kind in enumerate(LEAVES):
        leaf = kind()
        if hasattr(leaf, "setText"):
            leaf.setText(f"Control {n}")
        rows[n % len(rows)].addWidget(leaf, 0, Qt.AlignmentFlag.AlignLeft)
    grid.addWidget(QLabel("Grid"), 0, 0)
    window.setCentralWidget(central)
    for m in range(8):
        menu = window.menuBar().addMenu(f"Menu {m}")
        for a in range(8 if m < 6 else 7):  # with the menus' and docks' own, 76 as in the studio
            menu.addAction(QAction(f"Action {a}", window))
    window.resize(1280, 800)


app = QApplication(sys.argv)
window = QMainWindow()
replica(window)
"""
)
STUDIO = _CHILD.format(
    setup="from studio.ui.app import build_window, create_app\napp = create_app(sys.argv)\n"
    "window = build_window(show_welcome=False)"
)


@dataclass(frozen=True)
class Launch:
    """Seconds from launch to the child's "shown", "ready" and "painted" lines, and the processor time
    it had used at ready and at painted (all its threads; the part of the figure that other work on
    the machine does not inflate)."""

    shown: float
    ready: float
    painted: float
    cpu: float
    cpu_painted: float


def launch(code: str, env: dict[str, str], cwd: Path) -> Launch:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    marks: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for line in proc.stdout:
        if line.startswith("cpu"):
            name, value = line.split()
            cpu[name] = float(value)
        else:
            marks.setdefault(line.strip(), time.perf_counter() - start)
    _out, err = proc.communicate()
    if "shown" not in marks or "ready" not in marks:
        raise SystemExit(f"the window was not shown (exit {proc.returncode}):\n{err[-2000:]}")
    return Launch(marks["shown"], marks["ready"], marks["painted"], cpu["cpu"], cpu["cpu-painted"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose studio package to measure")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    home = tempfile.mkdtemp(prefix="studio-startup-")
    for key in ("STUDIO_DATA_DIR", "STUDIO_CONFIG_DIR", "STUDIO_CACHE_DIR"):
        env[key] = str(Path(home) / key.lower())
    env["PYTHONPATH"] = str(root)
    launch(BARE, env, root)  # warm: bytecode caches written, store and first project created
    launch(REPLICA, env, root)
    launch(STUDIO, env, root)
    bares, replicas, studios = [], [], []
    for _ in range(args.runs):
        bares.append(launch(BARE, env, root))
        replicas.append(launch(REPLICA, env, root))
        studios.append(launch(STUDIO, env, root))

    def median(runs: list[Launch], field: str) -> float:
        return statistics.median(getattr(run, field) for run in runs)

    b, bc = median(bares, "shown"), median(bares, "cpu")
    f, fc = median(replicas, "shown"), median(replicas, "cpu")
    s, r, p = median(studios, "shown"), median(studios, "ready"), median(studios, "painted")
    c, cp = median(studios, "cpu"), median(studios, "cpu_painted")
    print(f"studio package: {root / 'studio'}; warm runs (bytecode cached), medians of {args.runs}")
    print(f"bare QApplication + empty window shown: {b * 1000:7.0f} ms  (processor {bc * 1000:5.0f} ms)")
    print(f"replica of the window (plain Qt) shown: {f * 1000:7.0f} ms  ratio {f / b:.2f} (no studio code)")
    print(f"studio main window shown:               {s * 1000:7.0f} ms  ratio {s / b:.2f} (target <= 1.5)")
    print(f"studio ready (docks, project open):     {r * 1000:7.0f} ms  ratio {r / b:.2f}")
    print(f"studio ready and painted once:          {p * 1000:7.0f} ms  ratio {p / b:.2f}")
    print(f"processor time to ready:                {c * 1000:7.0f} ms  ratio {c / bc:.2f} (bare: at shown)")
    print(f"processor time, replica shown:          {fc * 1000:7.0f} ms  ratio {fc / bc:.2f}")
    print(f"processor time to ready and painted:    {cp * 1000:7.0f} ms  ratio {cp / bc:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
