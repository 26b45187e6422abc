"""What the studio's start touches on its way to "ready", step by step (the steps of
`bench/startup_stages.py`): the Python enum types PySide6 made (it makes a class's enum types when
the class is first used, roughly 0.2 ms each on this machine, the Qt namespace's 93 all at once) and
the modules imported, on the UI thread and on workers. Counts, not times: it says what a stage pulls
in, so that what only interaction needs can be moved out of the start. At ready it also counts what the
window is made of (widgets and layouts made from Python, by Qt class; actions; visible widgets), which
`bench/startup.py`'s replica of the window follows.

    .venv/bin/python bench/startup_probe.py [--root CHECKOUT] [--bare]

--bare probes a bare QApplication window instead (what any Qt program pays).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import enum, gc, sys, threading
imports = []
sys.addaudithook(lambda ev, args: ev == "import" and imports.append((threading.current_thread(), args[0])))
seen_enums, seen_modules = set(), set(sys.modules)
main = threading.main_thread()
def report(step):
    global seen_enums, seen_modules
    enums = {o.__qualname__ for o in gc.get_objects()
             if isinstance(o, enum.EnumMeta) and (o.__module__ or "").startswith("PySide6")}
    owners = {}
    for name in enums - seen_enums:
        owner = name.rpartition(".")[0] or name
        owners[owner] = owners.get(owner, 0) + 1
    ui, other = [], []
    for thread, name in imports:
        if name in sys.modules and name not in seen_modules:
            seen_modules.add(name)
            (ui if thread is main else other).append(name)
    imports.clear()
    seen_enums = enums
    by_count = sorted(owners.items(), key=lambda kv: (-kv[1], kv[0]))
    print(f"== {step}: {sum(owners.values())} enum types, {len(ui)} modules on the UI thread, "
          f"{len(other)} on workers")
    if by_count:
        print("   enums:  " + ", ".join(f"{owner} {n}" for owner, n in by_count))
    for label, names in (("UI", ui), ("workers", other)):
        if names:
            print(f"   {label}: " + " ".join(names))
from PySide6.QtCore import QTimer
report("PySide6.QtCore imported")
{body}
"""
STUDIO = """
from studio.ui.app import build_window, create_app
report("studio.ui.app imported")
app = create_app(sys.argv)
report("QApplication made")
window = build_window(show_welcome=False)
report("window made (skeleton)")
for n, stage in enumerate(window._stages):
    def timed(stage=stage):
        stage()
        report("stage " + getattr(stage, "func", stage).__name__)
    window._stages[n] = timed
window.first_shown.connect(lambda: report("first paint"))
def census():
    # what the window is made of at ready, for bench/startup.py's replica to match
    from collections import Counter
    from PySide6.QtCore import QObject
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QLayout, QWidget
    from shiboken6 import Shiboken
    objs = window.findChildren(QObject)
    made = [o for o in objs if Shiboken.createdByPython(o)]
    qt_class = lambda o: next(k for k in type(o).__mro__ if k.__module__.startswith("PySide6")).__name__
    by_class = Counter(qt_class(o) for o in made if isinstance(o, (QWidget, QLayout)))
    print(f"== census at ready: {sum(isinstance(o, QWidget) for o in made)} widgets and "
          f"{sum(isinstance(o, QLayout) for o in made)} layouts made from Python, "
          f"{sum(isinstance(o, QAction) for o in objs)} actions, "
          f"{sum(isinstance(o, QWidget) and o.isVisible() for o in objs)} widgets visible")
    print("   " + ", ".join(f"{name} {n}" for name, n in by_class.most_common()))
def finish():
    report("ready")
    census()
    window.close()
    app.quit()
window.ready.connect(finish)
window.show()
app.exec()
"""
BARE = """
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
report("QApplication made")
window = QMainWindow()
window.show()
def finish():
    report("shown")
    app.quit()
QTimer.singleShot(0, finish)
app.exec()
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose studio package to probe")
    parser.add_argument("--bare", action="store_true", help="probe a bare QApplication window")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    home = tempfile.mkdtemp(prefix="studio-probe-")
    for key in ("STUDIO_DATA_DIR", "STUDIO_CONFIG_DIR", "STUDIO_CACHE_DIR"):
        env[key] = str(Path(home) / key.lower())
    env["PYTHONPATH"] = str(root)
    code = PROBE.replace("{body}", BARE if args.bare else STUDIO)
    for _ in range(2):  # the first start creates the store and a project; the second is probed
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True, timeout=120
        )
    if proc.returncode != 0 or "==" not in proc.stdout:
        raise SystemExit(f"the probe failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    print(f"studio package: {root / 'studio'}" if not args.bare else "bare QApplication window")
    print(proc.stdout, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
