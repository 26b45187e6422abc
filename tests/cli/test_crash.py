"""Crash safety: `studio project add` killed (SIGKILL) at random moments, before, during and after
its transaction. Every edit whose id was printed survives, the store passes SQLite's integrity
check, and editing goes on. A longer-lived editor killed mid-burst shows the same."""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio.core.paths import store_path
from studio.core.project import ProjectSession
from studio.core.store import Store
from tests.cli.conftest import STUDIO, Run, ok

# Edits through the project service in one process, printing each id once it is committed.
EDITOR = """
import sys
from studio.services import projects
store = projects.open_store()
session = projects.open_project(store, "crash")
start = int(sys.argv[1])
for n in range(start, start + 10_000):
    item = projects.add_clip(session, "gulls", track="A1", at=str(2 * n), source_out="1")
    print(item.id, flush=True)
"""


def check_survivors(acknowledged: set[str]) -> None:
    with Store(store_path()) as store:
        assert store.integrity_check() == []
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        timeline = ProjectSession(store, "crash").timeline
        missing = acknowledged - set(timeline.items)
        assert not missing, f"{len(missing)} acknowledged edits lost"
        assert not timeline.overlaps()


def kill(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    return out


@pytest.mark.slow
def test_cli_killed_at_random_moments_loses_no_acknowledged_edit(
    studio: Run, cli_media: dict[str, Path]
) -> None:
    ok(studio("import", cli_media["tone"]))
    ok(studio("project", "new", "crash"))
    rnd = random.Random(20260101)
    durations: list[float] = []
    started = time.monotonic()
    ok(studio("project", "add", "crash", "gulls", "--at", "0", "--out", "1"))
    durations.append(time.monotonic() - started)
    acknowledged: set[str] = set()
    killed = runs = 0
    while runs < 60 and (killed < 12 or runs < 20):
        runs += 1
        # Kill somewhere between start-up and exit, as long as a whole run takes right now.
        delay = rnd.uniform(0.2, 1.1) * statistics.median(durations[-5:])
        started = time.monotonic()
        proc = subprocess.Popen(
            [str(STUDIO), "project", "add", "crash", "gulls", "--at", str(2 * runs), "--out", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            proc.wait(timeout=delay)
            out = proc.stdout.read() if proc.stdout else ""
            assert proc.returncode == 0
            durations.append(time.monotonic() - started)
        except subprocess.TimeoutExpired:
            out = kill(proc)
            killed += 1
        acknowledged.update(out.split())
    assert killed >= 5  # the loop really did kill processes mid-run
    check_survivors(acknowledged)
    last = ok(studio("project", "add", "crash", "gulls", "--at", "1000", "--out", "1")).strip()
    check_survivors(acknowledged | {last})


@pytest.mark.slow
def test_an_editor_killed_mid_burst_loses_no_acknowledged_edit(
    studio: Run, cli_media: dict[str, Path]
) -> None:
    ok(studio("import", cli_media["tone"]))
    ok(studio("project", "new", "crash"))
    rnd = random.Random(7)
    acknowledged: set[str] = set()
    for round_ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", EDITOR, str(round_ * 1000)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()  # wait until it is editing
        assert first.strip(), proc.stderr.read() if proc.stderr else ""
        time.sleep(rnd.uniform(0.05, 0.4))
        out = kill(proc)
        acknowledged.update([first.strip(), *out.split()])
    assert len(acknowledged) > 12
    check_survivors(acknowledged)
