"""Startup: time from launch to the main window shown, as a ratio to a bare QApplication showing an empty
window, both started as fresh interpreters, alternately, medians of several runs (target <= 1.5).

    .venv/bin/python bench/startup.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7
_SHOW = """
import sys
from PySide6.QtCore import QTimer
{setup}
window.show()
QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))
app.exec()
"""
BARE = _SHOW.format(
    setup="from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication(sys.argv)\nwindow = QMainWindow()"
)
STUDIO = _SHOW.format(
    setup="from studio.ui.app import build_window, create_app\napp = create_app(sys.argv)\n"
    "window = build_window(show_welcome=False)"
)


def launch(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    if "shown" not in out.stdout:
        raise SystemExit(f"the window was not shown:\n{out.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> int:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    home = tempfile.mkdtemp(prefix="studio-startup-")
    for key in ("STUDIO_DATA_DIR", "STUDIO_CONFIG_DIR", "STUDIO_CACHE_DIR"):
        env[key] = str(Path(home) / key.lower())
    env["PYTHONPATH"] = str(ROOT)
    launch(STUDIO, env)  # first run creates the store and the first project
    bare, studio = [], []
    for _ in range(RUNS):
        bare.append(launch(BARE, env))
        studio.append(launch(STUDIO, env))
    b, s = statistics.median(bare), statistics.median(studio)
    print(f"bare QApplication + empty window: {b * 1000:7.0f} ms (median of {RUNS})")
    print(f"studio main window:               {s * 1000:7.0f} ms (median of {RUNS})")
    print(f"ratio {s / b:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
