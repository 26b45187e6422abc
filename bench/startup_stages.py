"""Where the studio's start goes: milliseconds from launch to each step on the way to "ready" (the
interpreter and PySide imported, the window made, its first paint, each build stage, the project
opened on its worker, ready, the built window painted once), medians of several warm runs of a fresh
interpreter: the wall clock, the processor time of all threads and that of the UI thread alone (the
last two move much less with the load of a shared machine). The interpreter's own start, before its
first line runs, is in the first row's wall clock only. The figures to read with
`bench/startup.py`, which gives the ratio to a bare window; this one says which stage to work on
(and `bench/startup_probe.py` what each stage pulls in).

    .venv/bin/python bench/startup_stages.py [--runs N] [--root CHECKOUT]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import os, sys, time
launched = float(os.environ["STARTUP_LAUNCHED"])
def mark(name):
    wall, cpu = (time.time() - launched) * 1000, time.process_time() * 1000
    print(f"{name} {wall:.1f} {cpu:.1f} {time.thread_time() * 1000:.1f}", flush=True)
mark("interpreter")
from PySide6.QtCore import QTimer
mark("PySide6.QtCore imported")
from studio.ui.app import build_window, create_app
mark("studio.ui.app imported")
app = create_app(sys.argv)
mark("QApplication made")
window = build_window(show_welcome=False)
mark("window made (skeleton)")
for n, stage in enumerate(window._stages):
    def timed(stage=stage):
        stage()
        mark("stage " + getattr(stage, "func", stage).__name__.lstrip("_"))
    window._stages[n] = timed
window.first_shown.connect(lambda: mark("first paint"))
task = window._project_task
if task is not None:
    task.signals.finished.connect(lambda _r: mark("project opened (delivered)"))
def finish():
    mark("ready")
    window.repaint()  # the built window drawn once: what the user then sees
    mark("painted")
    window.close()
    app.quit()
window.ready.connect(finish)
window.show()
app.exec()
"""


def run(env: dict[str, str], cwd: Path) -> dict[str, tuple[float, float, float]]:
    import time

    env = dict(env, STARTUP_LAUNCHED=repr(time.time()))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    marks: dict[str, tuple[float, float, float]] = {}
    for line in proc.stdout.splitlines():
        name, wall, cpu, ui = line.rsplit(" ", 3)
        marks.setdefault(name, (float(wall), float(cpu), float(ui)))
    if "ready" not in marks:
        raise SystemExit(f"the studio did not get ready (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return marks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose studio package to measure")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    home = tempfile.mkdtemp(prefix="studio-stages-")
    for key in ("STUDIO_DATA_DIR", "STUDIO_CONFIG_DIR", "STUDIO_CACHE_DIR"):
        env[key] = str(Path(home) / key.lower())
    env["PYTHONPATH"] = str(root)
    run(env, root)  # warm: bytecode cached, store and first project created
    runs = [run(env, root) for _ in range(args.runs)]
    names = list(runs[0])
    print(f"studio package: {root / 'studio'}; warm runs, medians of {args.runs}")
    head = ("wall", "step", "processor", "UI thread", "step")
    print(f"{'ms since launch':34s} {head[0]:>6s} {head[1]:>6s} {head[2]:>9s} {head[3]:>9s} {head[4]:>6s}")
    previous = (0.0, 0.0, 0.0)
    for name in names:
        wall, cpu, ui = (statistics.median(r[name][k] for r in runs if name in r) for k in range(3))
        if name.startswith("project"):  # on its worker, beside the UI thread's sequence
            print(f"{name:34s} {wall:6.0f} {'':6s} {cpu:9.0f}")
            continue
        step, ui_step = wall - previous[0], ui - previous[2]
        print(f"{name:34s} {wall:6.0f} {step:+6.0f} {cpu:9.0f} {ui:9.0f} {ui_step:+6.0f}")
        previous = (wall, cpu, ui)
    return 0


if __name__ == "__main__":
    sys.exit(main())
